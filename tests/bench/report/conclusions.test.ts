// Proves "What this run shows" is computed from the figures: the winner per size (and ties within noise), what decoding costs (SDK vs wire consumer), where native-copy beats native-sendfile, what catch-up did to the cache, whether the machine was busy or the ceiling implausible, how many cases are unreliable, and the fsyncs each scenario ran (n/a when the broker does not count them).
import { describe, expect, it } from 'vitest';
import { markCaveats } from '../../../bench/reliability.ts';
import { conclusions, tied } from '../../../bench/report/conclusions.ts';
import { summarize } from '../../../bench/stats.ts';
import type { BenchReport, CaseResult } from '../../../bench/types.ts';
import { sampleReport } from '../fixture.ts';

function shows(r: BenchReport = sampleReport()): string[] {
  markCaveats(r);
  return conclusions(r);
}

const consumeCases = (r: BenchReport) => r.scenarios.find((s) => s.name === 'consume')!.cases;

describe('conclusions', () => {
  it('names the fastest mode per record and fetch size for each consumer, and the cheapest per GiB', () => {
    const line = shows().find((l) => l.startsWith('64 KiB records, 1 MiB fetches (warm)'));
    expect(line).toBe(
      '64 KiB records, 1 MiB fetches (warm): fastest with the SDK consumer: native-sendfile (3.00 GB/s); with the wire consumer: native-sendfile (4.50 GB/s); least broker CPU per GiB: native-copy (0.40 s/GiB).',
    );
  });

  it('calls a win within the spread of the repeats a tie', () => {
    const r = sampleReport();
    const wire = consumeCases(r).find((c) => c.id === 'wire/native-copy/warm/65536/1048576')!;
    wire.metrics.bytesPerSec = summarize([4.3e9, 4.4e9, 4.6e9]);
    expect(shows(r).find((l) => l.startsWith('64 KiB records, 1 MiB fetches'))).toContain('with the wire consumer: native-sendfile (4.50 GB/s), tied within noise with native-copy');
  });

  it('says what decoding costs: the SDK consumer against the wire consumer at the same setting', () => {
    expect(shows()).toContain('Client decoding: at 100 B records, 1 MiB fetches, native-sendfile, the SDK consumer reached 3.00 GB/s against the wire consumer\'s 4.50 GB/s (67%), using 100% of a core.');
  });

  it('says where native-copy beats native-sendfile, and where it never does', () => {
    const line = shows().find((l) => l.startsWith('Real system calls'))!;
    expect(line).toContain('native-copy was never faster than native-sendfile beyond noise (8 settings)');
    expect(line).toContain('it needed less broker CPU per GiB in 5 (');
    expect(line).toContain('1 MiB fetches of 64 KiB records, wire consumer: 0.40 vs 0.50 s/GiB');
    const r = sampleReport();
    const copy = consumeCases(r).find((c) => c.id === 'sweep/wire/native-copy/262144')!;
    copy.metrics.bytesPerSec = summarize([1.5e9, 1.45e9, 1.55e9]);
    expect(shows(r).find((l) => l.startsWith('Real system calls'))).toContain('native-copy was faster than native-sendfile in 1 of 8 settings (256 KiB fetches of 15 KiB records, wire consumer: 1.50 vs 1.00 GB/s)');
    // Figures of different magnitudes keep their own units.
    consumeCases(r).find((c) => c.id === 'sweep/wire/native-sendfile/4194304')!.metrics.bytesPerSec = summarize([395e6, 390e6, 400e6]);
    expect(shows(r).find((l) => l.startsWith('Real system calls'))).toContain('4 MiB fetches of 15 KiB records, wire consumer: 1.00 GB/s vs 395 MB/s');
  });

  it('reports what the catch-up replay did to the tail consumers\' cache hits, per policy', () => {
    expect(shows().find((l) => l.startsWith('Catch-up'))).toBe("Catch-up: the batching tail consumer's page-cache hit ratio was lru: 100.0% before, 20.0% during the replay; two-list: 100.0% before, 99.0% during the replay.");
    const r = sampleReport();
    const catchUp = r.scenarios.find((s) => s.name === 'catch-up')!;
    catchUp.cases.push({ id: 'lru/caught-up', label: 'x', params: { policy: 'lru', consumer: 'caught-up' }, metrics: { hitRatioDuring: summarize([1]), latencyMsP99Before: summarize([4]), latencyMsP99During: summarize([12]) } });
    expect(shows(r).find((l) => l.startsWith('Catch-up'))).toMatch(/The caught-up consumer's hit ratio during the replay stayed at 100%; its p99 latency went lru 4\.00 ms -> 12\.0 ms\.$/);
  });

  it('says whether the machine was quiet or busy', () => {
    expect(shows()[0]).toBe('The machine was quiet: 1-minute load average at most 0.9 on 2 cores.');
    const busy = sampleReport();
    busy.machine.loadAverageMax = 7;
    expect(shows(busy)[0]).toMatch(/^Busy machine: the machine was busy \(1-minute load average up to 7\.0 on 2 cores/);
  });

  it('warns when figures through loopback beat the loopback ceiling measured in the same run', () => {
    const line = shows().find((l) => l.startsWith('The loopback ceiling'));
    expect(line).toContain('(4.00 GB/s) was measured below');
    const r = sampleReport();
    r.ceilings.loopbackBytesPerSec = 100e9;
    for (const c of consumeCases(r)) c.metrics.pctLoopback = summarize([10]);
    expect(shows(r).some((l) => l.startsWith('The loopback ceiling'))).toBe(false);
  });

  it('counts the cases flagged unreliable and qualifies conclusions resting on them', () => {
    const r = sampleReport();
    consumeCases(r).find((c) => c.id === 'native-sendfile/warm/65536/1048576')!.metrics.spanSec = summarize([0.1]);
    const lines = shows(r);
    expect(lines).toContain('1 of 41 cases are flagged unreliable (too short, noisy or coarse; marked in the tables and drawn pale in the charts): read them as indications only.');
    expect(lines.find((l) => l.startsWith('64 KiB records, 1 MiB fetches'))).toMatch(/\(indicative only: some of these figures are flagged unreliable\)\.$/);
  });

  it('gives the fsyncs each scenario ran, or n/a when the broker does not count them', () => {
    const r = sampleReport();
    expect(shows(r).some((l) => l.includes('fsync'))).toBe(false);
    r.scenarios[1].durability = { fsyncs: 42, fsyncBytes: 1e6, writeBackPages: 0, writeBackBytes: 0 };
    r.scenarios[2].durability = { fsyncs: 0, fsyncBytes: 0, writeBackPages: 0, writeBackBytes: 0 };
    expect(shows(r)).toContain('Real fsyncs the broker ran (its own counters): produce 42, consume 0.');
    r.scenarios[1].durability = null;
    r.scenarios[2].durability = null;
    expect(shows(r)).toContain('fsyncs: n/a (the broker does not report durability counters).');
  });
});

describe('tied', () => {
  const c = (samples: number[]): CaseResult => ({ id: 'x', label: 'x', params: {}, metrics: { v: summarize(samples) } });
  it('compares ranges with repeats, and a 10% margin with one sample', () => {
    expect(tied(c([1, 2, 3]), c([2.5, 4, 5]), 'v')).toBe(true);
    expect(tied(c([1, 2, 3]), c([3.5, 4, 5]), 'v')).toBe(false);
    expect(tied(c([100]), c([95]), 'v')).toBe(true);
    expect(tied(c([100]), c([85]), 'v')).toBe(false);
  });
});
