// Summary statistics for repeated measurements: the median and the spread of
// a few samples (a benchmark repeats each measurement, default 3 times), plus
// exact percentiles of a sorted sample for small series.
//
// Spread is the half range relative to the median, in percent:
// (max - min) / 2 / |median| * 100, so "1.20 M ±3%" means every sample fell
// within about 3% of the median. With one sample it is 0; with a zero median
// and unequal samples it is null (no meaningful ratio).

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Half range over |median|, in percent; null when the median is 0 and the samples differ. */
  spreadPct: number | null;
  /** Every sample, in measurement order. */
  samples: number[];
}

/** Median of a non-empty list: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Half range over |median| in percent (see the file comment). */
export function spreadPct(values: readonly number[]): number | null {
  const m = median(values);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi === lo) return 0;
  if (m === 0) return null;
  return ((hi - lo) / 2 / Math.abs(m)) * 100;
}

export function summarize(samples: readonly number[]): Summary {
  const finite = samples.filter((v) => Number.isFinite(v));
  if (finite.length === 0) throw new RangeError('summary of no finite samples');
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    spreadPct: spreadPct(finite),
    samples: [...finite],
  };
}

/** Summaries of one record of named figures per repeat: key -> summary over the repeats that have it. */
export function summarizeRuns(runs: ReadonlyArray<Record<string, number>>): Record<string, Summary> {
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  const out: Record<string, Summary> = {};
  for (const key of keys) {
    const values = runs.map((r) => r[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length > 0) out[key] = summarize(values);
  }
  return out;
}

/** Nearest-rank percentile (0 < p <= 100) of an ascending-sorted, non-empty list. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
