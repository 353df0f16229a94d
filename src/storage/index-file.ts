// The part both sparse indexes share: fixed-size big-endian entries kept in
// process memory and mirrored to a file.
//
// Kafka mmaps its index files, so an entry is in the OS page cache the moment
// it is written and reaches disk on flush. Node cannot mmap, so copyless keeps
// the entries in a growable in-memory buffer laid out exactly like the file and
// writes the unwritten tail to the file on `sync` (segment flush, roll, close).
// The one in-place change, a full time index replacing its last entry with the
// segment's final one, moves that tail back so the entry is written again.
// A crash can therefore lose index entries written after the last flush, which
// is harmless: an index is never trusted past the recovery point (the segment
// holding it is re-scanned and its indexes rebuilt), and a short index only
// means a longer forward scan.
//
// Files hold exactly `entries * entryBytes` bytes: no preallocation, so no
// trimming either (Kafka preallocates to segment.index.bytes and trims on roll).
//
// Unloading (Kafka's LazyIndex opens and mmaps an index on first use, and the
// OS may evict its pages): once an index is sealed (closed, or closing after
// a roll) and every entry is in the file, `unload` drops the in-memory copy,
// keeping only the entry count and a CRC-32C of the bytes. The next lookup
// reads the file back whole and checks both, so a file changed on disk since
// copyless wrote it is a KAFKA_STORAGE_ERROR, never a wrong position. Which
// indexes are unloaded, and when, is decided per log (segment-indexes.ts).

import fs from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import { assert, limitError } from '../errors.ts';
import { fdatasyncAsync, io, storageError } from './file-io.ts';

/** First in-memory capacity; it doubles up to maxEntries. */
const INITIAL_CAPACITY_ENTRIES = 64;

/**
 * Kafka's AbstractIndex searches the newest 8 KiB of entries first, because
 * lookups from caught-up readers land there and the older pages of an mmapped
 * index may have been evicted (KAFKA-6432). Here the whole index is in process
 * memory, so the gain is only a smaller search range for the common case; the
 * split is kept because it is cheap and it mirrors Kafka's access pattern.
 */
export const WARM_SECTION_BYTES = 8192;

export abstract class IndexFile {
  readonly path: string;
  readonly baseOffset: number;
  readonly maxEntries: number;
  /** The entries as laid out in the file (grown by doubling while appended), or null while unloaded. */
  private mem: Buffer | null;
  protected count = 0;
  private fd: number;
  /** CRC-32C of the entries when they were unloaded: a reload must read these bytes back. */
  private unloadedCrc = 0;
  /** Entries already written to the file. */
  private writtenEntries = 0;
  /** closeDurably is running: its fdatasync is on the threadpool and it will close the fd itself. */
  private closing = false;

  protected constructor(o: { path: string; baseOffset: number; maxEntries: number; entryBytes: number; fd: number; mem?: Buffer; entries?: number }) {
    this.path = o.path;
    this.baseOffset = o.baseOffset;
    this.maxEntries = o.maxEntries;
    this.fd = o.fd;
    this.mem = o.mem ?? Buffer.alloc(INITIAL_CAPACITY_ENTRIES * o.entryBytes);
    this.count = o.entries ?? 0;
    this.writtenEntries = this.count;
  }

  abstract get entryBytes(): number;

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** Bytes the index occupies once synced. */
  get sizeBytes(): number {
    return this.count * this.entryBytes;
  }

  /** Bytes of process memory the entries take now: 0 while unloaded. */
  get memoryBytes(): number {
    return this.mem?.length ?? 0;
  }

  /** The entries, read back from the file first if they were unloaded. */
  protected get entriesBuffer(): Buffer {
    return this.mem ?? this.reload();
  }

  /**
   * Drops the in-memory entries of a sealed index (closed, or closing after a
   * roll: it takes no more entries) whose entries are all in its file; the
   * next lookup reloads them. An index still open for entries, or one whose
   * last write failed (entries the file lacks), stays loaded: returns false.
   */
  unload(): boolean {
    if (this.mem === null) return true;
    if (!(this.fd < 0 || this.closing) || this.writtenEntries !== this.count) return false;
    this.unloadedCrc = crc32c(this.mem.subarray(0, this.count * this.entryBytes)) >>> 0;
    this.mem = null;
    return true;
  }

  /** Reads an unloaded index back, checking it is byte for byte what was unloaded. */
  private reload(): Buffer {
    const bytes = io('load', this.path, () => fs.readFileSync(this.path));
    const expected = this.count * this.entryBytes;
    if (bytes.length !== expected || crc32c(bytes) >>> 0 !== this.unloadedCrc) {
      throw storageError('load', this.path, new Error(`the index changed on disk since it was written (${bytes.length} bytes, ${expected} expected, or a CRC mismatch)`));
    }
    this.mem = bytes;
    return bytes;
  }

  /**
   * Drops the last entry so the next `reserve` overwrites it in place. If it
   * was already written, the next `sync` writes it again (else the file would
   * keep the old value while memory holds the new one).
   */
  protected dropLastForOverwrite(): void {
    assert(this.count > 0, `index ${this.path}: no entry to overwrite`);
    this.count--;
    if (this.writtenEntries > this.count) this.writtenEntries = this.count;
  }

  /** Reserves room for one more entry; `skipFullCheck` lets a closing segment add its final time entry. */
  protected reserve(skipFullCheck = false): number {
    if (this.count >= this.maxEntries && !skipFullCheck) {
      throw limitError('LIMIT_EXCEEDED', 'INDEX_BYTES_MAX', this.maxEntries * this.entryBytes, (this.count + 1) * this.entryBytes, `index ${this.path}`);
    }
    assert(this.mem !== null, 'no entry is added to an unloaded (sealed) index');
    const at = this.count * this.entryBytes;
    if (at + this.entryBytes > this.mem.length) {
      const grown = Buffer.alloc(Math.max(this.mem.length * 2, at + this.entryBytes));
      this.mem.copy(grown, 0, 0, at);
      this.mem = grown;
    }
    this.count++;
    return at;
  }

  /** Writes entries not yet in the file; with `durable`, fdatasyncs the file too. */
  sync(durable: boolean): void {
    if (this.writtenEntries < this.count) {
      assert(this.mem !== null, `index ${this.path}: unwritten entries of an unloaded index`);
      const from = this.writtenEntries * this.entryBytes;
      const to = this.count * this.entryBytes;
      let done = 0;
      while (done < to - from) done += fs.writeSync(this.fd, this.mem, from + done, to - from - done, from + done);
      this.writtenEntries = this.count;
    }
    if (durable) fs.fdatasyncSync(this.fd);
  }

  /** Keeps the first `entries` entries, in memory and in the file. */
  truncateToEntries(entries: number): void {
    assert(entries >= 0 && entries <= this.count, `index truncate to ${entries} of ${this.count}`);
    this.count = entries;
    if (this.writtenEntries > entries) {
      this.writtenEntries = entries;
      fs.ftruncateSync(this.fd, entries * this.entryBytes);
    }
  }

  reset(): void {
    this.count = 0;
    this.writtenEntries = 0;
    this.mem ??= Buffer.alloc(INITIAL_CAPACITY_ENTRIES * this.entryBytes);
    fs.ftruncateSync(this.fd, 0);
  }

  /** Writes what is pending and closes the file. */
  close(): void {
    if (this.fd < 0 || this.closing) return;
    this.sync(false);
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * A roll: writes what is pending, fdatasyncs off the event loop, then
   * closes. The fd stays open until then, so `syncWhileClosing` can still make
   * the file durable at once (a shutdown that cannot wait for the threadpool).
   */
  async closeDurably(): Promise<void> {
    if (this.fd < 0 || this.closing) return;
    this.sync(false);
    this.closing = true;
    try {
      await fdatasyncAsync(this.fd);
    } finally {
      fs.closeSync(this.fd);
      this.fd = -1;
      this.closing = false;
    }
  }

  /** While closeDurably waits for its fdatasync: one more fdatasync, now, on the same fd. */
  syncWhileClosing(): void {
    if (this.closing) fs.fdatasyncSync(this.fd);
  }

  /** Closes and removes the file (segment deletion); a closeDurably in flight closes the fd itself. */
  delete(): void {
    if (this.fd >= 0 && !this.closing) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    fs.rmSync(this.path, { force: true });
  }

  /**
   * Index of the last entry whose key is <= `target` (or < with `strict`),
   * -1 when there is none. `keyAt(i)` must increase with i.
   */
  protected floorIndex(target: number, strict: boolean): number {
    const warm = Math.floor(WARM_SECTION_BYTES / this.entryBytes);
    const n = this.count;
    if (n === 0) return -1;
    const warmStart = Math.max(0, n - warm);
    if (this.below(this.keyAt(warmStart), target, strict)) return this.search(warmStart, n - 1, target, strict);
    if (warmStart === 0) return -1;
    return this.search(0, warmStart - 1, target, strict);
  }

  private below(key: number, target: number, strict: boolean): boolean {
    return strict ? key < target : key <= target;
  }

  /** Binary search in [lo, hi] for the last key below target; lo may not qualify. */
  private search(lo: number, hi: number, target: number, strict: boolean): number {
    if (!this.below(this.keyAt(lo), target, strict)) return lo - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.below(this.keyAt(mid), target, strict)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The search key of entry `i`: absolute offset for the offset index, timestamp for the time index. */
  protected abstract keyAt(i: number): number;
}

/**
 * Opens an index file: empty for a new segment, or read whole for an existing
 * one. `bytes` is null when the file is larger than `maxBytes` (a corrupt
 * index: it is rebuilt rather than read).
 */
export function openIndexFile(path: string, o: { create: boolean; maxBytes: number }): { fd: number; bytes: Buffer | null } {
  if (o.create) return { fd: fs.openSync(path, 'w+'), bytes: Buffer.alloc(0) };
  const fd = fs.openSync(path, 'r+');
  const size = fs.fstatSync(fd).size;
  if (size > o.maxBytes) return { fd, bytes: null };
  const bytes = Buffer.alloc(size);
  let done = 0;
  while (done < size) {
    const n = fs.readSync(fd, bytes, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return { fd, bytes: bytes.subarray(0, done) };
}
