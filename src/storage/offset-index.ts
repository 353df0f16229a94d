// The sparse offset index of one segment (`<baseOffset>.index`, Kafka OffsetIndex.java).
//
//   entry (8 bytes, big-endian):
//     relativeOffset  int32  an offset minus the segment's base offset
//     position        int32  byte position in the .log of the batch holding that offset
//
// An entry is added when more than `indexIntervalBytes` were appended since the
// last one; it names the *last* offset of a batch and the position where that
// batch starts. Entries strictly increase in both fields. A lookup returns the
// last entry whose offset is <= the target (or the segment start when none
// is), and the reader scans batch headers forward from that position to the
// batch whose lastOffset >= target. There is no checksum: after an unclean
// shutdown the index is rebuilt from the log, and a loaded index is checked
// entry by entry before it is trusted.

import { assert } from '../errors.ts';
import { IndexFile, openIndexFile } from './index-file.ts';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
const POSITION_FIELD_OFFSET = 4;
/** Relative offsets and positions are int32. */
const INT32_MAX = 2 ** 31 - 1;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexFile {
  private constructor(o: { path: string; baseOffset: number; maxEntries: number; fd: number; mem?: Buffer; entries?: number }) {
    super({ ...o, entryBytes: OFFSET_INDEX_ENTRY_BYTES });
  }

  static create(o: { path: string; baseOffset: number; indexBytesMax: number }): OffsetIndex {
    const { fd } = openIndexFile(o.path, { create: true, maxBytes: o.indexBytesMax });
    return new OffsetIndex({ ...o, fd, maxEntries: maxEntries(o.indexBytesMax) });
  }

  /**
   * Opens an existing index and checks it against the log size. On a problem
   * (missing entries are fine; out-of-bounds or non-increasing ones are not)
   * the returned index is empty and `problem` says why: the caller rebuilds it.
   */
  static open(o: { path: string; baseOffset: number; indexBytesMax: number; logSizeBytes: number }): { index: OffsetIndex; problem: string | null } {
    const { fd, bytes } = openIndexFile(o.path, { create: false, maxBytes: o.indexBytesMax });
    const problem = bytes === null ? `is larger than ${o.indexBytesMax} bytes` : checkEntries(bytes, o.logSizeBytes);
    const base = { path: o.path, baseOffset: o.baseOffset, maxEntries: maxEntries(o.indexBytesMax), fd };
    if (problem !== null || bytes === null) {
      const index = new OffsetIndex(base);
      index.reset();
      return { index, problem };
    }
    return { index: new OffsetIndex({ ...base, mem: bytes, entries: bytes.length / OFFSET_INDEX_ENTRY_BYTES }), problem: null };
  }

  get entryBytes(): number {
    return OFFSET_INDEX_ENTRY_BYTES;
  }

  /** Adds (offset, position); both must be above the last entry's. Throws LIMIT_EXCEEDED when full. */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= INT32_MAX, `offset ${offset} is not int32-relative to segment ${this.baseOffset}`);
    assert(position >= 0 && position <= INT32_MAX, `index position ${position} is not an int32`);
    if (this.count > 0) {
      const last = this.entry(this.count - 1);
      assert(offset > last.offset, `offset index ${this.path}: offset ${offset} is not above the last entry ${last.offset}`);
      assert(position > last.position, `offset index ${this.path}: position ${position} is not above the last entry ${last.position}`);
    }
    const at = this.reserve();
    const buf = this.entriesBuffer;
    buf.writeInt32BE(relative, at);
    buf.writeInt32BE(position, at + POSITION_FIELD_OFFSET);
  }

  entry(i: number): OffsetPosition {
    const at = i * OFFSET_INDEX_ENTRY_BYTES;
    const buf = this.entriesBuffer;
    return { offset: this.baseOffset + buf.readInt32BE(at), position: buf.readInt32BE(at + POSITION_FIELD_OFFSET) };
  }

  /** The last entry, or (baseOffset, 0) when the index is empty. */
  lastEntry(): OffsetPosition {
    return this.count === 0 ? { offset: this.baseOffset, position: 0 } : this.entry(this.count - 1);
  }

  /** Position to start a forward scan for `target`: the last entry with offset <= target, else the segment start. */
  lookup(target: number): OffsetPosition {
    const i = this.floorIndex(target, false);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i);
  }

  /** `lookup(target).position` without building an object (the fetch hot path). */
  lookupPosition(target: number): number {
    const i = this.floorIndex(target, false);
    return i < 0 ? 0 : this.entriesBuffer.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + POSITION_FIELD_OFFSET);
  }

  /** The position of the last entry at or before byte `position` (a batch start), or 0: where a scan for the last batch boundary before `position` starts. */
  floorPosition(position: number): number {
    if (this.count === 0) return 0;
    const buf = this.entriesBuffer;
    let lo = 0;
    let hi = this.count - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = buf.readInt32BE(mid * OFFSET_INDEX_ENTRY_BYTES + POSITION_FIELD_OFFSET);
      if (p <= position) {
        found = p;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops the entries with offset >= `offset` (the log is being truncated there). */
  truncateTo(offset: number): void {
    const i = this.floorIndex(offset, true);
    this.truncateToEntries(i + 1);
  }

  protected keyAt(i: number): number {
    return this.baseOffset + this.entriesBuffer.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
  }
}

function maxEntries(indexBytesMax: number): number {
  return Math.floor(indexBytesMax / OFFSET_INDEX_ENTRY_BYTES);
}

/** Why a loaded index cannot be trusted, or null: whole entries, in bounds, strictly increasing. */
function checkEntries(bytes: Buffer, logSizeBytes: number): string | null {
  if (bytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return `size ${bytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`;
  let lastRelative = -1;
  let lastPosition = -1;
  for (let at = 0; at < bytes.length; at += OFFSET_INDEX_ENTRY_BYTES) {
    const relative = bytes.readInt32BE(at);
    const position = bytes.readInt32BE(at + POSITION_FIELD_OFFSET);
    const i = at / OFFSET_INDEX_ENTRY_BYTES;
    if (relative <= lastRelative) return `entry ${i}: relative offset ${relative} is not above ${lastRelative}`;
    if (position <= lastPosition || position >= logSizeBytes) return `entry ${i}: position ${position} is out of order or past the log end ${logSizeBytes}`;
    lastRelative = relative;
    lastPosition = position;
  }
  return null;
}
