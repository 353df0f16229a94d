// Proves the page's rates: per-second increases between consecutive samples of
// cumulative counters, a counter reset skipped rather than drawn negative, a
// smoothed recent rate, and a hit ratio only when there were lookups.

import { describe, expect, it } from 'vitest';
import { rateSeries, recentRate, recentRatio, type Sample } from '../../../broker/web/src/rates.ts';

function sample(t: number, hits: number, misses: number): Sample {
  return { timestamp: t, modes: {}, pageCache: { hits, misses } as Sample['pageCache'], activity: null };
}

describe('rates', () => {
  const samples = [sample(0, 0, 0), sample(500, 50, 0), sample(1000, 150, 10), sample(1500, 20, 10), sample(2000, 70, 10), sample(2500, 70, 10)];
  const hits = (s: Sample) => s.pageCache.hits;
  const misses = (s: Sample) => s.pageCache.misses;

  it('turns consecutive totals into per-second rates and skips a reset', () => {
    expect(rateSeries(samples, hits)).toEqual([
      [500, 100],
      [1000, 200],
      [2000, 100],
      [2500, 0],
    ]);
  });

  it('averages over the recent window and gives no ratio without lookups', () => {
    expect(recentRate(samples, hits, 1000)).toBe(50); // 20 -> 70 over 1 s (1500..2500)
    expect(recentRate(samples.slice(0, 1), hits)).toBe(0);
    expect(recentRatio(samples.slice(-2), hits, misses)).toBeNull();
    expect(recentRatio(samples.slice(0, 3), hits, misses, 1000)).toBeCloseTo(150 / 160);
  });
});
