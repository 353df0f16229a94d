// Which Fetch to send while the previous response is still being handled
// (the Java consumer's pipelining: it sends the next fetch for a partition as
// soon as the last one's records are buffered, before the application has
// processed them).
//
// The prefetch assumes every handler of the current response runs to its end,
// so each partition will be at the offset after the response's last whole
// batch. That is a guess, and it is safe to guess wrong: a prefetched
// partition is delivered only if, when its turn comes, its position still
// holds the offset it was fetched from and its epoch (bumped by seek and
// assign) has not moved; otherwise the consumer drops it and fetches again
// from the real position (batch-channel.ts).
//
// No prefetch is sent when it would not pay or might mislead:
//   - a partition reported an error (the consumer resets or refreshes
//     metadata first);
//   - a partition returned bytes but no whole batch (its maxBytes is about to
//     grow; the same fetch would return the same partial batch);
//   - no partition has data beyond the prefetch offsets as far as the
//     response knows (highWatermark): the prefetch would be a long-poll,
//     holding the connection (requests on it are answered in order) until
//     maxWaitMs or new data, which a seek or the next fetch would wait behind.

import type { FetchedPartition } from './fetcher.ts';

/** What the prediction needs of a consumer's position. */
export interface PrefetchPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number | null;
}

/**
 * The offset to prefetch each of `positions` from, given the response
 * `fetched` they were fetched with, or null when no prefetch should be sent.
 */
export function prefetchOffsets<P extends PrefetchPosition>(positions: readonly P[], fetched: readonly FetchedPartition[]): Map<P, number> | null {
  const byPartition = new Map<string, FetchedPartition>();
  for (const f of fetched) byPartition.set(`${f.partition}\u0000${f.topic}`, f);
  const out = new Map<P, number>();
  let dataAhead = false;
  for (const p of positions) {
    if (p.offset === null) continue;
    const f = byPartition.get(`${p.partition}\u0000${p.topic}`);
    if (f === undefined || f.fetchOffset !== p.offset) {
      out.set(p, p.offset);
      continue;
    }
    if (f.errorCode !== 0) return null;
    if (f.nextOffset === f.fetchOffset && f.recordsBytes > 0) return null;
    out.set(p, f.nextOffset);
    if (f.nextOffset < f.highWatermark) dataAhead = true;
  }
  return dataAhead ? out : null;
}
