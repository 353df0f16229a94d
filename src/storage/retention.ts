// Which segments retention deletes (Kafka UnifiedLog.deleteOldSegments): a
// prefix of the closed segments, never the active one, taken from the oldest
//   - by time: while now - the segment's largest timestamp > retentionMs;
//   - then by size: while the log without the next segment would still hold
//     at least retentionBytes (Kafka's rule: `size - retentionBytes >=
//     segment size`);
//   - then below the log start: while the next segment starts at or below the
//     log start offset a DeleteRecords set (all its records are gone).
// -1 disables a rule. Deleting them, and what follows, is the log's job.

import { assert } from '../errors.ts';

/** What retention reads of a segment. */
export interface RetainedSegment {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** The newest record time (or the file's mtime when no batch had one). */
  readonly largestTimestamp: number;
}

export interface RetentionRules {
  nowMs: number;
  retentionMs: number;
  retentionBytes: number;
  /** The log start offset DeleteRecords set (0 when never). */
  startOffset: number;
}

/** How many of the oldest segments to delete; the last segment (the active one) is never counted. */
export function segmentsToDelete(segments: readonly RetainedSegment[], o: RetentionRules): number {
  const closed = segments.length - 1;
  let count = 0;
  if (o.retentionMs >= 0) while (count < closed && o.nowMs - segments[count].largestTimestamp > o.retentionMs) count++;
  if (o.retentionBytes >= 0) {
    let excess = -o.retentionBytes;
    for (const s of segments) excess += s.sizeBytes;
    for (let i = 0; i < count; i++) excess -= segments[i].sizeBytes;
    while (count < closed && excess - segments[count].sizeBytes >= 0) excess -= segments[count++].sizeBytes;
  }
  while (count < closed && segments[count + 1].baseOffset <= o.startOffset) count++;
  assert(count >= 0 && count <= closed, `retention chose ${count} of ${closed} closed segments`);
  return count;
}
