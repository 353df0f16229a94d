// Proves the report outputs: the JSON keeps its documented shape (Infinity as a string), the HTML opens offline (nothing fetched, no script) with one <svg> per chart even when a run has no data, and targets are judged from the figures.
import { describe, expect, it } from 'vitest';
import { reportJson } from '../../bench/main.ts';
import { buildCharts } from '../../bench/report/charts.ts';
import { renderHtml } from '../../bench/report/html.ts';
import { renderReport } from '../../bench/report/table.ts';
import { evaluateTargets } from '../../bench/targets.ts';
import { REPORT_SCHEMA, type BenchReport } from '../../bench/types.ts';
import { sampleReport } from './fixture.ts';

const CHART_IDS = ['throughput-per-mode', 'cpu-per-gib', 'native-sweep-throughput', 'native-sweep-cpu', 'latency-percentiles', 'catch-up-hit-ratio', 'copies-vs-model', 'produce-throughput'];

function emptyReport(): BenchReport {
  return { ...sampleReport(), scenarios: [], ceilings: { loopbackBytesPerSec: null, loopbackCopyBytesPerSec: null, memcpyBytesPerSec: null, rttMsP99: null } };
}

describe('JSON', () => {
  it('has the documented top-level shape and keeps Infinity as a string', () => {
    const parsed = JSON.parse(reportJson(sampleReport()));
    expect(Object.keys(parsed).sort()).toEqual(['broker', 'ceilings', 'command', 'durationMs', 'machine', 'quick', 'repeats', 'scenarios', 'schema', 'startedAt', 'targets']);
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

  it('reports only the targets of scenarios that ran', () => {
    const r = sampleReport();
    r.scenarios = r.scenarios.filter((s) => s.name === 'produce');
    expect(evaluateTargets(r).map((t) => t.id)).toEqual(['produce-1p-100B']);
  });
});
