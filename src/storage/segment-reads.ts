// Reads of one segment (Kafka LogSegment.read and findOffsetByTimestamp,
// FileRecords.searchForOffsetWithSize): lookups by offset and by time, and the
// byte range of whole batches a fetch serves. A lookup starts at an index
// entry (segment-indexes.ts) and reads batch headers forward through the
// simulated page cache, never record bytes; only a time lookup decodes the
// one batch it lands on. A size that cannot be right means the file changed
// under us: CORRUPT_MESSAGE, never an assert (it is what the disk holds).

import { CopylessError, assert } from '../errors.ts';
import {
  BATCH_HEADER_BYTES,
  BATCH_OFFSETS_BYTES,
  BATCH_TIMESTAMPS_BYTES,
  batchBaseOffset,
  batchLastOffset,
  batchMaxTimestamp,
  batchTotalBytes,
  decodeRecordBatch,
} from '../record/record-batch.ts';
import { storageError } from './file-io.ts';
import type { PageCache } from './page-cache.ts';
import type { SegmentIndexes } from './segment-indexes.ts';

/** The batch a lookup landed on. */
export interface BatchLocation {
  position: number;
  totalBytes: number;
  baseOffset: number;
}

/** Whole batches of one segment to serve: `length` bytes at `position`, the first batch starting at `firstOffset`. */
export interface SegmentRange {
  position: number;
  length: number;
  firstOffset: number;
}

/** What reads need of their segment's .log: its page-cache id, its name for errors, and its current size. */
export interface SegmentFile {
  readonly fileId: number;
  readonly logPath: string;
  readonly sizeBytes: number;
}

/**
 * Header bytes copied out of the page cache when they straddle two frames that
 * are not adjacent in memory; the common case reads them from one view.
 */
const headerScratch = Buffer.alloc(BATCH_TIMESTAMPS_BYTES);

export class SegmentReads {
  constructor(
    private readonly file: SegmentFile,
    private readonly indexes: SegmentIndexes,
    private readonly pageCache: PageCache,
  ) {}

  /**
   * `length` bytes at `position` through the page cache, as one view of the
   * cache frames when they are adjacent (the usual case) or copied into a
   * scratch buffer when they are not. Valid until the next cache operation.
   * `noReuse`: a lookup that must not count as an access (see PageCache ReadOptions).
   */
  private readHeader(position: number, length: number, noReuse = false): Buffer {
    const r = this.pageCache.read(this.file.fileId, position, length, { noReuse });
    if (r.length < length) throw storageError('read', this.file.logPath, new Error(`short read of ${r.length}/${length} bytes at ${position}`));
    if (r.views.length === 1) return r.views[0];
    let at = 0;
    for (const v of r.views) at += v.copy(headerScratch, at);
    return headerScratch;
  }

  /** A stored batch's size; a size that cannot be right means the file changed under us. */
  private checkedSize(h: Buffer, position: number): number {
    const totalBytes = batchTotalBytes(h, 0);
    if (totalBytes < BATCH_HEADER_BYTES || position + totalBytes > this.file.sizeBytes) {
      throw new CopylessError('CORRUPT_MESSAGE', `${this.file.logPath}: batch at ${position} claims ${totalBytes} bytes; the segment is corrupt`, { field: 'batchLength' });
    }
    return totalBytes;
  }

  /**
   * The batch holding `target`: the offset index gives a start position, then
   * batch headers are read forward (through the page cache) to the first
   * batch whose lastOffset >= target. Null when no batch in this segment has.
   */
  locate(target: number): BatchLocation | null {
    let position = this.indexes.lookupPosition(target);
    while (position < this.file.sizeBytes) {
      const h = this.readHeader(position, BATCH_OFFSETS_BYTES);
      const totalBytes = this.checkedSize(h, position);
      if (batchLastOffset(h, 0) >= target) return { position, totalBytes, baseOffset: batchBaseOffset(h, 0) };
      position += totalBytes;
    }
    return null;
  }

  /**
   * The byte range to serve for a fetch at `offset`: from the start of the
   * batch holding it, the whole batches that fit in `maxBytes`, never past this
   * segment. Kafka may end a fetch inside a batch, which clients drop and fetch
   * again; here every byte served is a byte a consumer keeps, so the bytes a
   * broker counts are the bytes consumers receive. KIP-74: with `minOneBatch`,
   * a first batch larger than `maxBytes` is still served whole; without it,
   * the range is empty.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean): SegmentRange | null {
    const at = this.locate(offset);
    if (!at) return null;
    const limit = Math.min(maxBytes, this.file.sizeBytes - at.position);
    const length = at.totalBytes > limit ? (minOneBatch ? at.totalBytes : 0) : this.wholeBatchesWithin(at, at.position + limit);
    assert(length >= 0 && at.position + length <= this.file.sizeBytes, 'a read range lies inside its segment');
    return { position: at.position, length, firstOffset: at.baseOffset };
  }

  /**
   * Bytes from the located batch to the last batch boundary at or before
   * `end` (the located batch fits). The offset index gives the last indexed
   * batch start at or before `end`, so the header scan covers at most about
   * indexIntervalBytes. Those header reads are lookups (noReuse): they must
   * not count as accesses, or every fetch would promote the pages around its
   * end to the active list.
   */
  private wholeBatchesWithin(at: BatchLocation, end: number): number {
    let position = Math.max(at.position + at.totalBytes, this.indexes.floorPosition(end));
    while (position + BATCH_OFFSETS_BYTES <= end) {
      const totalBytes = this.checkedSize(this.readHeader(position, BATCH_OFFSETS_BYTES, true), position);
      if (position + totalBytes > end) break;
      position += totalBytes;
    }
    return position - at.position;
  }

  /**
   * The first record with timestamp >= `ts` (Kafka findOffsetByTimestamp):
   * the time index narrows the start, headers are scanned to the first batch
   * with maxTimestamp >= ts, and that batch is decoded (inflated, whatever
   * its codec, as Kafka does on this path) to find the record. A batch that
   * cannot be decoded (corrupt) answers with its base offset and maxTimestamp.
   * Records below `minOffset` (the log start offset, which DeleteRecords may
   * move inside a segment) are skipped.
   */
  findByTimestamp(ts: number, minOffset = 0): { offset: number; timestamp: number } | null {
    const from = this.indexes.timeLookup(ts);
    let position = this.indexes.lookupPosition(from.offset);
    while (position < this.file.sizeBytes) {
      const h = this.readHeader(position, BATCH_TIMESTAMPS_BYTES);
      const totalBytes = this.checkedSize(h, position);
      const maxTimestamp = batchMaxTimestamp(h, 0);
      if (maxTimestamp >= ts && batchLastOffset(h, 0) >= minOffset) {
        const baseOffset = batchBaseOffset(h, 0);
        const found = this.firstRecordAtOrAfter(position, totalBytes, ts, minOffset);
        if (found !== 'none') return found ?? { offset: Math.max(baseOffset, minOffset), timestamp: maxTimestamp };
      }
      position += totalBytes;
    }
    return null;
  }

  /** The batch's first record at or after `ts` and `minOffset`; 'none' when it has none, null when it cannot be decoded. */
  private firstRecordAtOrAfter(position: number, totalBytes: number, ts: number, minOffset: number): { offset: number; timestamp: number } | 'none' | null {
    const r = this.pageCache.read(this.file.fileId, position, totalBytes);
    const bytes = r.views.length === 1 ? r.views[0] : Buffer.concat(r.views);
    try {
      const record = decodeRecordBatch(bytes).records.find((x) => x.timestamp >= ts && x.offset >= minOffset);
      return record ? { offset: record.offset, timestamp: record.timestamp } : 'none';
    } catch (e) {
      if (e instanceof CopylessError) return null;
      throw e;
    }
  }
}
