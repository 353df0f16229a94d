// The sparse time index of one segment (`<baseOffset>.timeindex`, Kafka TimeIndex.java).
//
//   entry (12 bytes, big-endian):
//     timestamp       int64  the largest record timestamp appended so far in the segment
//     relativeOffset  int32  offset of the batch holding that timestamp, minus the base offset
//
// Entries are added alongside offset-index entries, and only when the largest
// timestamp grew, so timestamps strictly increase and offsets never decrease.
// An entry (T, O) therefore says: every batch appended up to that point has
// maxTimestamp <= T, and the one at O reached T. A closing segment appends one
// final entry for its largest timestamp, so the last entry is the segment's
// largest timestamp (what time-based retention reads). Like the offset index it
// has no checksum and is rebuilt or checked before it is trusted.

import { assert } from '../errors.ts';
import { readInt64, writeInt64 } from '../record/int64.ts';
import { IndexFile, openIndexFile } from './index-file.ts';

export const TIME_INDEX_ENTRY_BYTES = 12;
const OFFSET_FIELD_OFFSET = 8;
const INT32_MAX = 2 ** 31 - 1;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexFile {
  private constructor(o: { path: string; baseOffset: number; maxEntries: number; fd: number; mem?: Buffer; entries?: number }) {
    super({ ...o, entryBytes: TIME_INDEX_ENTRY_BYTES });
  }

  static create(o: { path: string; baseOffset: number; indexBytesMax: number }): TimeIndex {
    const { fd } = openIndexFile(o.path, { create: true, maxBytes: o.indexBytesMax });
    return new TimeIndex({ ...o, fd, maxEntries: maxEntries(o.indexBytesMax) });
  }

  /** Opens an existing index; on a problem it comes back empty with the reason, to be rebuilt. */
  static open(o: { path: string; baseOffset: number; indexBytesMax: number }): { index: TimeIndex; problem: string | null } {
    const { fd, bytes } = openIndexFile(o.path, { create: false, maxBytes: o.indexBytesMax });
    const problem = bytes === null ? `is larger than ${o.indexBytesMax} bytes` : checkEntries(bytes);
    const base = { path: o.path, baseOffset: o.baseOffset, maxEntries: maxEntries(o.indexBytesMax), fd };
    if (problem !== null || bytes === null) {
      const index = new TimeIndex(base);
      index.reset();
      return { index, problem };
    }
    return { index: new TimeIndex({ ...base, mem: bytes, entries: bytes.length / TIME_INDEX_ENTRY_BYTES }), problem: null };
  }

  get entryBytes(): number {
    return TIME_INDEX_ENTRY_BYTES;
  }

  /**
   * Adds (timestamp, offset) when `timestamp` is above the last entry's;
   * otherwise does nothing. `skipFullCheck` lets a closing segment add its
   * final entry to a full index (as Kafka's onBecomeInactiveSegment does).
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    if (this.count > 0) {
      const last = this.entry(this.count - 1);
      if (timestamp <= last.timestamp) return;
      assert(offset >= last.offset, `time index ${this.path}: offset ${offset} is below the last entry ${last.offset}`);
    }
    if (this.isFull && skipFullCheck && this.count > 0) {
      // A full index has no room left in the file's budget: overwrite the last entry instead.
      this.dropLastForOverwrite();
    }
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= INT32_MAX, `offset ${offset} is not int32-relative to segment ${this.baseOffset}`);
    const at = this.reserve(skipFullCheck);
    const buf = this.entriesBuffer;
    writeInt64(buf, at, timestamp);
    buf.writeInt32BE(relative, at + OFFSET_FIELD_OFFSET);
  }

  entry(i: number): TimestampOffset {
    const at = i * TIME_INDEX_ENTRY_BYTES;
    const buf = this.entriesBuffer;
    return { timestamp: readInt64(buf, at), offset: this.baseOffset + buf.readInt32BE(at + OFFSET_FIELD_OFFSET) };
  }

  /** The last entry, or null when empty. */
  lastEntry(): TimestampOffset | null {
    return this.count === 0 ? null : this.entry(this.count - 1);
  }

  /**
   * Where to start looking for the first batch with maxTimestamp >= `target`:
   * the last entry with timestamp strictly below it (everything up to its
   * offset is older than the target), else the segment start. Strictly below,
   * not Kafka's <=, so an earlier batch with a timestamp equal to the target is
   * never skipped.
   */
  lookup(target: number): TimestampOffset {
    const i = this.floorIndex(target, true);
    return i < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(i);
  }

  /** Drops the entries with offset >= `offset` (the log is being truncated there). */
  truncateTo(offset: number): void {
    let keep = this.count;
    while (keep > 0 && this.entry(keep - 1).offset >= offset) keep--;
    this.truncateToEntries(keep);
  }

  protected keyAt(i: number): number {
    return readInt64(this.entriesBuffer, i * TIME_INDEX_ENTRY_BYTES);
  }
}

function maxEntries(indexBytesMax: number): number {
  return Math.floor(indexBytesMax / TIME_INDEX_ENTRY_BYTES);
}

/** Why a loaded time index cannot be trusted, or null: whole entries, timestamps increasing, offsets non-decreasing. */
function checkEntries(bytes: Buffer): string | null {
  if (bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return `size ${bytes.length} is not a multiple of ${TIME_INDEX_ENTRY_BYTES}`;
  let lastTimestamp = -Infinity;
  let lastRelative = 0;
  for (let at = 0; at < bytes.length; at += TIME_INDEX_ENTRY_BYTES) {
    const timestamp = readInt64(bytes, at);
    const relative = bytes.readInt32BE(at + OFFSET_FIELD_OFFSET);
    const i = at / TIME_INDEX_ENTRY_BYTES;
    if (timestamp <= lastTimestamp) return `entry ${i}: timestamp ${timestamp} is not above ${lastTimestamp}`;
    if (relative < lastRelative) return `entry ${i}: relative offset ${relative} is below ${lastRelative}`;
    lastTimestamp = timestamp;
    lastRelative = relative;
  }
  return null;
}
