// Reads the few header fields of each stored batch that a streaming reader
// needs (where the next fetch starts) straight out of the page-cache views a
// fetch mode produced, without joining the views: a field may straddle two
// views, so each integer is read byte by byte across view boundaries.
//
// Batch layout used here (src/record/record-batch.ts owns it):
//   [0, 8)   baseOffset        int64
//   [8, 12)  batchLength       int32, bytes after this field
//   [23, 27) lastOffsetDelta   int32

import { BASE_OFFSET_OFFSET, BATCH_HEADER_BYTES, LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD_BYTES } from '../../src/record/record-batch.ts';

export interface ScannedBatches {
  /** baseOffset of the first whole batch, or null when there is none. */
  firstOffset: number | null;
  /** lastOffset + 1 of the last whole batch, or null when there is none. */
  nextOffset: number | null;
  batches: number;
  /** Bytes covered by whole batches (a reader drops a partial trailing batch, as Kafka clients do). */
  wholeBytes: number;
}

class ViewReader {
  private view = 0;
  private viewStart = 0;

  constructor(private readonly views: readonly Buffer[]) {}

  /** The byte at logical position `pos`. Reads mostly move forward, so the current view is kept between calls. */
  byte(pos: number): number {
    if (pos < this.viewStart) {
      this.view = 0;
      this.viewStart = 0;
    }
    while (pos >= this.viewStart + this.views[this.view].length) {
      this.viewStart += this.views[this.view].length;
      this.view++;
    }
    return this.views[this.view][pos - this.viewStart];
  }

  uint(pos: number, bytes: number): number {
    let v = 0;
    for (let i = 0; i < bytes; i++) v = v * 256 + this.byte(pos + i);
    return v;
  }

  int32(pos: number): number {
    return this.uint(pos, 4) | 0;
  }

  /** Offsets are below 2^53, so the high word times 2^32 plus the low word is exact. */
  int64(pos: number): number {
    return this.int32(pos) * 2 ** 32 + this.uint(pos + 4, 4);
  }
}

export function scanBatches(views: readonly Buffer[]): ScannedBatches {
  const total = views.reduce((n, v) => n + v.length, 0);
  const r = new ViewReader(views.filter((v) => v.length > 0));
  const out: ScannedBatches = { firstOffset: null, nextOffset: null, batches: 0, wholeBytes: 0 };
  let pos = 0;
  while (total - pos >= BATCH_HEADER_BYTES) {
    const base = r.int64(pos + BASE_OFFSET_OFFSET);
    const size = LOG_OVERHEAD_BYTES + r.int32(pos + LENGTH_OFFSET);
    if (size < BATCH_HEADER_BYTES || size > total - pos) break;
    out.firstOffset ??= base;
    out.nextOffset = base + r.int32(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
    out.batches++;
    pos += size;
    out.wholeBytes = pos;
  }
  return out;
}
