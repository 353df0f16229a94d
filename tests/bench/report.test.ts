// Proves the report outputs: the JSON keeps its documented shape (Infinity as a string), the HTML opens offline (nothing fetched, no script) with one <svg> per chart even when a run has no data, and targets are judged from the figures.
import { describe, expect, it } from 'vitest';
import { reportJson } from '../../bench/main.ts';
import { buildCharts } from '../../bench/report/charts.ts';
import { renderHtml } from '../../bench/report/html.ts';
import { renderReport } from '../../bench/report/table.ts';
import { evaluateTargets } from '../../bench/targets.ts';
import { REPORT_SCHEMA, type BenchReport } from '../../bench/types.ts';
import type { BrokerHandle } from '../../bench/broker-handle.ts';
import { withDurability } from '../../bench/runner.ts';
import type { ScenarioResult } from '../../bench/types.ts';
import { sampleReport } from './fixture.ts';

const CHART_IDS = ['throughput-per-mode', 'cpu-per-gib', 'native-sweep-throughput', 'native-sweep-cpu', 'latency-percentiles', 'catch-up-hit-ratio', 'copies-vs-model', 'produce-throughput'];

function emptyReport(): BenchReport {
  return { ...sampleReport(), scenarios: [], ceilings: { loopbackBytesPerSec: null, loopbackCopyBytesPerSec: null, memcpyBytesPerSec: null, rttMsP99: null } };
}

describe('JSON', () => {
  it('has the documented top-level shape and keeps Infinity as a string', () => {
    const parsed = JSON.parse(reportJson(sampleReport()));
    expect(Object.keys(parsed).sort()).toEqual(['broker', 'ceilings', 'command', 'conclusions', 'durationMs', 'machine', 'quick', 'repeats', 'scenarios', 'schema', 'startedAt', 'targets']);
    expect(parsed.schema).toBe(REPORT_SCHEMA);
    expect(parsed.broker.config.flushIntervalMs).toBe('Infinity');
    expect(Object.keys(parsed.machine).sort()).toEqual(['cores', 'cpuModel', 'kernel', 'loadAverageEnd', 'loadAverageMax', 'loadAverageStart', 'memoryBytes', 'nodeVersion', 'platform']);
    const metric = parsed.scenarios[1].cases[0].metrics.recordsPerSec;
    expect(Object.keys(metric).sort()).toEqual(['max', 'median', 'min', 'samples', 'spreadPct']);
    expect(metric.samples).toHaveLength(3);
  });
});

describe('HTML report', () => {
  for (const [name, report] of [['a full run', sampleReport()], ['a run with no data', emptyReport()]] as const) {
    it(`is self-contained and has an <svg> for every chart (${name})`, () => {
      const html = renderHtml(report);
      expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
      expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(CHART_IDS.length);
      for (const id of CHART_IDS) expect(html).toContain(`id="${id}"`);
    });
  }

  it('draws data where there is data and says so where there is none', () => {
    const charts = buildCharts(sampleReport());
    expect(charts.map((c) => c.id)).toEqual(CHART_IDS);
    for (const chart of charts) expect(chart.svg).not.toContain('no data in this run');
    for (const chart of buildCharts(emptyReport())) expect(chart.svg).toContain('no data in this run');
  });

  it('escapes text from the run', () => {
    const html = renderHtml(sampleReport());
    expect(html).toContain('a note &lt;with&gt; markup &amp; ampersand');
    expect(html).not.toContain('<with>');
  });
});

describe('terminal table and targets', () => {
  it('prints every scenario and case with median and spread', () => {
    const text = renderReport({ ...sampleReport(), targets: evaluateTargets(sampleReport()) });
    expect(text).toContain('== produce');
    expect(text).toContain('1p/acks=1/100B');
    expect(text).toMatch(/950 krec\/s ±5\.\d%/);
  });

  it('judges each target from the figures: met, missed, or informational', () => {
    const byId = Object.fromEntries(evaluateTargets(sampleReport()).map((t) => [t.id, t]));
    expect(byId['produce-1p-100B'].status).toBe('missed');
    expect(byId['consume-sendfile-100B'].status).toBe('met');
    expect(byId['consume-64KiB-ceiling'].status).toBe('met');
    expect(byId['consume-64KiB-ceiling'].detail).toContain('(wire/native-sendfile/');
    expect(byId['consume-64KiB-sdk'].status).toBe('met');
    expect(byId['cpu-sendfile-vs-copy'].status).toBe('met');
    expect(byId['native-sweep'].status).toBe('info');
    expect(byId['latency-10k-p99'].status).toBe('met');
  });

  it('warns when the load average shows other work competing for the CPUs', () => {
    expect(renderReport(sampleReport())).not.toContain('WARNING');
    const busy = sampleReport();
    busy.machine.loadAverageMax = 6;
    expect(renderReport(busy)).toContain('WARNING: the machine was busy');
    expect(renderHtml(busy)).toContain('the machine was busy');
  });

  it('judges the defaults against three times the best peer figure, at both sizes', () => {
    const r = sampleReport();
    const peerCase = (phase: string, recordBytes: number, metric: string, v: number) => ({ id: `${phase}/${recordBytes}`, label: `${phase} ${recordBytes}`, params: { phase, recordBytes }, metrics: { [metric]: { median: v, min: v, max: v, spreadPct: 0, samples: [v] } } });
    r.scenarios.push({
      name: 'defaults',
      title: 'defaults',
      durationMs: 1,
      columns: [],
      notes: [],
      cases: [peerCase('produce', 100, 'recordsPerSec', 1.5e6), peerCase('consume', 100, 'recordsPerSec', 3.9e6), peerCase('produce', 1024, 'bytesPerSec', 412e6), peerCase('consume', 1024, 'bytesPerSec', 1.2e9)],
    });
    const byId = Object.fromEntries(evaluateTargets(r).map((t) => [t.id, t]));
    expect(byId['defaults-produce-100B']).toMatchObject({ status: 'met', description: 'SDK defaults, peer workload, produce 100 B: >= 3x the best peer (477 krec/s, RabbitMQ Streams)' });
    expect(byId['defaults-produce-100B'].detail).toMatch(/^1\.50 Mrec\/s vs >= 1\.43 Mrec\/s/);
    expect(byId['defaults-consume-100B'].status).toBe('missed');
    expect(byId['defaults-produce-1KiB'].status).toBe('met');
    expect(byId['defaults-consume-1KiB']).toMatchObject({ status: 'missed' });
    expect(byId['defaults-consume-1KiB'].detail).toMatch(/vs >= 1\.32 GB\/s/);
  });

  it('reports only the targets of scenarios that ran', () => {
    const r = sampleReport();
    r.scenarios = r.scenarios.filter((s) => s.name === 'produce');
    expect(evaluateTargets(r).map((t) => t.id)).toEqual(['produce-1p-100B']);
  });
});

describe('SG-DMA assumption, fsyncs and conclusions in the outputs', () => {
  const sgDma = { enabled: true, source: 'detected' as const, detail: 'loopback interface lo: scatter-gather on' };

  it('states the SG-DMA assumption in the terminal header and the HTML, n/a when the broker does not report it', () => {
    const r = sampleReport();
    expect(renderReport(r)).toContain('SG-DMA assumption: n/a (the broker does not report it)');
    expect(renderHtml(r)).toContain('n/a (the broker does not report it)');
    r.broker.sgDma = sgDma;
    const line = 'on (detected: loopback interface lo: scatter-gather on); sendfile counts 0 CPU copies (the NIC gathers straight from the page cache), modelled and native alike';
    expect(renderReport(r)).toContain(`SG-DMA assumption: ${line}`);
    expect(renderHtml(r)).toContain(line);
  });

  it('states each scenario\'s fsyncs, n/a when unknown, nothing for a scenario without a broker', () => {
    const r = sampleReport();
    r.scenarios[1].durability = { fsyncs: 12, fsyncBytes: 3e6, writeBackPages: 7, writeBackBytes: 28_672 };
    r.scenarios[2].durability = null;
    const text = renderReport(r);
    expect(text).toContain('== produce: produce (1.0 s; broker: 12 fsyncs covering 3.00 MB; simulated write-back 7 pages)');
    expect(text).toContain('== consume: consume (1.0 s; broker: fsyncs n/a (the broker does not report them))');
    expect(text).toContain('== limits: limits (1.0 s)\n');
    const html = renderHtml(r);
    expect(html).toContain('id="durability-produce"');
    expect(html).toContain('12 fsyncs covering 3.00 MB');
    expect(html).not.toContain('id="durability-limits"');
  });

  it('puts "What this run shows" first, before every table, and names no target by an issue number', () => {
    const r = { ...sampleReport(), conclusions: ['First finding.', 'Second finding.'], targets: evaluateTargets(sampleReport()) };
    const text = renderReport(r);
    expect(text.indexOf('== What this run shows\n- First finding.\n- Second finding.\n- Modelled vs real:')).toBeGreaterThan(0);
    expect(text.indexOf('== What this run shows')).toBeLessThan(text.indexOf('== limits'));
    expect(text).toContain('\n== targets\n');
    expect(text).not.toMatch(/issue #\d|\(#\d+\)/);
    const html = renderHtml(r);
    expect(html.indexOf('What this run shows')).toBeLessThan(html.indexOf('<table'));
    expect(html.indexOf('Modelled vs real')).toBeLessThan(html.indexOf('<table'));
    expect(html).not.toMatch(/issue #\d|\(#\d+\)/);
  });

  it('draws the classic table\'s sendfile copies under the run\'s SG-DMA assumption', () => {
    const chart = (r: ReturnType<typeof sampleReport>) => buildCharts(r).find((c) => c.id === 'copies-vs-model')!;
    const r = sampleReport();
    expect(chart(r).svg).toContain('sendfile / CPU copies (classic table): 1<');
    r.broker.sgDma = sgDma;
    expect(chart(r).svg).toContain('sendfile / CPU copies (classic table): 0<');
    expect(chart(r).svg).toContain('native-sendfile / CPU copies (classic table): 0<');
    expect(chart(r).caption).toContain('SG-DMA assumption of this run: on (detected');
  });

  it('marks unreliable cases in the terminal and HTML tables with the reason', () => {
    const r = sampleReport();
    r.scenarios[1].cases[0].caveats = ['short: measured for 0.10 s (under 0.5 s)'];
    expect(renderReport(r)).toContain('1p/acks=1/100B (!)');
    expect(renderReport(r)).toContain('  (!) 1p/acks=1/100B: short: measured for 0.10 s (under 0.5 s)');
    expect(renderHtml(r)).toContain('<tr class="unreliable"><td title="unreliable: short: measured for 0.10 s (under 0.5 s)">1p/acks=1/100B</td>');
  });
});

describe('withDurability', () => {
  function broker(counts: Array<number | null>) {
    let call = 0;
    const stopped: string[] = [];
    const handle = {
      stats: async () => {
        const n = counts[Math.min(call++, counts.length - 1)];
        return n === null ? { modes: {} } : { durability: { fsyncs: n, fsyncBytes: n * 10, writeBackPages: n, writeBackBytes: 0 } };
      },
      stop: async () => {
        stopped.push('stopped');
      },
    } as unknown as BrokerHandle;
    return { handle, stopped };
  }

  it('adds each broker\'s fsyncs over its life in the scenario, then stops it', async () => {
    const out = { name: 's', title: 's', durationMs: 0, columns: [], cases: [], notes: [] } as ScenarioResult;
    const a = broker([5]);
    await withDurability(a.handle, { fsyncs: 2, fsyncBytes: 20, writeBackPages: 2, writeBackBytes: 0 }, out).stop();
    const b = broker([4]);
    await withDurability(b.handle, { fsyncs: 0, fsyncBytes: 0, writeBackPages: 0, writeBackBytes: 0 }, out).stop();
    expect(out.durability).toEqual({ fsyncs: 7, fsyncBytes: 70, writeBackPages: 7, writeBackBytes: 0 });
    expect([...a.stopped, ...b.stopped]).toEqual(['stopped', 'stopped']);
  });

  it('is unknown once one broker does not report durability', async () => {
    const out = { name: 's', title: 's', durationMs: 0, columns: [], cases: [], notes: [] } as ScenarioResult;
    await withDurability(broker([null]).handle, null, out).stop();
    expect(out.durability).toBeNull();
  });
});
