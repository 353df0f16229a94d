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
// Reads: the forward scans from an index entry read batch headers through the
// simulated page cache, never record bytes; a read returns a byte range
// (position, length) of whole batches that a fetch mode serves later.

import fs from 'node:fs';
import path from 'node:path';
import { CopylessError } from '../errors.ts';
import { PAGE_CACHE_BYTES_MIN } from '../limits.ts';
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
import { fdatasyncAsync, fsyncDir, fsyncDirAsync, io, storageError, writeFully } from './file-io.ts';
import { OffsetIndex } from './offset-index.ts';
import type { PageCache } from './page-cache.ts';
import { TimeIndex } from './time-index.ts';

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

/** The batch a lookup landed on. */
export interface BatchLocation {
  position: number;
  totalBytes: number;
  baseOffset: number;
}

export interface SegmentOptions {
  dir: string;
  baseOffset: number;
  pageCache: PageCache;
  indexBytesMax: number;
}

/**
 * Appends enter the page cache in chunks of at most this many bytes: a write
 * pins its pages while it copies, so one chunk must fit even the smallest cache
 * (PAGE_CACHE_BYTES_MIN) next to pages pinned by fetches in flight. A batch may
 * be up to BATCH_BYTES_MAX_CEILING (16 MiB), far more than that.
 */
const CACHE_WRITE_CHUNK_BYTES = PAGE_CACHE_BYTES_MIN / 2;

/**
 * Header bytes copied out of the page cache when they straddle two frames that
 * are not adjacent in memory; the common case reads them from one view.
 */
const headerScratch = Buffer.alloc(BATCH_TIMESTAMPS_BYTES);

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly fd: number;
  readonly fileId: number;
  private readonly pageCache: PageCache;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private size: number;
  /** The offset after the last batch (baseOffset when empty). */
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment, -1 when unknown, and the batch lastOffset that carried it. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp: number;
  /** When the segment's age for segmentMs starts; null until the first append. */
  rollStartMs: number | null = null;
  /** Bytes known to be fdatasynced. */
  flushedBytes: number;
  /** While an asynchronous fdatasync runs, the file size it covers (its dirty pages are under write-back); 0 otherwise. */
  writeBackBytes = 0;
  private bytesSinceLastIndexEntry = 0;
  private inactive = false;
  /**
   * A segment created by a roll fsyncs its directory off the event loop: this
   * settles with the error, or null, once that fsync is done. A flush waits
   * for it before it reports the segment durable.
   */
  private dirSync: Promise<Error | null> | null = null;
  private refs = 0;
  private retired: 'close' | 'delete' | null = null;

  private constructor(o: SegmentOptions & { fd: number; size: number; offsetIndex: OffsetIndex; timeIndex: TimeIndex }) {
    this.baseOffset = o.baseOffset;
    this.logPath = path.join(o.dir, segmentFileName(o.baseOffset, LOG_SUFFIX));
    this.fd = o.fd;
    this.size = o.size;
    this.pageCache = o.pageCache;
    this.offsetIndex = o.offsetIndex;
    this.timeIndex = o.timeIndex;
    this.nextOffset = o.baseOffset;
    this.offsetOfMaxTimestamp = o.baseOffset;
    this.flushedBytes = o.size;
    this.fileId = o.pageCache.registerFile({ name: this.logPath, fd: o.fd, size: o.size });
  }

  /**
   * A new, empty segment; refuses to overwrite an existing file. The directory
   * is fsynced once all three files exist: without that, an fdatasync of the
   * .log (acks=all) would not keep the file itself across a power loss. A
   * roll (`dirSync: 'background'`, on the produce path) runs that fsync off the
   * event loop, and the segment's flushes wait for it.
   */
  static create(o: SegmentOptions & { dirSync?: 'now' | 'background' }): Segment {
    const files = paths(o.dir, o.baseOffset);
    const fd = io('create', files.log, () => fs.openSync(files.log, 'wx+'));
    const offsetIndex = io('create', files.index, () => OffsetIndex.create({ path: files.index, baseOffset: o.baseOffset, indexBytesMax: o.indexBytesMax }));
    const timeIndex = io('create', files.timeIndex, () => TimeIndex.create({ path: files.timeIndex, baseOffset: o.baseOffset, indexBytesMax: o.indexBytesMax }));
    if (o.dirSync !== 'background') fsyncDir(o.dir);
    const segment = new Segment({ ...o, fd, size: 0, offsetIndex, timeIndex });
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
    const problems: string[] = [];
    const base = { baseOffset: o.baseOffset, indexBytesMax: o.indexBytesMax };
    let offsetIndex: OffsetIndex;
    if (fs.existsSync(files.index)) {
      const r = io('open', files.index, () => OffsetIndex.open({ ...base, path: files.index, logSizeBytes: size }));
      offsetIndex = r.index;
      if (r.problem) problems.push(`${files.index} ${r.problem}`);
    } else {
      offsetIndex = io('create', files.index, () => OffsetIndex.create({ ...base, path: files.index }));
      problems.push(`${files.index} is missing`);
    }
    let timeIndex: TimeIndex;
    if (fs.existsSync(files.timeIndex)) {
      const r = io('open', files.timeIndex, () => TimeIndex.open({ ...base, path: files.timeIndex }));
      timeIndex = r.index;
      if (r.problem) problems.push(`${files.timeIndex} ${r.problem}`);
    } else {
      timeIndex = io('create', files.timeIndex, () => TimeIndex.create({ ...base, path: files.timeIndex }));
      problems.push(`${files.timeIndex} is missing`);
    }
    const segment = new Segment({ ...o, fd, size, offsetIndex, timeIndex });
    const last = timeIndex.lastEntry();
    if (last) {
      segment.maxTimestamp = last.timestamp;
      segment.offsetOfMaxTimestamp = last.offset;
    }
    return { segment, problems };
  }

  get sizeBytes(): number {
    return this.size;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Entries in the offset index and the time index (the log inspector shows them). */
  get indexEntries(): { offset: number; time: number } {
    return { offset: this.offsetIndex.entries, time: this.timeIndex.entries };
  }

  /** The last offset-index entry: where a scan for the segment's tail starts. */
  lastIndexEntry(): { offset: number; position: number } {
    return this.offsetIndex.lastEntry();
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
    const position = this.size;
    try {
      writeFully(this.fd, payload, position);
      for (let at = 0; at < payload.length; at += CACHE_WRITE_CHUNK_BYTES) {
        this.pageCache.write(this.fileId, position + at, payload.subarray(at, at + CACHE_WRITE_CHUNK_BYTES));
      }
    } catch (e) {
      this.undoAppend(position);
      throw storageError('append to', this.logPath, e);
    }
    for (const b of batches) this.indexBatch(position + b.at, b.lastOffset, b.maxTimestamp, b.totalBytes, o.indexIntervalBytes);
    this.size = position + payload.length;
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
   * Index bookkeeping for one batch at `position`, shared by append and
   * recovery (Kafka LogSegment.append): an entry (lastOffset, position) once
   * more than indexIntervalBytes were appended since the last one. A full
   * index just skips entries (the log rolls before its next append), which
   * only lengthens scans.
   */
  indexBatch(position: number, lastOffset: number, maxTimestamp: number, totalBytes: number, indexIntervalBytes: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      if (!this.offsetIndex.isFull) this.offsetIndex.append(lastOffset, position);
      if (!this.timeIndex.isFull) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += totalBytes;
    this.nextOffset = lastOffset + 1;
  }

  // ---------------------------------------------------------------- recovery support

  /** Forgets every index entry and the timestamp summary before a rebuild. */
  resetIndexes(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.bytesSinceLastIndexEntry = 0;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.nextOffset = this.baseOffset;
  }

  /** Continues index bookkeeping after a trusted index: `bytes` were appended since its last entry. */
  resumeIndexing(bytesSinceLastIndexEntry: number): void {
    this.bytesSinceLastIndexEntry = bytesSinceLastIndexEntry;
  }

  /** Cuts the .log at `validBytes` (a torn or corrupt tail), dropping its cached pages too. */
  truncateBytes(validBytes: number): void {
    io('truncate', this.logPath, () => fs.ftruncateSync(this.fd, validBytes));
    this.pageCache.setFileSize(this.fileId, validBytes);
    this.offsetIndex.truncateTo(this.nextOffset);
    this.timeIndex.truncateTo(this.nextOffset);
    this.size = validBytes;
    this.flushedBytes = Math.min(this.flushedBytes, validBytes);
  }

  // ---------------------------------------------------------------- reads

  /**
   * `length` bytes at `position` through the page cache, as one view of the
   * cache frames when they are adjacent (the usual case) or copied into a
   * scratch buffer when they are not. Valid until the next cache operation.
   * `noReuse`: a lookup that must not count as an access (see PageCache ReadOptions).
   */
  private readHeader(position: number, length: number, noReuse = false): Buffer {
    const r = this.pageCache.read(this.fileId, position, length, { noReuse });
    if (r.length < length) throw storageError('read', this.logPath, new Error(`short read of ${r.length}/${length} bytes at ${position}`));
    if (r.views.length === 1) return r.views[0];
    let at = 0;
    for (const v of r.views) at += v.copy(headerScratch, at);
    return headerScratch;
  }

  /** A stored batch's size; a size that cannot be right means the file changed under us. */
  private checkedSize(h: Buffer, position: number): number {
    const totalBytes = batchTotalBytes(h, 0);
    if (totalBytes < BATCH_HEADER_BYTES || position + totalBytes > this.size) {
      throw new CopylessError('CORRUPT_MESSAGE', `${this.logPath}: batch at ${position} claims ${totalBytes} bytes; the segment is corrupt`, { field: 'batchLength' });
    }
    return totalBytes;
  }

  /**
   * The batch holding `target`: the offset index gives a start position, then
   * batch headers are read forward (through the page cache) to the first
   * batch whose lastOffset >= target. Null when no batch in this segment has.
   */
  locate(target: number): BatchLocation | null {
    let position = this.offsetIndex.lookupPosition(target);
    while (position < this.size) {
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
  read(offset: number, maxBytes: number, minOneBatch: boolean): { position: number; length: number; firstOffset: number } | null {
    const at = this.locate(offset);
    if (!at) return null;
    const limit = Math.min(maxBytes, this.size - at.position);
    const length = at.totalBytes > limit ? (minOneBatch ? at.totalBytes : 0) : this.wholeBatchesWithin(at, at.position + limit);
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
    let position = Math.max(at.position + at.totalBytes, this.offsetIndex.floorPosition(end));
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
    const from = this.timeIndex.lookup(ts);
    let position = this.offsetIndex.lookupPosition(from.offset);
    while (position < this.size) {
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
    const r = this.pageCache.read(this.fileId, position, totalBytes);
    const bytes = r.views.length === 1 ? r.views[0] : Buffer.concat(r.views);
    try {
      const record = decodeRecordBatch(bytes).records.find((x) => x.timestamp >= ts && x.offset >= minOffset);
      return record ? { offset: record.offset, timestamp: record.timestamp } : 'none';
    } catch (e) {
      if (e instanceof CopylessError) return null;
      throw e;
    }
  }

  // ---------------------------------------------------------------- flush and lifecycle

  /** Writes pending index entries; fdatasyncs them too once the segment is inactive (they no longer change). */
  private syncIndexes(): void {
    if (this.inactive) return;
    this.offsetIndex.sync(false);
    this.timeIndex.sync(false);
  }

  /**
   * Synchronous flush, for close only (the broker is no longer serving):
   * index entries to their files, then a real fdatasync of the .log.
   */
  flushSync(): void {
    const size = this.size;
    this.syncIndexes();
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
    this.syncIndexes();
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
    if (this.inactive) return;
    this.addFinalTimeEntry();
    for (const index of [this.offsetIndex, this.timeIndex]) {
      io('sync', index.path, () => {
        index.sync(o.durable ?? true);
        index.close();
      });
    }
    this.inactive = true;
  }

  /**
   * A roll, on the produce path: as onBecomeInactive, but the indexes'
   * fdatasyncs run off the event loop (they took 1-4 ms each, more while the
   * disk is busy). Resolves once both are durable and closed; the segment is
   * held open until then. A failure only leaves an index that recovery checks.
   */
  onRolled(): Promise<void> {
    if (this.inactive) return Promise.resolve();
    this.addFinalTimeEntry();
    this.inactive = true;
    this.acquire();
    const indexes = [this.offsetIndex, this.timeIndex];
    return Promise.all(indexes.map((index) => index.closeDurably().catch((e: unknown) => Promise.reject(storageError('sync', index.path, e)))))
      .then(() => undefined)
      .finally(() => this.release());
  }

  private addFinalTimeEntry(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
  }

  /** A reader holds the segment (a LogSlice or an in-flight flush); its fd stays open until released. */
  acquire(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0 && this.retired !== null) this.finish();
  }

  /** Close (write back, keep the files) or delete (discard pages, remove the files) once no reader holds it. */
  retire(mode: 'close' | 'delete'): void {
    if (this.retired !== null) return;
    if (mode === 'close') {
      this.onBecomeInactive();
      // A roll's index fdatasyncs may still be on the threadpool: a close must not return before they are durable.
      for (const index of [this.offsetIndex, this.timeIndex]) io('sync', index.path, () => index.syncWhileClosing());
    }
    this.retired = mode;
    if (mode === 'delete') {
      // Unlinking now is safe: open fds keep the inode alive for readers still holding it.
      for (const index of [this.offsetIndex, this.timeIndex]) io('delete', index.path, () => index.delete());
      io('delete', this.logPath, () => fs.rmSync(this.logPath, { force: true }));
    }
    if (this.refs === 0) this.finish();
  }

  private finish(): void {
    this.pageCache.unregisterFile(this.fileId, { writeBack: this.retired === 'close' });
    io('close', this.logPath, () => fs.closeSync(this.fd));
  }
}

function paths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string } {
  return {
    log: path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX)),
    index: path.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)),
    timeIndex: path.join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX)),
  };
}
