// Proves the rules that flag a figure unreliable: a repeat measured under half a second, repeats spread over 25%, a per-GiB CPU figure made of under 10 ticks, and a loopback copy far slower than the loopback and memcpy ceilings predict; a sound case gets no caveat.
import { describe, expect, it } from 'vitest';
import { caseCaveats, markCaveats } from '../../bench/reliability.ts';
import { summarize } from '../../bench/stats.ts';
import type { CaseResult } from '../../bench/types.ts';
import { sampleReport } from './fixture.ts';

function c(metrics: Record<string, number[]>, id = 'x'): CaseResult {
  return { id, label: id, params: {}, metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, summarize(v)])) };
}

describe('caseCaveats', () => {
  it('passes a case measured long enough, with agreeing repeats and enough CPU ticks', () => {
    expect(caseCaveats(c({ spanSec: [2, 2.1, 2], bytesPerSec: [1e9, 1.1e9, 1.05e9], brokerCpuSec: [0.5, 0.5, 0.5], brokerCpuSecPerGiB: [0.5, 0.5, 0.5] }))).toEqual([]);
  });

  it('flags a repeat shorter than half a second', () => {
    expect(caseCaveats(c({ spanSec: [2, 0.3], bytesPerSec: [1e9, 1e9] }))).toEqual(['short: measured for 0.30 s (under 0.5 s)']);
  });

  it('flags repeats of a headline figure that disagree by more than ±25%', () => {
    expect(caseCaveats(c({ spanSec: [2, 2, 2], bytesPerSec: [1e9, 2e9, 1.5e9] }))).toEqual(['noisy: bytesPerSec spread ±33% over 3 repeats (over 25%)']);
    expect(caseCaveats(c({ spanSec: [2, 2], clientCpuPct: [10, 90] }))).toEqual([]);
  });

  it('flags a per-GiB CPU figure made of fewer than ten 10 ms ticks', () => {
    expect(caseCaveats(c({ spanSec: [1], brokerCpuSec: [0.04], brokerCpuSecPerGiB: [0.4] }))).toEqual(['coarse CPU: 4 ticks of 10 ms behind the per-GiB figure (under 10)']);
  });

  it('flags a loopback copy measured far below what the loopback and memcpy ceilings predict', () => {
    const ceilings = { loopbackBytesPerSec: 4e9, memcpyBytesPerSec: 10e9, loopbackCopyBytesPerSec: 0.5e9, rttMsP99: 0.2 };
    expect(caseCaveats(c({ bytesPerSec: [0.5e9] }, 'loopback-copy'), { ceilings })[0]).toMatch(/^implausible: 0\.50 GB\/s is under half of the 2\.86 GB\/s/);
    expect(caseCaveats(c({ bytesPerSec: [3e9] }, 'loopback-copy'), { ceilings })).toEqual([]);
  });
});

describe('markCaveats', () => {
  it('sets caveats on flagged cases only', () => {
    const r = sampleReport();
    const consume = r.scenarios.find((s) => s.name === 'consume')!;
    consume.cases[0].metrics.spanSec = summarize([0.1]);
    markCaveats(r);
    expect(consume.cases[0].caveats).toEqual(['short: measured for 0.10 s (under 0.5 s)']);
    expect(consume.cases[1].caveats).toBeUndefined();
  });
});
