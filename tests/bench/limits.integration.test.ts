// Proves a real `bench limits --quick` run end to end: two processes over loopback and memcpy produce a report with ceilings, cases and a complete HTML page (figures are never asserted, only their presence).
import { describe, expect, it } from 'vitest';
import { silentProgress } from '../../bench/progress.ts';
import { renderHtml } from '../../bench/report/html.ts';
import { runBench } from '../../bench/runner.ts';
import { selectScenarios } from '../../bench/main.ts';

describe('bench limits --quick', () => {
  it('measures the loopback and memcpy ceilings and reports them', async () => {
    const report = await runBench(selectScenarios(['limits']), { quick: true, repeats: 1, brokerAddress: null, progress: silentProgress, command: 'test' });
    expect(report.scenarios.map((s) => s.name)).toEqual(['limits']);
    const limits = report.scenarios[0];
    expect(limits.error).toBeUndefined();
    expect(limits.cases.map((c) => c.id)).toEqual(['loopback', 'loopback-copy', 'round-trip', 'memcpy']);
    for (const c of limits.cases) expect(Object.values(c.metrics)[0].samples).toHaveLength(1);
    expect(Object.keys(limits.cases[2].metrics).sort()).toEqual(['rttMsMax', 'rttMsP50', 'rttMsP99', 'rttMsP999']);
    expect(report.ceilings.loopbackBytesPerSec).toBeGreaterThan(0);
    expect(report.ceilings.memcpyBytesPerSec).toBeGreaterThan(0);
    expect(report.ceilings.rttMsP99).toBeGreaterThan(0);
    expect(report.targets).toEqual([]);
    expect(renderHtml(report)).toContain('loopback ceiling');
  }, 20_000);
});
