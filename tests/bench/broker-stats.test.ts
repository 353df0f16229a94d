// Proves the benchmark reads the broker's SG-DMA assumption and durability counters from its stats, tolerates an older broker that reports neither (null, shown as n/a), and adds up per-scenario differences, an unknown part making the sum unknown.
import { describe, expect, it } from 'vitest';
import { durabilityDelta, durabilityOf, durabilitySum, sgDmaOf } from '../../bench/broker-stats.ts';

const d = (fsyncs: number, fsyncBytes = 0, writeBackPages = 0, writeBackBytes = 0) => ({ fsyncs, fsyncBytes, writeBackPages, writeBackBytes });

describe('broker stats', () => {
  it('reads sgDma when it has the documented shape, else null', () => {
    expect(sgDmaOf({ sgDma: { enabled: true, source: 'detected', detail: 'loopback interface lo: scatter-gather on' } })).toEqual({ enabled: true, source: 'detected', detail: 'loopback interface lo: scatter-gather on' });
    expect(sgDmaOf({ modes: {}, pageCache: {} })).toBeNull();
    expect(sgDmaOf({ sgDma: { enabled: 'yes', source: 'flag' } })).toBeNull();
    expect(sgDmaOf({ sgDma: { enabled: false, source: 'guessed' } })).toBeNull();
    expect(sgDmaOf(null)).toBeNull();
  });

  it('reads the durability counters when all four are numbers, else null', () => {
    expect(durabilityOf({ durability: d(3, 4096, 1, 4096) })).toEqual(d(3, 4096, 1, 4096));
    expect(durabilityOf({ durability: { fsyncs: 3 } })).toBeNull();
    expect(durabilityOf({})).toBeNull();
  });

  it('subtracts and adds counters, unknown when a side is unknown', () => {
    expect(durabilityDelta(d(3, 10), d(5, 30))).toEqual(d(2, 20));
    expect(durabilityDelta(null, d(5))).toBeNull();
    expect(durabilitySum(d(1, 2, 3, 4), d(1, 1, 1, 1))).toEqual(d(2, 3, 4, 5));
    expect(durabilitySum(d(1), null)).toBeNull();
  });
});
