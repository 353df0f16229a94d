// The two sparse indexes of one segment (Kafka LogSegment's offsetIndex and
// timeIndex, with LazyIndex's loading): the rule that adds entries, the
// segment's timestamp summary, the index files' durability as the segment
// stops taking appends, and which indexes keep their entries in memory.
//
// Indexing rule (Kafka LogSegment.append and recover): an entry (batch
// lastOffset, batch start position) once more than indexIntervalBytes were
// appended since the last one; the time index gets (largest timestamp so far,
// its offset) alongside, only if that timestamp grew. A segment's first batch
// is never indexed: position 0 is the default start.
//
// Lazy loading. Kafka mmaps an index only on its first use (LazyIndex) and the
// OS evicts its pages when memory is short, so a log of thousands of segments
// does not hold thousands of indexes in memory. copyless cannot mmap (Node has
// no mmap), so it bounds the entries it holds instead:
//   - the active segment's entries are always in memory (they are appended to,
//     and written to the file only on flush, roll and close);
//   - a closed segment's entries are in memory only while it is among the
//     INDEX_LOADED_SEGMENTS_MAX closed segments of its log used most recently
//     (a lookup by offset or time, or becoming closed: a roll, or loading at
//     start). The least recently used one past the bound is unloaded: its
//     entries are dropped, and the next lookup in it reads its index file back
//     whole (index-file.ts checks it is byte for byte what was dropped).
// A reload is a synchronous read on the caller's thread of at most
// indexBytesMax, typically 128 KiB (64 MiB segments, 4 KiB interval), and
// usually from the OS page cache: like the page faults of Kafka's first touch
// of an mmapped index, on its request thread.

import fs from 'node:fs';
import { assert } from '../errors.ts';
import { INDEX_LOADED_SEGMENTS_MAX } from '../limits.ts';
import { io, storageError } from './file-io.ts';
import type { IndexFile } from './index-file.ts';
import { OffsetIndex, type OffsetPosition } from './offset-index.ts';
import { TimeIndex, type TimestampOffset } from './time-index.ts';

/**
 * Which closed segments of one log keep their index entries in memory: the
 * `max` used most recently (a Set iterates in insertion order, so re-adding
 * on use keeps the least recently used first).
 */
export class LoadedIndexes {
  private readonly recent = new Set<SegmentIndexes>();
  /** The most recent one: a catch-up reader uses the same segment many times in a row, which changes nothing. */
  private last: SegmentIndexes | null = null;

  constructor(readonly max = INDEX_LOADED_SEGMENTS_MAX) {
    assert(Number.isInteger(max) && max >= 1, `loaded index bound ${max} must be a positive integer`);
  }

  /** Closed segments whose indexes are held (some may hold none yet: loaded on their next lookup). */
  get size(): number {
    return this.recent.size;
  }

  /** `indexes` was just used: it becomes the most recent; the least recent past the bound is unloaded. */
  use(indexes: SegmentIndexes): void {
    if (indexes === this.last) return;
    this.last = indexes;
    this.recent.delete(indexes);
    this.recent.add(indexes);
    while (this.recent.size > this.max) {
      const oldest = this.recent.values().next().value!;
      this.recent.delete(oldest);
      oldest.unload();
    }
  }

  forget(indexes: SegmentIndexes): void {
    if (indexes === this.last) this.last = null;
    this.recent.delete(indexes);
  }
}

export interface SegmentIndexOptions {
  indexPath: string;
  timeIndexPath: string;
  baseOffset: number;
  indexBytesMax: number;
  loaded: LoadedIndexes;
}

export class SegmentIndexes {
  readonly baseOffset: number;
  /** Largest batch maxTimestamp in the segment, -1 when unknown, and the batch lastOffset that carried it. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp: number;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private readonly loaded: LoadedIndexes;
  private bytesSinceLastEntry = 0;
  /** The segment takes no more appends: its index files are closed (or closing) and its entries may be unloaded. */
  private sealed = false;
  private deleted = false;

  private constructor(o: SegmentIndexOptions & { offsetIndex: OffsetIndex; timeIndex: TimeIndex }) {
    this.baseOffset = o.baseOffset;
    this.offsetOfMaxTimestamp = o.baseOffset;
    this.offsetIndex = o.offsetIndex;
    this.timeIndex = o.timeIndex;
    this.loaded = o.loaded;
  }

  /** Empty index files for a new segment. */
  static create(o: SegmentIndexOptions): SegmentIndexes {
    const base = { baseOffset: o.baseOffset, indexBytesMax: o.indexBytesMax };
    const offsetIndex = io('create', o.indexPath, () => OffsetIndex.create({ ...base, path: o.indexPath }));
    const timeIndex = io('create', o.timeIndexPath, () => TimeIndex.create({ ...base, path: o.timeIndexPath }));
    return new SegmentIndexes({ ...o, offsetIndex, timeIndex });
  }

  /**
   * Opens and checks an existing segment's index files. `problems` lists why
   * one could not be trusted (missing, out of bounds, not increasing), in
   * which case it comes back empty and must be rebuilt (recovery.ts).
   */
  static load(o: SegmentIndexOptions & { logSizeBytes: number }): { indexes: SegmentIndexes; problems: string[] } {
    const problems: string[] = [];
    const base = { baseOffset: o.baseOffset, indexBytesMax: o.indexBytesMax };
    const open = <T>(path: string, opener: () => { index: T; problem: string | null }, creator: () => T): T => {
      if (!fs.existsSync(path)) {
        problems.push(`${path} is missing`);
        return io('create', path, creator);
      }
      const r = io('open', path, opener);
      if (r.problem) problems.push(`${path} ${r.problem}`);
      return r.index;
    };
    const offsetIndex = open(
      o.indexPath,
      () => OffsetIndex.open({ ...base, path: o.indexPath, logSizeBytes: o.logSizeBytes }),
      () => OffsetIndex.create({ ...base, path: o.indexPath }),
    );
    const timeIndex = open(
      o.timeIndexPath,
      () => TimeIndex.open({ ...base, path: o.timeIndexPath }),
      () => TimeIndex.create({ ...base, path: o.timeIndexPath }),
    );
    const indexes = new SegmentIndexes({ ...o, offsetIndex, timeIndex });
    const last = timeIndex.lastEntry();
    if (last) {
      indexes.maxTimestamp = last.timestamp;
      indexes.offsetOfMaxTimestamp = last.offset;
    }
    return { indexes, problems };
  }

  get full(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  get isSealed(): boolean {
    return this.sealed;
  }

  /** Entries in the offset index and the time index (counted without loading unloaded entries). */
  get entryCounts(): { offset: number; time: number } {
    return { offset: this.offsetIndex.entries, time: this.timeIndex.entries };
  }

  /** Process memory the entries take now (0 for a closed segment whose indexes are unloaded). */
  get memoryBytes(): number {
    return this.offsetIndex.memoryBytes + this.timeIndex.memoryBytes;
  }

  // ---------------------------------------------------------------- entries

  /**
   * Index bookkeeping for one batch at `position`, shared by append and
   * recovery: an entry once more than indexIntervalBytes were appended since
   * the last one. A full index just skips entries (the log rolls before its
   * next append), which only lengthens scans.
   */
  add(position: number, lastOffset: number, maxTimestamp: number, totalBytes: number, indexIntervalBytes: number): void {
    assert(!this.sealed, 'no batch is indexed after its segment closed');
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastEntry > indexIntervalBytes) {
      if (!this.offsetIndex.isFull) this.offsetIndex.append(lastOffset, position);
      if (!this.timeIndex.isFull) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastEntry = 0;
    }
    this.bytesSinceLastEntry += totalBytes;
  }

  /** Forgets every entry and the timestamp summary before a rebuild. */
  reset(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.bytesSinceLastEntry = 0;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
  }

  /** Continues index bookkeeping after a trusted index: `bytes` were appended since its last entry. */
  resume(bytesSinceLastEntry: number): void {
    this.bytesSinceLastEntry = bytesSinceLastEntry;
  }

  /** Drops the entries with offset >= `offset` (the log is cut there). */
  truncateTo(offset: number): void {
    this.use();
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
  }

  // ---------------------------------------------------------------- lookups

  /** The last offset-index entry, or (baseOffset, 0): where a scan for the segment's tail starts. */
  lastOffsetEntry(): OffsetPosition {
    this.use();
    return this.offsetIndex.lastEntry();
  }

  /** Where a forward scan for `target` starts: the last entry with offset <= target, else 0. */
  lookupPosition(target: number): number {
    this.use();
    return this.offsetIndex.lookupPosition(target);
  }

  /** The position of the last entry at or before byte `position`, or 0. */
  floorPosition(position: number): number {
    this.use();
    return this.offsetIndex.floorPosition(position);
  }

  /** The last time entry with timestamp strictly below `ts`, else (−1, baseOffset). */
  timeLookup(ts: number): TimestampOffset {
    this.use();
    return this.timeIndex.lookup(ts);
  }

  /** Every lookup of a closed segment goes through here, so the bound sees every use. */
  private use(): void {
    assert(!this.deleted, 'no index lookup in a deleted segment');
    if (this.sealed) this.loaded.use(this);
  }

  /** Drops the entries of both indexes from memory (LoadedIndexes, past its bound). */
  unload(): void {
    this.offsetIndex.unload();
    this.timeIndex.unload();
  }

  // ---------------------------------------------------------------- durability and lifecycle

  /** Writes entries not yet in the files (a flush of the active segment); a sealed segment has none. */
  writePending(): void {
    if (this.sealed) return;
    for (const index of this.files()) io('sync', index.path, () => index.sync(false));
  }

  /**
   * The segment stops taking appends (loading, close): add the final
   * time-index entry for its largest timestamp, then write and close both
   * files, fdatasynced when `durable`.
   */
  seal(o: { durable: boolean }): void {
    if (this.sealed) return;
    this.addFinalTimeEntry();
    for (const index of this.files()) {
      io('sync', index.path, () => {
        index.sync(o.durable);
        index.close();
      });
    }
    this.sealed = true;
    this.loaded.use(this);
  }

  /**
   * A roll, on the produce path: as seal, but the fdatasyncs run off the event
   * loop (they took 1-4 ms each, more while the disk is busy). Resolves once
   * both files are durable and closed.
   */
  sealDurably(): Promise<void> {
    if (this.sealed) return Promise.resolve();
    this.addFinalTimeEntry();
    this.sealed = true;
    const done = Promise.all(this.files().map((index) => index.closeDurably().catch((e: unknown) => Promise.reject(storageError('sync', index.path, e)))));
    this.loaded.use(this);
    return done.then(() => undefined);
  }

  /** A roll's fdatasyncs may still be on the threadpool: a close makes the files durable now. */
  syncWhileClosing(): void {
    for (const index of this.files()) io('sync', index.path, () => index.syncWhileClosing());
  }

  /** Closes and removes both files (segment deletion). */
  delete(): void {
    this.deleted = true;
    this.loaded.forget(this);
    for (const index of this.files()) io('delete', index.path, () => index.delete());
  }

  private addFinalTimeEntry(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
  }

  private files(): IndexFile[] {
    return [this.offsetIndex, this.timeIndex];
  }
}
