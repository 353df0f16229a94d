// One clock for every benchmark process: milliseconds since the Unix epoch
// with sub-millisecond resolution (performance.timeOrigin + performance.now()).
// It is monotonic within a process and comparable across processes on one
// host to within the skew of their time origins (well under a millisecond),
// which is what phase boundaries between processes need.

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
