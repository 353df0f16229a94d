// Proves the runner's summary math: median of odd and even counts, spread as half range over the median, percentiles and per-key summaries over repeats.
import { describe, expect, it } from 'vitest';
import { median, percentileSorted, spreadPct, summarize, summarizeRuns } from '../../bench/stats.ts';

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the two middle values of an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('spread', () => {
  it('is half the range over the median, in percent', () => {
    expect(spreadPct([90, 100, 110])).toBeCloseTo(10);
    expect(spreadPct([100, 100, 100])).toBe(0);
  });

  it('is null when the median is zero but the samples differ', () => {
    expect(spreadPct([-1, 0, 1])).toBeNull();
  });
});

describe('summarize', () => {
  it('keeps median, min, max, spread and every sample in order', () => {
    expect(summarize([120, 100, 110])).toEqual({ median: 110, min: 100, max: 120, spreadPct: (10 / 110) * 100, samples: [120, 100, 110] });
  });

  it('ignores non-finite samples and refuses when none is left', () => {
    expect(summarize([NaN, 5, Infinity]).samples).toEqual([5]);
    expect(() => summarize([NaN])).toThrow(RangeError);
  });

  it('summarizes each key over the repeats that reported it', () => {
    const s = summarizeRuns([{ a: 1, b: 10 }, { a: 3 }, { a: 2, b: NaN }]);
    expect(s.a.median).toBe(2);
    expect(s.b.samples).toEqual([10]);
    expect(Object.keys(s).sort()).toEqual(['a', 'b']);
  });
});

describe('percentileSorted', () => {
  it('uses the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(xs, 50)).toBe(50);
    expect(percentileSorted(xs, 99)).toBe(99);
    expect(percentileSorted(xs, 100)).toBe(100);
    expect(percentileSorted([5], 99.9)).toBe(5);
  });
});
