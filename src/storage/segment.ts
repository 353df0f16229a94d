// One segment of a partition log (Kafka LogSegment.java): a `.log` file of
// RecordBatch v2 bytes exactly as producers sent them (offsets patched), plus
// its sparse `.index` and `.timeindex`, all named by the segment's base offset
// as 20 zero-padded digits so `ls` sorts them numerically.
//
// Writes: an append pwrite(2)s the bytes to the .log at the segment's end (so
// they sit in the OS page cache, safe from a process crash) and copies them
// into the simulated page cache, where they stay dirty until the simulated
// kernel writes them back (bookkeeping: its flusher, throttling, reclaim) or a
// real fdatasync of the file (a flush: acks=all, the flush policy, close)
// cleans them; a failed append is cut back out of both. Every real fdatasync
// of the .log is reported to the page cache (markClean), which counts it. Creating a segment fsyncs the
// partition directory, so its directory entry is as durable as its bytes.
// Reads (segment-reads.ts): the forward scans from an index entry read batch
// headers through the simulated page cache, never record bytes; a read
// returns a byte range (position, length) of whole batches that a fetch mode
// serves later. Indexes (segment-indexes.ts): both sparse indexes, the
// indexing rule, and which closed segments keep their entries in memory
// (lazy loading). This file keeps the .log and the segment's lifecycle.
//
// Invariants asserted here (our own; bad bytes on disk are typed errors):
// baseOffset <= nextOffset; offsets only grow; every batch and every range a
// read returns lies inside the file; nothing is appended or indexed once the
// segment is closed; a reference is never released twice.

import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../errors.ts';
import { PAGE_CACHE_BYTES_MIN } from '../limits.ts';
import { fdatasyncAsync, fsyncDir, fsyncDirAsync, io, storageError, writeFully } from './file-io.ts';
import type { PageCache } from './page-cache.ts';
import { type LoadedIndexes, SegmentIndexes } from './segment-indexes.ts';
import { type BatchLocation, type SegmentRange, SegmentReads } from './segment-reads.ts';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Kafka pads base offsets to 20 digits (the width of Long.MAX_VALUE). */
const OFFSET_DIGITS = 20;
/** Offsets inside a segment are int32 relative to its base offset. */
export const RELATIVE_OFFSET_MAX = 2 ** 31 - 1;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, '0') + suffix;
}

/** Where a batch of an append sits in the payload, and what the indexes need from it. */
export interface AppendedBatch {
  /** Position of the batch in the appended payload. */
  at: number;
  totalBytes: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** A byte range of ONE segment file, never read by storage: a fetch mode serves it (views, a copy or sendfile). */
export interface LogSlice {
  /** Page-cache file id of the segment's .log. */
  fileId: number;
  /** The real file (native sendfile uses fd). */
  fd: number;
  path: string;
  segmentBaseOffset: number;
  position: number;
  length: number;
  /** baseOffset of the first batch in the slice (at or before the offset asked for). */
  firstOffset: number;
  /** Drops the segment reference the slice holds; a deleted segment's fd is closed when the last reference goes. */
  release(): void;
}

export interface SegmentOptions {
  dir: string;
  baseOffset: number;
  pageCache: PageCache;
  indexBytesMax: number;
  /** The log's bound on closed segments holding index entries in memory. */
  loadedIndexes: LoadedIndexes;
}

/**
 * Appends enter the page cache in chunks of at most this many bytes: a write
 * pins its pages while it copies, so one chunk must fit even the smallest cache
 * (PAGE_CACHE_BYTES_MIN) next to pages pinned by fetches in flight. A batch may
 * be up to BATCH_BYTES_MAX_CEILING (16 MiB), far more than that.
 */
const CACHE_WRITE_CHUNK_BYTES = PAGE_CACHE_BYTES_MIN / 2;

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly fd: number;
  readonly fileId: number;
  private readonly pageCache: PageCache;
  private readonly indexes: SegmentIndexes;
  private readonly reads: SegmentReads;
  private size: number;
  /** The offset after the last batch (baseOffset when empty). */
  private next: number;
  /** When the segment's age for segmentMs starts; null until the first append. */
  rollStartMs: number | null = null;
  /** Bytes known to be fdatasynced. */
  flushedBytes: number;
  /** While an asynchronous fdatasync runs, the file size it covers (its dirty pages are under write-back); 0 otherwise. */
  writeBackBytes = 0;
  /**
   * A segment created by a roll fsyncs its directory off the event loop: this
   * settles with the error, or null, once that fsync is done. A flush waits
   * for it before it reports the segment durable.
   */
  private dirSync: Promise<Error | null> | null = null;
  private refs = 0;
  private retired: 'close' | 'delete' | null = null;

  private constructor(o: SegmentOptions & { fd: number; size: number; indexes: SegmentIndexes }) {
    this.baseOffset = o.baseOffset;
    this.logPath = path.join(o.dir, segmentFileName(o.baseOffset, LOG_SUFFIX));
    this.fd = o.fd;
    this.size = o.size;
    this.pageCache = o.pageCache;
    this.indexes = o.indexes;
    this.next = o.baseOffset;
    this.flushedBytes = o.size;
    this.fileId = o.pageCache.registerFile({ name: this.logPath, fd: o.fd, size: o.size });
    this.reads = new SegmentReads(this, o.indexes, o.pageCache);
  }

  /**
   * A new, empty segment; refuses to overwrite an existing file. The directory
   * is fsynced once all three files exist: without that, an fdatasync of the
   * .log (acks=all) would not keep the file itself across a power loss. A
   * roll (`dirSync: 'background'`, on the produce path) runs that fsync off the
   * event loop, and the segment's flushes wait for it.
   */
  static create(o: SegmentOptions & { dirSync?: 'now' | 'background' }): Segment {
    assert(Number.isSafeInteger(o.baseOffset) && o.baseOffset >= 0, `new segment base offset ${o.baseOffset}`);
    const files = paths(o.dir, o.baseOffset);
    const fd = io('create', files.log, () => fs.openSync(files.log, 'wx+'));
    const indexes = SegmentIndexes.create(indexOptions(o, files));
    if (o.dirSync !== 'background') fsyncDir(o.dir);
    const segment = new Segment({ ...o, fd, size: 0, indexes });
    if (o.dirSync === 'background') segment.dirSync = fsyncDirAsync(o.dir).then(() => null, (e: Error) => e);
    return segment;
  }

  /**
   * Opens an existing segment. Its indexes are loaded and checked; `problems`
   * lists why one could not be trusted (missing, out of bounds, not
   * increasing), in which case it comes back empty and must be rebuilt.
   */
  static load(o: SegmentOptions): { segment: Segment; problems: string[] } {
    const files = paths(o.dir, o.baseOffset);
    const fd = io('open', files.log, () => fs.openSync(files.log, 'r+'));
    const size = io('stat', files.log, () => fs.fstatSync(fd).size);
    const { indexes, problems } = SegmentIndexes.load({ ...indexOptions(o, files), logSizeBytes: size });
    return { segment: new Segment({ ...o, fd, size, indexes }), problems };
  }

  get sizeBytes(): number {
    return this.size;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** The offset after the last batch (baseOffset when empty). */
  get nextOffset(): number {
    return this.next;
  }

  /** Loading only: a closed segment ends where the next one starts (recovery.ts finishLoad). */
  set nextOffset(offset: number) {
    assert(offset >= this.next, `segment ${this.baseOffset}: next offset ${offset} below ${this.next}`);
    this.next = offset;
  }

  get indexFull(): boolean {
    return this.indexes.full;
  }

  /** Bytes of index entries held in process memory (0 while a closed segment's indexes are unloaded). */
  get indexMemoryBytes(): number {
    return this.indexes.memoryBytes;
  }

  /** Entries in the offset index and the time index (the log inspector shows them). */
  get indexEntries(): { offset: number; time: number } {
    return this.indexes.entryCounts;
  }

  /** The last offset-index entry: where a scan for the segment's tail starts. */
  lastIndexEntry(): { offset: number; position: number } {
    return this.indexes.lastOffsetEntry();
  }

  /** Largest batch maxTimestamp in the segment, -1 when unknown. */
  get maxTimestamp(): number {
    return this.indexes.maxTimestamp;
  }

  /** The newest record time, for time-based retention; the file's mtime when no batch had a timestamp (as Kafka). */
  get largestTimestamp(): number {
    if (this.maxTimestamp >= 0) return this.maxTimestamp;
    return io('stat', this.logPath, () => fs.fstatSync(this.fd).mtimeMs);
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends `payload` (whole batches, offsets already assigned) at the end of
   * the file. All or nothing: if the pwrite or the page-cache copy fails
   * (PAGE_CACHE_EXHAUSTED, a failed read of a partial page), the file is cut
   * back to its old size and the cache forgets the pages, so a restart cannot
   * find a CRC-valid batch whose produce failed.
   */
  append(payload: Buffer, batches: AppendedBatch[], o: { indexIntervalBytes: number; nowMs: number }): void {
    assert(!this.indexes.isSealed && this.retired === null, 'no append to a closed segment');
    checkBatchLayout(payload, batches, this.next);
    const position = this.size;
    assert(position + payload.length <= RELATIVE_OFFSET_MAX, 'segment positions stay int32 (the log rolls at segmentBytes)');
    try {
      writeFully(this.fd, payload, position);
      for (let at = 0; at < payload.length; at += CACHE_WRITE_CHUNK_BYTES) {
        this.pageCache.write(this.fileId, position + at, payload.subarray(at, at + CACHE_WRITE_CHUNK_BYTES));
      }
    } catch (e) {
      this.undoAppend(position);
      throw storageError('append to', this.logPath, e);
    }
    this.size = position + payload.length;
    for (const b of batches) this.indexBatch(position + b.at, b.lastOffset, b.maxTimestamp, b.totalBytes, o.indexIntervalBytes);
    if (this.rollStartMs === null) this.rollStartMs = o.nowMs;
  }

  /**
   * Cuts a failed append's bytes from the file and the cache. If the truncate
   * itself fails, the caller's error already reports the broken file; the
   * bytes past `size` are then overwritten by the next append, but a restart
   * before it would recover them (the double fault this cannot cover).
   */
  private undoAppend(position: number): void {
    try {
      fs.ftruncateSync(this.fd, position);
    } catch {
      // reported by the caller's storage error
    }
    this.pageCache.setFileSize(this.fileId, position);
  }

  /**
   * One stored batch at `position` is in the segment (append, recovery): the
   * indexes see it (segment-indexes.ts, the indexing rule) and the segment
   * ends after it. The callers checked what came from disk; these are ours.
   */
  indexBatch(position: number, lastOffset: number, maxTimestamp: number, totalBytes: number, indexIntervalBytes: number): void {
    assert(lastOffset >= this.next, 'offsets in a segment only grow');
    assert(lastOffset - this.baseOffset <= RELATIVE_OFFSET_MAX, 'offsets stay int32-relative to the segment base');
    assert(position >= 0 && totalBytes > 0 && position + totalBytes <= this.size, 'an indexed batch lies inside its file');
    this.indexes.add(position, lastOffset, maxTimestamp, totalBytes, indexIntervalBytes);
    this.next = lastOffset + 1;
  }

  // ---------------------------------------------------------------- recovery support

  /** Forgets every index entry and the timestamp summary before a rebuild. */
  resetIndexes(): void {
    this.indexes.reset();
    this.next = this.baseOffset;
  }

  /** Continues index bookkeeping after a trusted index: `bytes` were appended since its last entry. */
  resumeIndexing(bytesSinceLastIndexEntry: number): void {
    this.indexes.resume(bytesSinceLastIndexEntry);
  }

  /** Cuts the .log at `validBytes` (a torn or corrupt tail), dropping its cached pages too. */
  truncateBytes(validBytes: number): void {
    assert(validBytes >= 0 && validBytes <= this.size, `${this.logPath}: truncate to ${validBytes} of ${this.size} bytes`);
    io('truncate', this.logPath, () => fs.ftruncateSync(this.fd, validBytes));
    this.pageCache.setFileSize(this.fileId, validBytes);
    this.indexes.truncateTo(this.next);
    this.size = validBytes;
    this.flushedBytes = Math.min(this.flushedBytes, validBytes);
  }

  // ---------------------------------------------------------------- reads (segment-reads.ts)

  /** The batch holding `target`, or null when no batch in this segment has it. */
  locate(target: number): BatchLocation | null {
    return this.reads.locate(target);
  }

  /** The byte range of whole batches to serve for a fetch at `offset` (see SegmentReads.read). */
  read(offset: number, maxBytes: number, minOneBatch: boolean): SegmentRange | null {
    return this.reads.read(offset, maxBytes, minOneBatch);
  }

  /** The first record with timestamp >= `ts` at or after `minOffset` (see SegmentReads.findByTimestamp). */
  findByTimestamp(ts: number, minOffset = 0): { offset: number; timestamp: number } | null {
    return this.reads.findByTimestamp(ts, minOffset);
  }

  // ---------------------------------------------------------------- flush and lifecycle

  /**
   * Synchronous flush, for close only (the broker is no longer serving):
   * index entries to their files, then a real fdatasync of the .log.
   */
  flushSync(): void {
    const size = this.size;
    this.indexes.writePending();
    if (this.flushedBytes >= size) return;
    if (this.dirSync !== null) fsyncDir(path.dirname(this.logPath)); // the background one may not have run yet
    io('fdatasync', this.logPath, () => fs.fdatasyncSync(this.fd));
    this.flushed(size);
  }

  /**
   * Asynchronous flush of everything appended so far: a real fdatasync off the
   * event loop (libuv's threadpool), reported to the page cache, which cleans
   * the pages below the captured size. Bytes already flushed are not synced again.
   */
  async flush(): Promise<void> {
    const size = this.size;
    this.indexes.writePending();
    if (this.flushedBytes >= size) return;
    this.acquire(); // keeps the fd open (and the file registered) while the fsync runs
    this.writeBackBytes = Math.max(this.writeBackBytes, size);
    try {
      const [, dirError] = await Promise.all([fdatasyncAsync(this.fd), this.dirSync]);
      if (dirError) throw dirError;
      this.flushed(size);
    } catch (e) {
      throw storageError('fdatasync', this.logPath, e);
    } finally {
      this.writeBackBytes = 0;
      this.release();
    }
  }

  /** After recovery rewrote the indexes or cut the tail: the .log as it now is, fdatasynced (before anyone is served). */
  syncRecovered(): void {
    io('fdatasync', this.logPath, () => fs.fdatasyncSync(this.fd));
    this.flushedBytes = 0;
    this.flushed(this.size);
  }

  /** A real fdatasync covered the first `size` bytes: count it and let the page cache clean those pages. */
  private flushed(size: number): void {
    assert(size <= this.size, `${this.logPath}: flushed ${size} bytes of ${this.size}`);
    this.pageCache.markClean(this.fileId, size, Math.max(0, size - this.flushedBytes));
    this.flushedBytes = Math.max(this.flushedBytes, size);
  }

  /**
   * The segment stops taking appends (loading, close): add the final
   * time-index entry for its largest timestamp, then write and close both
   * indexes, fdatasynced unless `durable: false` (a segment loaded unchanged
   * from a clean shutdown). A roll uses onRolled instead.
   */
  onBecomeInactive(o: { durable?: boolean } = {}): void {
    this.indexes.seal({ durable: o.durable ?? true });
  }

  /**
   * A roll, on the produce path: as onBecomeInactive, but the indexes'
   * fdatasyncs run off the event loop (they took 1-4 ms each, more while the
   * disk is busy). Resolves once both are durable and closed; the segment is
   * held open until then. A failure only leaves an index that recovery checks.
   */
  onRolled(): Promise<void> {
    if (this.indexes.isSealed) return Promise.resolve();
    this.acquire();
    return this.indexes.sealDurably().finally(() => this.release());
  }

  /** `range` (from read()) as a slice that holds this segment, so its fd stays open until the slice is released. */
  slice(range: SegmentRange): LogSlice {
    this.acquire();
    const segment = this;
    let released = false;
    return {
      fileId: this.fileId,
      fd: this.fd,
      path: this.logPath,
      segmentBaseOffset: this.baseOffset,
      position: range.position,
      length: range.length,
      firstOffset: range.firstOffset,
      release(): void {
        if (released) return;
        released = true;
        segment.release();
      },
    };
  }

  /** A reader holds the segment (a LogSlice or an in-flight flush); its fd stays open until released. */
  acquire(): void {
    this.refs++;
  }

  release(): void {
    assert(this.refs > 0, 'a segment is released no more often than acquired');
    this.refs--;
    if (this.refs === 0 && this.retired !== null) this.finish();
  }

  /** Close (write back, keep the files) or delete (discard pages, remove the files) once no reader holds it. */
  retire(mode: 'close' | 'delete'): void {
    if (this.retired !== null) return;
    if (mode === 'close') {
      this.onBecomeInactive();
      // A roll's index fdatasyncs may still be on the threadpool: a close must not return before they are durable.
      this.indexes.syncWhileClosing();
    }
    this.retired = mode;
    if (mode === 'delete') {
      // Unlinking now is safe: open fds keep the inode alive for readers still holding it.
      this.indexes.delete();
      io('delete', this.logPath, () => fs.rmSync(this.logPath, { force: true }));
    }
    if (this.refs === 0) this.finish();
  }

  private finish(): void {
    this.pageCache.unregisterFile(this.fileId, { writeBack: this.retired === 'close' });
    io('close', this.logPath, () => fs.closeSync(this.fd));
  }
}

function indexOptions(o: SegmentOptions, files: { index: string; timeIndex: string }) {
  return { indexPath: files.index, timeIndexPath: files.timeIndex, baseOffset: o.baseOffset, indexBytesMax: o.indexBytesMax, loaded: o.loadedIndexes };
}

/**
 * The batches an append was handed are back to back, fill the payload
 * exactly, and carry offsets that start at or after `nextOffset` and grow:
 * the log validated and numbered them, so a break here is our bug.
 */
function checkBatchLayout(payload: Buffer, batches: AppendedBatch[], nextOffset: number): void {
  let at = 0;
  let previous = nextOffset - 1;
  for (const b of batches) {
    assert(b.at === at && b.totalBytes > 0, "an append's batches are back to back");
    assert(b.lastOffset > previous, "an append's offsets follow the segment's and grow");
    at += b.totalBytes;
    previous = b.lastOffset;
  }
  assert(at === payload.length, "an append's batches fill its payload");
}

function paths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string } {
  return {
    log: path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX)),
    index: path.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)),
    timeIndex: path.join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX)),
  };
}
