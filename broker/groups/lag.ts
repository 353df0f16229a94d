// Consumer lag of one partition: how far a group's committed position is
// behind the log end, in messages, in bytes, and in time.
//
//   lagMessages  logEndOffset - max(committed, logStartOffset); a group that
//                never committed (-1) starts at logStartOffset, as a consumer
//                with auto.offset.reset=earliest would.
//   lagBytes     bytes of the log from the batch holding the first unconsumed
//                offset to the end: the rest of that segment plus every later
//                segment. Batch granularity: a position inside a batch counts
//                the whole batch, which is what a consumer will fetch.
//   oldestUnconsumedAgeMs
//                now - baseTimestamp of that batch (its first record's
//                timestamp). Exact when the committed offset is a batch
//                boundary, as it is when consumers commit whole fetches.
//
// The batch is found by the log's own read (offset index, then a header scan
// of at most one index interval, through the simulated page cache: the path
// the group's next fetch takes anyway). A LogSlice is a byte range to serve,
// not bytes, so the batch's timestamp is then read with one pread(2) of its
// first BATCH_TIMESTAMPS_BYTES from the segment file.

import fs from 'node:fs';
import { BASE_TIMESTAMP_OFFSET, BATCH_TIMESTAMPS_BYTES } from '../../src/record/record-batch.ts';
import { readInt64 } from '../../src/record/int64.ts';
import type { PartitionLog, SegmentInfo } from '../../src/storage/log.ts';

/** What lag needs of a partition log: its range, a read that finds the batch at an offset, and each segment's base offset and size. */
export type LagSource = Pick<PartitionLog, 'logStartOffset' | 'logEndOffset' | 'read'> & {
  segments(): readonly Pick<SegmentInfo, 'baseOffset' | 'sizeBytes'>[];
};

export interface PartitionLag {
  logStartOffset: number;
  logEndOffset: number;
  lagMessages: number;
  lagBytes: number;
  oldestUnconsumedAgeMs: number | null;
}

/** Lag of a committed offset (-1 = nothing committed) against a partition log at time `nowMs`. */
export function partitionLag(log: LagSource, committedOffset: number, nowMs: number): PartitionLag {
  const logStartOffset = log.logStartOffset;
  const logEndOffset = log.logEndOffset;
  const position = Math.max(committedOffset, logStartOffset);
  const lagMessages = Math.max(0, logEndOffset - position);
  const out: PartitionLag = { logStartOffset, logEndOffset, lagMessages, lagBytes: 0, oldestUnconsumedAgeMs: null };
  if (lagMessages === 0) return out;
  let slice;
  try {
    slice = log.read(position, 1, { minOneBatch: true });
  } catch {
    return out; // the log moved under us (retention, truncation): report what is certain
  }
  if (!slice) return out;
  try {
    out.lagBytes = bytesFrom(log, slice.segmentBaseOffset, slice.position);
    const timestamp = readBaseTimestamp(slice.fd, slice.position);
    if (timestamp !== null) out.oldestUnconsumedAgeMs = Math.max(0, nowMs - timestamp);
  } finally {
    slice.release();
  }
  return out;
}

/** Bytes from `position` in the segment at `segmentBaseOffset` to the end of the log. */
function bytesFrom(log: LagSource, segmentBaseOffset: number, position: number): number {
  let bytes = 0;
  for (const s of log.segments()) {
    if (s.baseOffset === segmentBaseOffset) bytes += Math.max(0, s.sizeBytes - position);
    else if (s.baseOffset > segmentBaseOffset) bytes += s.sizeBytes;
  }
  return bytes;
}

function readBaseTimestamp(fd: number, position: number): number | null {
  const header = Buffer.alloc(BATCH_TIMESTAMPS_BYTES);
  try {
    if (fs.readSync(fd, header, 0, header.length, position) < header.length) return null;
  } catch {
    return null;
  }
  const ts = readInt64(header, BASE_TIMESTAMP_OFFSET);
  return ts >= 0 ? ts : null;
}
