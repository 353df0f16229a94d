// Event-loop delay of a benchmark process (perf_hooks), readable over IPC:
// when a latency figure is high, this says whether the broker or the client
// was blocked (a synchronous fsync, a long GC pause) or just slow.

import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Sampling period of the delay monitor: fine enough for millisecond stalls. */
const RESOLUTION_MS = 1;

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

/** IPC handlers: reset before a measurement, read after it. */
export const loopDelayHandlers = {
  loopDelayReset: () => {
    histogram.reset();
    return null;
  },
  loopDelay: (): LoopDelay => ({
    p50Ms: histogram.percentile(50) / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    maxMs: histogram.max / 1e6,
  }),
};
