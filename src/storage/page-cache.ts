// The simulated kernel page cache. Segment reads and writes on the serving path
// go through it: appends, the header scans of lookups, and the modelled fetch
// modes. Not through it: recovery reads (they run before anyone is served),
// index files (index-file.ts) and the native fetch modes (real
// sendfile(2)/read(2) of the fd, served by the real OS page cache).
//
// It models Linux mm/ (see the project's shared reference notes,
// zero-copy-and-page-cache.md §4). Each part lives in page-cache/, with what
// the kernel does and what the model simplifies written at its top:
//   - core.ts           frames, page tables, inserting and dropping pages, pins,
//                       and the write path (a write copies into the page and
//                       marks it dirty);
//   - reclaim-lists.ts  which page goes: two lists (active/inactive, as
//                       mm/workingset.c) or one plain LRU list;
//   - write-back.ts     dirty bookkeeping, the flusher, writer throttling
//                       (bookkeeping only: the model makes no system call);
//   - reads.ts          hits, misses, loads from the file (on the caller's
//                       thread or libuv's threadpool), the views a read returns;
//   - readahead.ts      the read-ahead window arithmetic (mm/readahead.c);
//   - frame-arena.ts, frame-list.ts, cached-file.ts: the data structures;
//   - types.ts, options.ts: the public shapes, and the options checked.
// This class is the one way in: the rest of copyless imports PageCache and the
// types below from this file only.
//
// Not modelled anywhere: modelled I/O latency, shadow entries / refault
// detection, mmap fault-around, per-cgroup LRUs, more than one "node".

import { checkNonNegativeInt, pagesFor } from './page-cache/cached-file.ts';
import { CacheCore } from './page-cache/core.ts';
import { Flag, List } from './page-cache/frame-arena.ts';
import { NIL } from './page-cache/frame-list.ts';
import { validateOptions } from './page-cache/options.ts';
import { PageReader } from './page-cache/reads.ts';
import { type CachePolicy, type FrameSnapshot, type PageCacheOptions, type PageCacheStats, type PageReadResult, type PinHandle, type ReadOptions, PageState } from './page-cache/types.ts';
import { PAGE_BYTES } from '../limits.ts';

/** The public shapes (options, results, counters, PageState) and the kernel defaults. */
export * from './page-cache/types.ts';

export class PageCache {
  readonly policy: CachePolicy;
  readonly capacityPages: number;
  readonly readAheadMaxPages: number;
  private readonly core: CacheCore;
  private readonly reader: PageReader;

  constructor(opts: PageCacheOptions) {
    const o = validateOptions(opts);
    this.policy = o.policy;
    this.capacityPages = o.capacityBytes / PAGE_BYTES;
    this.readAheadMaxPages = o.readAheadMaxPages;
    this.core = new CacheCore({ ...o, capacityPages: this.capacityPages });
    this.reader = new PageReader(this.core, this.readAheadMaxPages);
  }

  /** Dirty pages above which the flusher writes back (dirtyBackgroundRatio of the capacity). */
  get dirtyBackgroundPages(): number {
    return this.core.writeBack.dirtyBackgroundPages;
  }

  /** Dirty pages above which a writer is throttled (dirtyRatio of the capacity). */
  get dirtyLimitPages(): number {
    return this.core.writeBack.dirtyLimitPages;
  }

  get dirtyExpireMs(): number {
    return this.core.writeBack.dirtyExpireMs;
  }

  get dirtyWritebackMs(): number {
    return this.core.writeBack.dirtyWritebackMs;
  }

  // ---------------------------------------------------------------- files

  registerFile(f: { name: string; fd: number; size: number }): number {
    return this.core.registerFile(f);
  }

  /** After an append or a truncate; a truncate drops the pages past the new size (dirty ones are discarded). */
  setFileSize(fileId: number, size: number): void {
    this.core.setFileSize(fileId, size);
  }

  /** writeBack: true on close (dirty pages written back first, as bookkeeping), false when the file is deleted (pages discarded). */
  unregisterFile(fileId: number, opts: { writeBack: boolean }): void {
    this.core.unregisterFile(fileId, opts);
  }

  /** Told the id of every file unregistered from now on (its segment was closed or deleted), e.g. to drop a mapping of it. */
  onFileUnregistered(listener: (fileId: number) => void): void {
    this.core.onFileUnregistered(listener);
  }

  /** munmap(2) of the file: its pages lose their mapping (the next touch through a new mapping faults again). A file no longer registered has nothing to unmap. */
  unmapFile(fileId: number): void {
    this.core.unmapFile(fileId);
  }

  /** The size the cache knows for the file (registered, then kept by setFileSize and writes). */
  fileSize(fileId: number): number {
    return this.core.fileOf(fileId).size;
  }

  fileResidency(fileId: number): { residentPages: number; dirtyPages: number; totalPages: number } {
    const file = this.core.fileOf(fileId);
    return { residentPages: file.residentPages, dirtyPages: file.dirtyPages, totalPages: pagesFor(file.size) };
  }

  /** One entry per page of the file (PageState bits): residency per segment, e.g. for a heat map. */
  pageStates(fileId: number): Uint8Array {
    const file = this.core.fileOf(fileId);
    const a = this.core.arena;
    const out = new Uint8Array(pagesFor(file.size));
    const n = Math.min(out.length, file.table.length);
    for (let p = 0; p < n; p++) {
      const f = file.table[p];
      if (f === NIL) continue;
      let s: number = PageState.RESIDENT;
      if (a.flags[f] & Flag.DIRTY) s |= PageState.DIRTY;
      if (a.list[f] === List.ACTIVE) s |= PageState.ACTIVE;
      if (a.pins[f] > 0) s |= PageState.PINNED;
      out[p] = s;
    }
    return out;
  }

  /**
   * Every frame's page and state, and every open read-ahead window, for a heat
   * map of the whole cache (the dashboard, twice a second). O(allocated frames)
   * however many files and pages are registered, where pageStates() per file
   * would be O(file pages). Read-only; `reuse` lends last call's arrays back.
   */
  snapshotFrames(reuse?: FrameSnapshot): FrameSnapshot {
    const { list, flags, pins, fileId, pageIndex, allocatedFrames: n } = this.core.arena;
    const fits = reuse !== undefined && reuse.fileIds.length >= n;
    const fileIds = fits ? reuse.fileIds : new Int32Array(n);
    const pageIndexes = fits ? reuse.pageIndexes : new Int32Array(n);
    const states = fits ? reuse.states : new Uint8Array(n);
    // Locals, not the arena's fields, in the loop: 65,536 frames twice a second.
    for (let f = 0; f < n; f++) {
      const l = list[f];
      if (l !== List.INACTIVE && l !== List.ACTIVE) {
        fileIds[f] = -1;
        pageIndexes[f] = -1;
        states[f] = 0;
        continue;
      }
      states[f] =
        PageState.RESIDENT |
        (flags[f] & Flag.DIRTY ? PageState.DIRTY : 0) |
        (l === List.ACTIVE ? PageState.ACTIVE : 0) |
        (pins[f] > 0 ? PageState.PINNED : 0);
      fileIds[f] = fileId[f];
      pageIndexes[f] = pageIndex[f];
    }
    const readAhead: FrameSnapshot['readAhead'] = [];
    for (const file of this.core.files.values()) {
      if (file.ra.size > 0) readAhead.push({ fileId: file.id, startPage: file.ra.start, pages: file.ra.size, asyncPages: file.ra.asyncSize });
    }
    return { frames: n, fileIds, pageIndexes, states, readAhead };
  }

  // ---------------------------------------------------------------- read and write

  /**
   * [position, position+length) of the file, clipped to its size. Missing
   * pages (and read-ahead) are read from the file synchronously, on the
   * caller's thread: meant for small reads (batch headers, a partial page).
   * Bulk reads on the serving path use readAsync.
   */
  read(fileId: number, position: number, length: number, opts: ReadOptions = {}): PageReadResult {
    return this.reader.read(fileId, position, length, opts);
  }

  /**
   * read(), with the missing pages read from the file on libuv's threadpool
   * (a cold fetch of up to FETCH_BYTES_MAX no longer holds the event loop).
   * The bookkeeping is the same and happens on the caller's thread: frames are
   * allocated, pinned and LOCKED at once, the bytes arrive later, and the
   * pages are touched and the views built once every load has ended. A page
   * another read is loading is waited for, not read twice (the kernel's
   * lock_page on a page under I/O), and counts as a hit.
   */
  readAsync(fileId: number, position: number, length: number, opts: ReadOptions = {}): Promise<PageReadResult> {
    return this.reader.readAsync(fileId, position, length, opts);
  }

  /** Unpins the pages a read({pin: true}) kept; a second release of the same handle does nothing. */
  release(pin: PinHandle): void {
    this.reader.release(pin);
  }

  /**
   * The caller already wrote `data` to the real file at `position`; copy it into
   * frames, mark them dirty, and throttle the writer when dirty pages pass dirtyRatio.
   */
  write(fileId: number, position: number, data: Buffer): { pages: number; throttled: boolean } {
    return this.core.write(fileId, position, data);
  }

  // ---------------------------------------------------------------- write-back

  /**
   * The caller ran a real fdatasync(2) of the file, which covered everything
   * below `uptoPosition` (the size it captured before the call), `fsyncBytes`
   * of it new since its previous one. Counts the fsync and cleans the pages
   * wholly below the position (the kernel wrote them back as part of the call).
   */
  markClean(fileId: number, uptoPosition: number, fsyncBytes = 0): number {
    const file = this.core.fileOf(fileId);
    checkNonNegativeInt(uptoPosition, 'uptoPosition');
    checkNonNegativeInt(fsyncBytes, 'fsyncBytes');
    return this.core.writeBack.markClean(file, uptoPosition, fsyncBytes);
  }

  /** One flusher pass (wb_workfn): expired files first, then down to the background threshold. */
  flushTick(): void {
    this.core.writeBack.flushTick();
  }

  /** Runs flushTick every dirtyWritebackMs (bookkeeping only: it makes no system call and cannot fail). */
  start(): void {
    this.core.writeBack.start();
  }

  stop(): void {
    this.core.writeBack.stop();
  }

  /** `sync; echo 1 > /proc/sys/vm/drop_caches`: write back (bookkeeping), then drop every unpinned page. */
  dropCaches(): number {
    this.core.writeBack.writeBackAll();
    return this.core.dropUnpinned();
  }

  // ---------------------------------------------------------------- observation

  stats(): PageCacheStats {
    const c = this.core.counters;
    const lookups = c.hits + c.misses;
    const { lists } = this.core;
    return {
      capacityPages: this.capacityPages,
      residentPages: lists.residentPages,
      dirtyPages: this.core.writeBack.dirtyPages,
      activePages: lists.active.length,
      inactivePages: lists.inactive.length,
      pinnedPages: this.core.pinnedPages,
      hitRatio: lookups === 0 ? 0 : c.hits / lookups,
      ...c,
    };
  }
}
