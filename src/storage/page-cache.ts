// The simulated kernel page cache. Segment reads and writes on the serving path
// go through it: appends, the header scans of lookups, and the modelled fetch
// modes. Not through it: recovery reads (they run before anyone is served),
// index files (held in process memory, index-file.ts) and the native fetch
// modes (real sendfile(2)/read(2) of the fd, served by the real OS page cache).
//
// What the kernel does (Linux mm/; see the project's shared reference notes
// (zero-copy-and-page-cache.md), §4):
//   - file data is cached in 4 KiB pages keyed by (inode, page index);
//   - a read that finds its page missing reads it from disk (DMA disk -> page
//     cache), usually with read-ahead around it (mm/readahead.c);
//   - a write copies into the page and marks it dirty; flusher threads write
//     dirty pages back after dirty_expire_centisecs (30 s) or when dirty memory
//     passes dirty_background_ratio (10 %); a writer that pushes dirty memory
//     past dirty_ratio (20 %) is throttled in balance_dirty_pages();
//   - reclaim uses two lists (mm/workingset.c): pages enter the inactive list,
//     a second access promotes them to the active list, reclaim takes from the
//     inactive tail, and the active list is shrunk when the inactive list runs
//     low (inactive_is_low). A one-pass scan therefore churns only the
//     inactive list and cannot push out a hot working set;
//   - pages referenced by in-flight zero-copy sends are pinned and not reclaimed.
//
// What the model simplifies:
//   - no modelled I/O latency: a miss is one pread(2)/preadv(2) of the real
//     file per contiguous run of missing pages (read-ahead included), on the
//     caller's thread for read() (small lookups) and on libuv's threadpool for
//     readAsync() (fetches: the frames are pinned and LOCKED meanwhile, like
//     PG_locked, and other readers wait for the load); async read-ahead is
//     read with the request;
//   - write-back is bookkeeping only, and per file: "writing back" a file
//     marks all of its dirty pages clean and counts them (writeBackPages,
//     writeBackBytes). It makes no system call. The caller already wrote the
//     bytes to the real file with write(2), and the real kernel writes that
//     file's pages back by itself with its own flusher threads; a simulated
//     fdatasync on top would only stall the event loop (it once did: tens of
//     ms per flusher pass). Real durability comes from the callers' own
//     fdatasync(2) (a log flush: acks=all, the flush policy, close), which they
//     report with markClean(): a real fdatasync writes the file's dirty pages
//     back, so the model cleans them too, and counts the fsync (fsyncs,
//     fsyncBytes). So a dirty simulated page means "the simulated kernel has not
//     written it back yet", not "not on disk";
//   - the writer is never slowed down: the kernel sleeps a writer past
//     dirty_ratio in balance_dirty_pages(); the model writes back (bookkeeping)
//     and counts a throttle event instead;
//   - reclaim evicts exactly as many pages as an allocation needs (the kernel
//     reclaims in batches between watermarks) and writes a dirty victim's file
//     back at once (the kernel defers that to the flusher);
//   - inactive_is_low is `active > inactive` (the kernel's ratio for < 1 GiB);
//   - no shadow entries / refault detection, no mmap fault-around, no
//     per-cgroup LRUs, one "node";
//   - under 'two-list' a write does not count as an access: only reads
//     reference and promote pages, so what consumers read is what the active
//     list protects ('lru' moves a written page to the head, see copyIn);
//   - 'lru' policy replaces the two lists by one plain LRU list (move to head on
//     every touch), to show what a one-pass catch-up scan does without them.

import fs from 'node:fs';
import { CopylessError, assert } from '../errors.ts';
import { PAGE_BYTES, PAGE_CACHE_BYTES_MAX, PAGE_CACHE_BYTES_MIN } from '../limits.ts';
import { FrameArena, Flag, List, growInt32 } from './page-cache/frame-arena.ts';
import { FrameList, NIL } from './page-cache/frame-list.ts';
import { READ_AHEAD_MAX_PAGES_DEFAULT, ReadAheadState } from './page-cache/readahead.ts';

export type CachePolicy = 'two-list' | 'lru';
export const CACHE_POLICIES: readonly CachePolicy[] = ['two-list', 'lru'];

export interface PageCacheOptions {
  /** Multiple of PAGE_BYTES within PAGE_CACHE_BYTES_MIN..MAX. */
  capacityBytes: number;
  /** Default 'two-list' (Linux active/inactive); 'lru' = one plain LRU list. */
  policy?: CachePolicy;
  /** Default 32 (128 KiB, Linux read_ahead_kb); 0 disables read-ahead. */
  readAheadMaxPages?: number;
  /** Default 0.10 (vm.dirty_background_ratio). */
  dirtyBackgroundRatio?: number;
  /** Default 0.20 (vm.dirty_ratio). */
  dirtyRatio?: number;
  /** Default 30 000 (vm.dirty_expire_centisecs). */
  dirtyExpireMs?: number;
  /** Default 5 000 (vm.dirty_writeback_centisecs): the flusher period used by start(). */
  dirtyWritebackMs?: number;
  /** Clock; tests inject a fake. */
  now?: () => number;
}

/** Bits of one entry of pageStates(): what the cache holds for one page of a file. */
export const PageState = { RESIDENT: 1, DIRTY: 2, ACTIVE: 4, PINNED: 8 } as const;

/** What snapshotFrames() returns (see there). */
export interface FrameSnapshot {
  /** Frames described: the arena's allocated frames; the rest of the capacity was never used and is free. */
  frames: number;
  /** Per frame: the page-cache file id of the page it holds, -1 when the frame holds no page (free, or orphaned until its last unpin). */
  fileIds: Int32Array;
  /** Per frame: the page index in that file (-1 with fileId -1). */
  pageIndexes: Int32Array;
  /** Per frame: PageState bits, 0 when it holds no page. */
  states: Uint8Array;
  /** Files with an open read-ahead window: pages [startPage, startPage + pages), the PG_readahead marker at startPage + pages - asyncPages. */
  readAhead: Array<{ fileId: number; startPage: number; pages: number; asyncPages: number }>;
}

export interface PinHandle {
  readonly pages: number;
}

export interface PageReadResult {
  /** Views over cache frames covering [position, position+length) clipped to the file size; adjacent frames coalesced. */
  views: Buffer[];
  /** Bytes covered by views. */
  length: number;
  /** Pages touched by the request. */
  pages: number;
  /** Touched pages that were resident before this read. */
  hits: number;
  /** Touched pages that were not (filled from the file: disk -> page cache DMA). */
  misses: number;
  /** Extra pages loaded speculatively beyond the request by this read. */
  readAheadPages: number;
  /** With opts.map: touched pages that were resident but not yet mapped (minor faults; the misses are the major ones). */
  minorFaults: number;
  /** Bytes read from the backing file by this read (misses + read-ahead). */
  diskReadBytes: number;
  /** With opts.pin, the touched pages stay pinned (never evicted) until release(pin). */
  pin: PinHandle | null;
}

/** The cumulative event counters of a page cache (zeroed at construction); stats() reports them all. */
export interface PageCacheCounters {
  hits: number;
  misses: number;
  readAheadPages: number;
  readAheadUsed: number;
  readAheadWasted: number;
  evictionsClean: number;
  evictionsDirty: number;
  promotions: number;
  demotions: number;
  /** Dirty pages the model turned clean, whatever the cause (flusher, throttling, reclaim, drop, close, a real fdatasync). */
  writeBackPages: number;
  /** The file bytes those pages held. */
  writeBackBytes: number;
  /** Real fdatasync(2) calls of cached files, reported by their callers (markClean); the cache itself never syncs. */
  fsyncs: number;
  /** Bytes those fdatasyncs made durable: each caller's count of bytes appended since its previous one. */
  fsyncBytes: number;
  throttleEvents: number;
}

export interface PageCacheStats extends PageCacheCounters {
  capacityPages: number;
  residentPages: number;
  dirtyPages: number;
  activePages: number;
  inactivePages: number;
  pinnedPages: number;
  /** hits / (hits + misses); 0 before the first lookup. */
  hitRatio: number;
}

/** Kernel defaults (/proc/sys/vm) the options fall back to. */
export const DIRTY_BACKGROUND_RATIO_DEFAULT = 0.1;
export const DIRTY_RATIO_DEFAULT = 0.2;
export const DIRTY_EXPIRE_MS_DEFAULT = 30_000;
export const DIRTY_WRITEBACK_MS_DEFAULT = 5_000;
/** Largest read-ahead window accepted: 4 MiB, well past any read_ahead_kb a broker uses. */
export const READ_AHEAD_MAX_PAGES_CEILING = 1024;
const PAGE_TABLE_INITIAL_PAGES = 16;

/** One registered file: its page table (page index -> frame, -1 = not resident) and counters. */
interface CachedFile {
  readonly id: number;
  readonly name: string;
  readonly fd: number;
  size: number;
  table: Int32Array;
  residentPages: number;
  dirtyPages: number;
  /** Lowest page index that may be dirty (a scan start for write-back). */
  dirtyLowPage: number;
  /** When the oldest still-dirty page was dirtied (the kernel's inode dirtied_when). */
  dirtyOldestAt: number;
  readonly ra: ReadAheadState;
}

class Pin implements PinHandle {
  released = false;
  constructor(readonly frames: Int32Array) {}
  get pages(): number {
    return this.frames.length;
  }
}

function zeroCounters(): PageCacheCounters {
  return {
    hits: 0, misses: 0, readAheadPages: 0, readAheadUsed: 0, readAheadWasted: 0, evictionsClean: 0,
    evictionsDirty: 0, promotions: 0, demotions: 0, writeBackPages: 0, writeBackBytes: 0, fsyncs: 0, fsyncBytes: 0, throttleEvents: 0,
  };
}

/** How a read behaves; see read() and readAsync(). */
export interface ReadOptions {
  /** Keep the touched pages pinned (never evicted) until release(result.pin). */
  pin?: boolean;
  /**
   * A metadata lookup (batch headers), like a read with POSIX_FADV_NOREUSE:
   * counted as hits and misses, missing pages loaded, but no page is marked
   * accessed, no read-ahead is planned and the file's read-ahead state is left
   * alone, so the lists and read-ahead see only the reads that serve records.
   */
  noReuse?: boolean;
  /**
   * The read is a touch of the pages through the fetch model's mmap of the
   * file: a resident page not yet mapped takes a minor fault (counted in
   * minorFaults), and every page touched is mapped from then on (MAPPED) until
   * unmapFile or its eviction (reclaim unmaps a page before freeing it).
   */
  map?: boolean;
}

/** Per-read scratch state shared by the phases of read(). */
interface ReadWork {
  file: CachedFile;
  first: number;
  last: number;
  noReuse: boolean;
  map: boolean;
  /** Frames temporarily pinned so the read's own allocations cannot evict them. */
  pinned: number[];
  hits: number;
  minorFaults: number;
  misses: number;
  readAheadPages: number;
  diskReadBytes: number;
  /** readAsync: loads this read waits for (its own, and other reads' of pages it needs). */
  loads: Promise<void>[] | null;
}

/** A run of frames being filled from the file: pStart is the page of frames[0]. */
interface LoadRun {
  file: CachedFile;
  pStart: number;
  frames: number[];
}

export class PageCache {
  readonly policy: CachePolicy;
  readonly capacityPages: number;
  readonly readAheadMaxPages: number;
  readonly dirtyBackgroundPages: number;
  readonly dirtyLimitPages: number;
  readonly dirtyExpireMs: number;
  readonly dirtyWritebackMs: number;
  private readonly now: () => number;
  private readonly arena: FrameArena;
  private readonly free: FrameList;
  /** The inactive list; with policy 'lru' the one and only list. */
  private readonly inactive: FrameList;
  private readonly active: FrameList;
  private readonly files = new Map<number, CachedFile>();
  private nextFileId = 1;
  private dirtyPages = 0;
  private pinnedPages = 0;
  private counters = zeroCounters();
  private timer: NodeJS.Timeout | null = null;
  /** Frames LOCKED by a load on the threadpool -> that load, so a second reader waits for it instead of reading again. */
  private readonly loading = new Map<number, Promise<void>>();
  private readonly unregisterListeners: Array<(fileId: number) => void> = [];

  constructor(opts: PageCacheOptions) {
    const o = validateOptions(opts);
    this.policy = o.policy;
    this.capacityPages = o.capacityBytes / PAGE_BYTES;
    this.readAheadMaxPages = o.readAheadMaxPages;
    this.dirtyBackgroundPages = Math.floor(o.dirtyBackgroundRatio * this.capacityPages);
    this.dirtyLimitPages = Math.floor(o.dirtyRatio * this.capacityPages);
    this.dirtyExpireMs = o.dirtyExpireMs;
    this.dirtyWritebackMs = o.dirtyWritebackMs;
    this.now = o.now;
    this.arena = new FrameArena(this.capacityPages);
    this.free = new FrameList(this.arena.links);
    this.inactive = new FrameList(this.arena.links);
    this.active = new FrameList(this.arena.links);
  }

  // ---------------------------------------------------------------- files

  registerFile(f: { name: string; fd: number; size: number }): number {
    checkNonNegativeInt(f.fd, 'fd');
    checkNonNegativeInt(f.size, 'size');
    const id = this.nextFileId++;
    const pages = Math.max(PAGE_TABLE_INITIAL_PAGES, pagesFor(f.size));
    this.files.set(id, {
      id, name: f.name, fd: f.fd, size: f.size, table: new Int32Array(pages).fill(NIL),
      residentPages: 0, dirtyPages: 0, dirtyLowPage: Infinity, dirtyOldestAt: Infinity, ra: new ReadAheadState(),
    });
    return id;
  }

  /** After an append or a truncate; a truncate drops the pages past the new size (dirty ones are discarded). */
  setFileSize(fileId: number, size: number): void {
    const file = this.fileOf(fileId);
    checkNonNegativeInt(size, 'size');
    if (size < file.size) this.truncatePages(file, size);
    file.size = size;
  }

  /** writeBack: true on close (dirty pages written back first, as bookkeeping), false when the file is deleted (pages discarded). */
  unregisterFile(fileId: number, opts: { writeBack: boolean }): void {
    const file = this.fileOf(fileId);
    if (opts.writeBack && file.dirtyPages > 0) this.writeBack(file);
    this.truncatePages(file, 0);
    this.files.delete(fileId);
    for (const listener of this.unregisterListeners) listener(fileId);
  }

  /** Told the id of every file unregistered from now on (its segment was closed or deleted), e.g. to drop a mapping of it. */
  onFileUnregistered(listener: (fileId: number) => void): void {
    this.unregisterListeners.push(listener);
  }

  /** munmap(2) of the file: its pages lose their mapping (the next touch through a new mapping faults again). A file no longer registered has nothing to unmap. */
  unmapFile(fileId: number): void {
    const file = this.files.get(fileId);
    if (!file) return; // unregistered: its pages are gone already
    const a = this.arena;
    for (let p = 0; p < file.table.length; p++) {
      const f = file.table[p];
      if (f !== NIL) a.flags[f] &= ~Flag.MAPPED;
    }
  }

  /** The size the cache knows for the file (registered, then kept by setFileSize and writes). */
  fileSize(fileId: number): number {
    return this.fileOf(fileId).size;
  }

  fileResidency(fileId: number): { residentPages: number; dirtyPages: number; totalPages: number } {
    const file = this.fileOf(fileId);
    return { residentPages: file.residentPages, dirtyPages: file.dirtyPages, totalPages: pagesFor(file.size) };
  }

  /** One entry per page of the file (PageState bits): residency per segment, e.g. for a heat map. */
  pageStates(fileId: number): Uint8Array {
    const file = this.fileOf(fileId);
    const a = this.arena;
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

  // ---------------------------------------------------------------- read

  /**
   * [position, position+length) of the file, clipped to its size. Missing
   * pages (and read-ahead) are read from the file synchronously, on the
   * caller's thread: meant for small reads (batch headers, a partial page).
   * Bulk reads on the serving path use readAsync.
   */
  read(fileId: number, position: number, length: number, opts: ReadOptions = {}): PageReadResult {
    const w = this.startRead(fileId, position, length, opts, false);
    if (!w) return emptyRead(opts.pin === true);
    let keepPins = false;
    try {
      const { missing, hitMarker } = this.pinResident(w);
      if (missing > 0 || hitMarker) this.fill(w, hitMarker);
      const result = this.collect(w, position, Math.min(position + length, w.file.size), opts.pin === true);
      keepPins = opts.pin === true;
      return result;
    } finally {
      if (!keepPins) for (const f of w.pinned) this.unpin(f);
    }
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
  async readAsync(fileId: number, position: number, length: number, opts: ReadOptions = {}): Promise<PageReadResult> {
    const w = this.startRead(fileId, position, length, opts, true);
    if (!w) return emptyRead(opts.pin === true);
    let keepPins = false;
    try {
      const { missing, hitMarker } = this.pinResident(w);
      if (missing > 0 || hitMarker) this.fill(w, hitMarker);
      await Promise.all(w.loads!);
      const result = this.collect(w, position, Math.min(position + length, w.file.size), opts.pin === true);
      keepPins = opts.pin === true;
      return result;
    } finally {
      if (!keepPins) for (const f of w.pinned) this.unpin(f);
    }
  }

  /** The read's scratch state, or null when nothing of the file lies in the range. */
  private startRead(fileId: number, position: number, length: number, opts: ReadOptions, async: boolean): ReadWork | null {
    const file = this.fileOf(fileId);
    checkNonNegativeInt(position, 'position');
    checkNonNegativeInt(length, 'length');
    const end = Math.min(position + length, file.size);
    if (end <= position) return null;
    return {
      file, first: Math.floor(position / PAGE_BYTES), last: Math.floor((end - 1) / PAGE_BYTES), noReuse: opts.noReuse === true,
      map: opts.map === true, pinned: [], hits: 0, minorFaults: 0, misses: 0, readAheadPages: 0, diskReadBytes: 0, loads: async ? [] : null,
    };
  }

  release(pin: PinHandle): void {
    if (!(pin instanceof Pin) || pin.released) return;
    pin.released = true;
    for (const f of pin.frames) this.unpin(f);
  }

  /**
   * Phase 1: pin the requested pages already resident, count hits, find
   * misses and the read-ahead marker. An async read also takes a page another
   * load is filling (LOCKED) as resident, and waits for that load.
   */
  private pinResident(w: ReadWork): { missing: number; hitMarker: boolean } {
    const { table, size } = w.file;
    const a = this.arena;
    let missing = 0;
    let hitMarker = false;
    for (let p = w.first; p <= w.last; p++) {
      const f = p < table.length ? table[p] : NIL;
      const loading = f !== NIL && w.loads !== null ? this.loading.get(f) : undefined;
      if (loading) w.loads!.push(loading);
      else if (f === NIL || a.validBytes[f] < pageBytesAt(size, p)) {
        missing++;
        continue;
      }
      w.hits++;
      if (w.map && !(a.flags[f] & Flag.MAPPED)) w.minorFaults++;
      this.pin(f);
      w.pinned.push(f);
      if (a.flags[f] & Flag.READAHEAD) {
        a.flags[f] &= ~Flag.READAHEAD;
        this.counters.readAheadUsed++;
      }
      if (p === w.file.ra.markerPage) hitMarker = true;
    }
    return { missing, hitMarker };
  }

  /**
   * Phase 2: plan read-ahead and read every missing run of [first, last] ∪
   * window from the file (a noReuse lookup: the request only, no read-ahead).
   * An async read skips pages another load is filling.
   */
  private fill(w: ReadWork, hitMarker: boolean): void {
    const { file } = w;
    const filePages = pagesFor(file.size);
    const window = w.noReuse ? null : file.ra.plan(w.first, w.last, hitMarker, this.readAheadMaxPages);
    const wStart = window ? Math.max(window.start, w.last + 1) : w.last + 1;
    const wEnd = window ? Math.min(window.end, filePages) : w.last + 1;
    const stop = Math.max(w.last + 1, wEnd);
    let runStart = -1;
    for (let p = w.first; p <= stop; p++) {
      const wanted = p < stop && (p <= w.last || p >= wStart) && !this.isUpToDate(file, p) && !(w.loads && this.isLoading(file, p));
      if (wanted && runStart < 0) runStart = p;
      if (!wanted && runStart >= 0) {
        this.loadRun(w, runStart, p);
        runStart = -1;
      }
    }
  }

  private isUpToDate(file: CachedFile, p: number): boolean {
    const f = p < file.table.length ? file.table[p] : NIL;
    return f !== NIL && this.arena.validBytes[f] >= pageBytesAt(file.size, p);
  }

  private isLoading(file: CachedFile, p: number): boolean {
    const f = p < file.table.length ? file.table[p] : NIL;
    return f !== NIL && (this.arena.flags[f] & Flag.LOCKED) !== 0;
  }

  /**
   * Read pages [pStart, pEnd) from the file in one preadv(2); pages past
   * w.last are read-ahead. A sync read reads now; an async one pins and LOCKs
   * every frame of the run and reads on the threadpool (w.loads).
   */
  private loadRun(w: ReadWork, pStart: number, pEnd: number): void {
    const { file } = w;
    const a = this.arena;
    ensureTable(file, pEnd - 1);
    // A resident page can be stale (its file grew without a write through the
    // cache): it is re-read in place, and held so reclaim cannot take it meanwhile.
    const stale: number[] = [];
    for (let p = pStart; p < pEnd; p++) if (file.table[p] !== NIL) stale.push(file.table[p]);
    for (const f of stale) this.pin(f);
    const run: LoadRun = { file, pStart, frames: [] };
    try {
      this.ensureFree(pEnd - pStart - stale.length);
      for (let p = pStart; p < pEnd; p++) {
        let f = file.table[p];
        if (f === NIL) f = this.attach(file, p, p > 0 ? file.table[p - 1] : NIL);
        run.frames.push(f);
        if (p <= w.last) {
          this.pin(f);
          w.pinned.push(f);
          w.misses++;
        } else {
          a.flags[f] |= Flag.READAHEAD;
          w.readAheadPages++;
        }
      }
      if (w.loads) this.lockRun(run);
    } finally {
      for (const f of stale) this.unpin(f);
    }
    if (!w.loads) {
      const bytesRead = readFramesSync(file, this.frameViews(run.frames), pStart * PAGE_BYTES);
      w.diskReadBytes += bytesRead;
      this.setValid(run, bytesRead);
      return;
    }
    const load = readFramesAsync(file, this.frameViews(run.frames), pStart * PAGE_BYTES).then(
      (bytesRead) => {
        w.diskReadBytes += bytesRead;
        this.setValid(run, bytesRead);
        this.unlockRun(run);
      },
      (e: unknown) => {
        this.unlockRun(run);
        throw e;
      },
    );
    for (const f of run.frames) this.loading.set(f, load);
    w.loads.push(load);
  }

  /** While a run is read on the threadpool its frames are pinned (never evicted or reused) and LOCKED. */
  private lockRun(run: LoadRun): void {
    for (const f of run.frames) {
      this.pin(f);
      this.arena.flags[f] |= Flag.LOCKED;
    }
  }

  private unlockRun(run: LoadRun): void {
    for (const f of run.frames) {
      this.arena.flags[f] &= ~Flag.LOCKED;
      this.loading.delete(f);
      this.unpin(f);
    }
  }

  /**
   * Bytes read into each frame of the run. Never lowered: while an async load
   * was under way an append may have filled the file's last page further (a
   * write into a page whose head is not cached reads the page itself first).
   */
  private setValid(run: LoadRun, bytesRead: number): void {
    const a = this.arena;
    for (let i = 0; i < run.frames.length; i++) {
      const f = run.frames[i];
      if (a.flags[f] & Flag.ORPHAN) continue;
      a.validBytes[f] = Math.max(a.validBytes[f], Math.min(PAGE_BYTES, Math.max(0, bytesRead - i * PAGE_BYTES)));
    }
  }

  /** The frames as few Buffers: adjacent frames coalesced into one view (the iovecs of one preadv). */
  private frameViews(frames: number[]): Buffer[] {
    const bufs: Buffer[] = [];
    let runFirst = frames[0];
    let runLength = 1;
    for (let i = 1; i <= frames.length; i++) {
      if (i < frames.length && this.arena.adjacent(frames[i - 1], frames[i])) {
        runLength++;
        continue;
      }
      bufs.push(this.arena.view(runFirst, 0, runLength * PAGE_BYTES));
      runFirst = frames[i];
      runLength = 1;
    }
    return bufs;
  }

  /** Phase 3: touch the pages in order (LRU bookkeeping) and build the coalesced views. */
  private collect(w: ReadWork, position: number, end: number, pin: boolean): PageReadResult {
    const { file } = w;
    const a = this.arena;
    const skipFirstAccess = w.noReuse || (this.policy === 'two-list' && w.first === file.ra.prevLastPage);
    const views: Buffer[] = [];
    let length = 0;
    let runFirst = NIL;
    let runFrom = 0;
    let runTo = 0;
    let prev = NIL;
    for (let p = w.first; p <= w.last; p++) {
      const f = file.table[p];
      // The kernel marks a folio accessed once per read(2) even if consecutive
      // reads start in the folio the previous one ended in (pos_same_folio).
      if (!w.noReuse && !(skipFirstAccess && p === w.first)) this.touch(f);
      if (w.map) a.flags[f] |= Flag.MAPPED;
      const from = p === w.first ? position - p * PAGE_BYTES : 0;
      const to = Math.min(a.validBytes[f], p === w.last ? end - p * PAGE_BYTES : PAGE_BYTES);
      if (prev !== NIL && a.adjacent(prev, f) && runTo === (f - runFirst) * PAGE_BYTES) {
        runTo = (f - runFirst) * PAGE_BYTES + to;
      } else {
        if (runFirst !== NIL) views.push(a.view(runFirst, runFrom, runTo));
        runFirst = f;
        runFrom = from;
        runTo = to;
      }
      length += Math.max(0, to - from);
      prev = f;
      if (to < PAGE_BYTES && p < w.last) break; // the real file is shorter than its registered size
    }
    if (runFirst !== NIL) views.push(a.view(runFirst, runFrom, runTo));
    if (!w.noReuse) file.ra.prevLastPage = w.last;
    this.counters.hits += w.hits;
    this.counters.misses += w.misses;
    this.counters.readAheadPages += w.readAheadPages;
    return {
      views, length, pages: w.last - w.first + 1, hits: w.hits, misses: w.misses, readAheadPages: w.readAheadPages,
      minorFaults: w.minorFaults, diskReadBytes: w.diskReadBytes, pin: pin ? new Pin(Int32Array.from(w.pinned)) : null,
    };
  }

  // ---------------------------------------------------------------- write

  /**
   * The caller already wrote `data` to the real file at `position`; copy it into
   * frames, mark them dirty, and throttle the writer when dirty pages pass dirtyRatio.
   */
  write(fileId: number, position: number, data: Buffer): { pages: number; throttled: boolean } {
    const file = this.fileOf(fileId);
    checkNonNegativeInt(position, 'position');
    if (data.length === 0) return { pages: 0, throttled: false };
    const end = position + data.length;
    if (end > file.size) file.size = end;
    const first = Math.floor(position / PAGE_BYTES);
    const last = Math.floor((end - 1) / PAGE_BYTES);
    ensureTable(file, last);
    const pinned: number[] = [];
    try {
      this.attachForWrite(file, first, last, pinned);
      this.copyIn(file, position, data, first, last);
    } finally {
      for (const f of pinned) this.unpin(f);
    }
    return { pages: last - first + 1, throttled: this.throttle() };
  }

  /** Make every page of [first, last] resident (allocating frames), pinned for the duration of the write. */
  private attachForWrite(file: CachedFile, first: number, last: number, pinned: number[]): void {
    let needed = 0;
    for (let p = first; p <= last; p++) {
      const f = file.table[p];
      if (f === NIL) needed++;
      else {
        this.pin(f);
        pinned.push(f);
      }
    }
    this.ensureFree(needed);
    for (let p = first; p <= last; p++) {
      if (file.table[p] !== NIL) continue;
      const f = this.attach(file, p, p > 0 ? file.table[p - 1] : NIL);
      this.pin(f);
      pinned.push(f);
    }
  }

  private copyIn(file: CachedFile, position: number, data: Buffer, first: number, last: number): void {
    const a = this.arena;
    const now = this.now();
    for (let p = first; p <= last; p++) {
      const f = file.table[p];
      const pageStart = p * PAGE_BYTES;
      const from = Math.max(position, pageStart) - pageStart;
      const to = Math.min(position + data.length, pageStart + PAGE_BYTES) - pageStart;
      // A write into the middle of a page whose earlier bytes are not cached is a
      // read-modify-write: the kernel reads the page first. The file already holds
      // the new bytes too, so one pread of the page fills it completely.
      if (a.validBytes[f] < from) this.fillPartialPage(file, f, p);
      data.copy(a.slab(f), a.byteOffset(f) + from, pageStart + from - position, pageStart + to - position);
      if (a.validBytes[f] < to) a.validBytes[f] = to;
      this.markDirty(file, f, p, now);
      if (this.policy === 'lru') this.inactive.moveToHead(f);
    }
  }

  private fillPartialPage(file: CachedFile, f: number, p: number): void {
    const a = this.arena;
    try {
      a.validBytes[f] = fs.readSync(file.fd, a.slab(f), a.byteOffset(f), PAGE_BYTES, p * PAGE_BYTES);
    } catch (e) {
      throw storageError(file, 'read', e);
    }
    this.counters.misses++;
  }

  private markDirty(file: CachedFile, f: number, p: number, now: number): void {
    const a = this.arena;
    if (a.flags[f] & Flag.DIRTY) return;
    a.flags[f] |= Flag.DIRTY;
    a.dirtiedAt[f] = now;
    this.dirtyPages++;
    if (file.dirtyPages++ === 0) file.dirtyOldestAt = now;
    if (p < file.dirtyLowPage) file.dirtyLowPage = p;
  }

  /**
   * balance_dirty_pages(): above dirtyRatio the writer itself writes back the
   * files holding the oldest dirty pages until dirty memory is down to the
   * background threshold. (The kernel sleeps the writer while flushers work;
   * here it is bookkeeping and a count, see the file comment.)
   */
  private throttle(): boolean {
    if (this.dirtyPages <= this.dirtyLimitPages) return false;
    this.counters.throttleEvents++;
    this.writeBackDownTo(this.dirtyBackgroundPages);
    return true;
  }

  // ---------------------------------------------------------------- write-back

  /**
   * The caller ran a real fdatasync(2) of the file, which covered everything
   * below `uptoPosition` (the size it captured before the call), `fsyncBytes`
   * of it new since its previous one. Counts the fsync and cleans the pages
   * wholly below the position (the kernel wrote them back as part of the call).
   */
  markClean(fileId: number, uptoPosition: number, fsyncBytes = 0): number {
    const file = this.fileOf(fileId);
    checkNonNegativeInt(uptoPosition, 'uptoPosition');
    checkNonNegativeInt(fsyncBytes, 'fsyncBytes');
    this.counters.fsyncs++;
    this.counters.fsyncBytes += fsyncBytes;
    const a = this.arena;
    let cleaned = 0;
    const stop = Math.min(file.table.length, pagesFor(uptoPosition));
    for (let p = file.dirtyLowPage; p < stop && file.dirtyPages > 0; p++) {
      const f = file.table[p];
      if (f !== NIL && a.flags[f] & Flag.DIRTY && p * PAGE_BYTES + a.validBytes[f] <= uptoPosition) {
        this.cleanWrittenBack(file, f);
        cleaned++;
      }
    }
    this.rescanDirty(file);
    return cleaned;
  }

  /** One flusher pass (wb_workfn): expired files first, then down to the background threshold. */
  flushTick(): void {
    const expiredBefore = this.now() - this.dirtyExpireMs;
    for (const file of this.files.values()) {
      if (file.dirtyPages > 0 && file.dirtyOldestAt <= expiredBefore) this.writeBack(file);
    }
    this.writeBackDownTo(this.dirtyBackgroundPages);
  }

  /** Runs flushTick every dirtyWritebackMs (bookkeeping only: it makes no system call and cannot fail). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flushTick(), this.dirtyWritebackMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** `sync; echo 1 > /proc/sys/vm/drop_caches`: write back (bookkeeping), then drop every unpinned page. */
  dropCaches(): number {
    for (const file of this.files.values()) if (file.dirtyPages > 0) this.writeBack(file);
    let dropped = 0;
    for (const list of [this.inactive, this.active]) {
      for (let f = list.tail; f !== NIL; ) {
        const next = list.towardsHead(f);
        if (this.arena.pins[f] === 0) {
          this.detach(f);
          dropped++;
        }
        f = next;
      }
    }
    return dropped;
  }

  private writeBackDownTo(targetPages: number): void {
    while (this.dirtyPages > targetPages) {
      let oldest: CachedFile | null = null;
      for (const file of this.files.values()) {
        if (file.dirtyPages > 0 && (!oldest || file.dirtyOldestAt < oldest.dirtyOldestAt)) oldest = file;
      }
      if (!oldest) return;
      this.writeBack(oldest);
    }
  }

  /** Write-back as bookkeeping (see the file comment): every dirty page of the file becomes clean, and is counted. */
  private writeBack(file: CachedFile): number {
    const a = this.arena;
    let cleaned = 0;
    for (let p = file.dirtyLowPage; p < file.table.length && file.dirtyPages > 0; p++) {
      const f = file.table[p];
      if (f !== NIL && a.flags[f] & Flag.DIRTY) {
        this.cleanWrittenBack(file, f);
        cleaned++;
      }
    }
    this.rescanDirty(file);
    return cleaned;
  }

  /** A dirty page written back: clean, and counted in writeBackPages/writeBackBytes. */
  private cleanWrittenBack(file: CachedFile, f: number): void {
    this.clean(file, f);
    this.counters.writeBackPages++;
    this.counters.writeBackBytes += this.arena.validBytes[f];
  }

  /** Drop the dirty state (written back, or discarded with a truncated or deleted file). */
  private clean(file: CachedFile, f: number): void {
    this.arena.flags[f] &= ~Flag.DIRTY;
    this.dirtyPages--;
    file.dirtyPages--;
  }

  /** Recompute dirtyLowPage and dirtyOldestAt after some of a file's pages were cleaned. */
  private rescanDirty(file: CachedFile): void {
    const a = this.arena;
    let low = Infinity;
    let oldest = Infinity;
    let seen = 0;
    for (let p = file.dirtyLowPage; p < file.table.length && seen < file.dirtyPages; p++) {
      const f = file.table[p];
      if (f === NIL || !(a.flags[f] & Flag.DIRTY)) continue;
      seen++;
      if (p < low) low = p;
      if (a.dirtiedAt[f] < oldest) oldest = a.dirtiedAt[f];
    }
    file.dirtyLowPage = low;
    file.dirtyOldestAt = oldest;
  }

  // ---------------------------------------------------------------- lists, frames, reclaim

  /**
   * mark_page_accessed(): an inactive page is referenced on its first access and
   * promoted on the next; an active page only gets its referenced bit. With
   * 'lru', every access moves the page to the head of the one list.
   */
  private touch(f: number): void {
    const a = this.arena;
    if (this.policy === 'lru') {
      this.inactive.moveToHead(f);
      return;
    }
    if (a.list[f] === List.INACTIVE && a.flags[f] & Flag.REFERENCED) {
      this.inactive.remove(f);
      this.active.pushHead(f);
      a.list[f] = List.ACTIVE;
      a.flags[f] &= ~Flag.REFERENCED;
      this.counters.promotions++;
    } else {
      a.flags[f] |= Flag.REFERENCED;
    }
  }

  /** Give page p of `file` a frame (adjacent to `prevFrame` when possible), on the inactive head. */
  private attach(file: CachedFile, p: number, prevFrame: number): number {
    const a = this.arena;
    const f = this.allocFrame(prevFrame === NIL ? NIL : prevFrame + 1);
    a.fileId[f] = file.id;
    a.pageIndex[f] = p;
    a.flags[f] = 0;
    a.validBytes[f] = 0;
    a.list[f] = List.INACTIVE;
    this.inactive.pushHead(f);
    file.table[p] = f;
    file.residentPages++;
    return f;
  }

  /**
   * Prefer the frame right after the previous page's frame so sequential pages
   * sit next to each other and reads coalesce into few views. ensureFree() has
   * already made room, so this never reclaims.
   */
  private allocFrame(hint: number): number {
    const a = this.arena;
    if (hint !== NIL && hint < a.allocatedFrames && a.list[hint] === List.FREE) {
      this.free.remove(hint);
      return hint;
    }
    if (hint === a.allocatedFrames && hint < a.capacityFrames) return a.bump();
    if (this.free.length > 0) return this.free.popHead();
    assert(a.allocatedFrames < a.capacityFrames, 'allocFrame without ensureFree');
    return a.bump();
  }

  /** Reclaim until `pages` frames can be allocated, or throw PAGE_CACHE_EXHAUSTED. */
  private ensureFree(pages: number): void {
    const a = this.arena;
    let available = this.free.length + (a.capacityFrames - a.allocatedFrames);
    while (available < pages) {
      if (!this.reclaimOne()) {
        throw new CopylessError(
          'PAGE_CACHE_EXHAUSTED',
          `page cache has no evictable page: ${pages} pages needed, ${this.pinnedPages} of ` +
            `${this.capacityPages} pinned; raise pageCacheBytes (now ${this.capacityPages * PAGE_BYTES})`,
          { limit: 'pageCacheBytes', max: this.capacityPages * PAGE_BYTES, actual: pages * PAGE_BYTES },
        );
      }
      available++;
    }
  }

  private reclaimOne(): boolean {
    if (this.policy === 'two-list') this.balanceLists();
    let victim = this.scanTail(this.inactive);
    // Every inactive page is pinned: fall back to the active list (the kernel
    // would deactivate active pages first and then reclaim them).
    if (victim === NIL && this.policy === 'two-list') victim = this.scanTail(this.active);
    if (victim === NIL) return false;
    const a = this.arena;
    if (a.flags[victim] & Flag.DIRTY) {
      this.counters.evictionsDirty++;
      this.writeBack(this.files.get(a.fileId[victim])!);
    } else {
      this.counters.evictionsClean++;
    }
    this.detach(victim);
    return true;
  }

  /** inactive_is_low(): while active > inactive, demote from the active tail to the inactive head. */
  private balanceLists(): void {
    const a = this.arena;
    while (this.active.length > this.inactive.length) {
      const f = this.active.tail;
      this.active.remove(f);
      a.flags[f] &= ~Flag.REFERENCED;
      a.list[f] = List.INACTIVE;
      this.inactive.pushHead(f);
      this.counters.demotions++;
    }
  }

  /** First unpinned frame from the tail. Pinned frames met on the way are rotated to the head, as reclaim puts back pages it cannot take. */
  private scanTail(list: FrameList): number {
    for (let i = list.length; i > 0; i--) {
      const f = list.tail;
      if (this.arena.pins[f] === 0) return f;
      list.moveToHead(f);
    }
    return NIL;
  }

  /** Remove a frame's page from its file and list; free the frame unless pinned (then it is orphaned). */
  private detach(f: number): void {
    const a = this.arena;
    const file = this.files.get(a.fileId[f]);
    if (file) {
      file.table[a.pageIndex[f]] = NIL;
      file.residentPages--;
      if (a.flags[f] & Flag.DIRTY) this.clean(file, f);
    }
    if (a.flags[f] & Flag.READAHEAD) this.counters.readAheadWasted++;
    if (a.list[f] === List.INACTIVE) this.inactive.remove(f);
    else if (a.list[f] === List.ACTIVE) this.active.remove(f);
    a.list[f] = List.NONE;
    if (a.pins[f] > 0) a.flags[f] = Flag.ORPHAN;
    else this.freeFrame(f);
  }

  private freeFrame(f: number): void {
    const a = this.arena;
    a.fileId[f] = -1;
    a.pageIndex[f] = -1;
    a.flags[f] = 0;
    a.validBytes[f] = 0;
    a.list[f] = List.FREE;
    // Tail insert: frames freed in reclaim order (usually page order) are reused
    // in that order, so the next sequential fill gets adjacent frames again.
    this.free.pushTail(f);
  }

  private pin(f: number): void {
    if (this.arena.pins[f]++ === 0) this.pinnedPages++;
  }

  private unpin(f: number): void {
    const a = this.arena;
    if (--a.pins[f] > 0) return;
    this.pinnedPages--;
    if (a.flags[f] & Flag.ORPHAN) this.freeFrame(f);
  }

  /** Drop the pages of `file` from `size` on; the page holding the new end keeps only its bytes below it. */
  private truncatePages(file: CachedFile, size: number): void {
    const a = this.arena;
    const keepPages = pagesFor(size);
    for (let p = keepPages; p < file.table.length && file.residentPages > 0; p++) {
      const f = file.table[p];
      if (f === NIL) continue;
      this.detach(f);
    }
    if (size % PAGE_BYTES !== 0 && keepPages - 1 < file.table.length) {
      const f = file.table[keepPages - 1];
      if (f !== NIL && a.validBytes[f] > size % PAGE_BYTES) a.validBytes[f] = size % PAGE_BYTES;
    }
    if (file.ra.prevLastPage >= keepPages) file.ra.reset();
    this.rescanDirty(file);
  }

  private fileOf(fileId: number): CachedFile {
    const file = this.files.get(fileId);
    if (!file) {
      throw new CopylessError('KAFKA_STORAGE_ERROR', `page cache: file id ${fileId} is not registered`, {
        field: 'fileId',
        actual: fileId,
      });
    }
    return file;
  }

  // ---------------------------------------------------------------- observation

  stats(): PageCacheStats {
    const c = this.counters;
    const lookups = c.hits + c.misses;
    return {
      capacityPages: this.capacityPages,
      residentPages: this.inactive.length + this.active.length,
      dirtyPages: this.dirtyPages,
      activePages: this.active.length,
      inactivePages: this.inactive.length,
      pinnedPages: this.pinnedPages,
      hitRatio: lookups === 0 ? 0 : c.hits / lookups,
      ...c,
    };
  }

  /**
   * Every frame's page and state, and every open read-ahead window, for a heat
   * map of the whole cache (the dashboard, twice a second). O(allocated frames)
   * however many files and pages are registered, where pageStates() per file
   * would be O(file pages). Read-only; `reuse` lends last call's arrays back.
   */
  snapshotFrames(reuse?: FrameSnapshot): FrameSnapshot {
    const { list, flags, pins, fileId, pageIndex, allocatedFrames: n } = this.arena;
    const fits = reuse !== undefined && reuse.fileIds.length >= n;
    const fileIds = fits ? reuse.fileIds : new Int32Array(n);
    const pageIndexes = fits ? reuse.pageIndexes : new Int32Array(n);
    const states = fits ? reuse.states : new Uint8Array(n);
    // Locals, not this.arena's fields, in the loop: 65,536 frames twice a second.
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
    for (const file of this.files.values()) {
      if (file.ra.size > 0) readAhead.push({ fileId: file.id, startPage: file.ra.start, pages: file.ra.size, asyncPages: file.ra.asyncSize });
    }
    return { frames: n, fileIds, pageIndexes, states, readAhead };
  }

  /** Our own invariants, checked by the model tests after every operation (O(capacity)). */
  checkInvariants(): void {
    const a = this.arena;
    const onList = this.free.length + this.inactive.length + this.active.length;
    let orphans = 0;
    let pinned = 0;
    let dirty = 0;
    for (let f = 0; f < a.allocatedFrames; f++) {
      if (a.list[f] === List.NONE) {
        assert(a.flags[f] & Flag.ORPHAN && a.pins[f] > 0, `frame ${f} off every list must be a pinned orphan`);
        orphans++;
      }
      if (a.pins[f] > 0) pinned++;
      if (a.flags[f] & Flag.DIRTY) dirty++;
      if (a.list[f] === List.INACTIVE || a.list[f] === List.ACTIVE) {
        const file = this.files.get(a.fileId[f]);
        assert(file && file.table[a.pageIndex[f]] === f, `frame ${f} is on a list but not in its file's page table`);
      }
    }
    assert(onList + orphans === a.allocatedFrames, 'every allocated frame is on exactly one list or orphaned');
    assert(pinned === this.pinnedPages, 'pinnedPages counter');
    assert(dirty === this.dirtyPages, 'dirtyPages counter');
    assert(this.policy === 'two-list' || this.active.length === 0, "'lru' uses one list");
    this.checkFiles();
  }

  private checkFiles(): void {
    const a = this.arena;
    let resident = 0;
    for (const file of this.files.values()) {
      let r = 0;
      let d = 0;
      for (let p = 0; p < file.table.length; p++) {
        const f = file.table[p];
        if (f === NIL) continue;
        r++;
        assert(a.fileId[f] === file.id && a.pageIndex[f] === p, `page ${p} of ${file.name} maps to a foreign frame`);
        if (a.flags[f] & Flag.DIRTY) {
          d++;
          assert(p >= file.dirtyLowPage, 'dirtyLowPage is a lower bound');
        }
      }
      assert(r === file.residentPages && d === file.dirtyPages, `residency counters of ${file.name}`);
      resident += r;
    }
    assert(resident === this.inactive.length + this.active.length, 'resident pages = list lengths');
  }
}

// ---------------------------------------------------------------- helpers

function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE_BYTES);
}

/** Bytes of page p that lie inside a file of `size` bytes. */
function pageBytesAt(size: number, p: number): number {
  return Math.min(PAGE_BYTES, size - p * PAGE_BYTES);
}

function ensureTable(file: CachedFile, page: number): void {
  if (page < file.table.length) return;
  let n = file.table.length;
  while (n <= page) n *= 2;
  file.table = growInt32(file.table, n, NIL);
}

/** One pread(2)/preadv(2) of `bufs` at `position`, on this thread. Returns the bytes read (less at the file's end). */
function readFramesSync(file: CachedFile, bufs: Buffer[], position: number): number {
  try {
    return bufs.length === 1 ? fs.readSync(file.fd, bufs[0], 0, bufs[0].length, position) : fs.readvSync(file.fd, bufs, position);
  } catch (e) {
    throw storageError(file, 'read', e);
  }
}

/** The same read on libuv's threadpool. */
function readFramesAsync(file: CachedFile, bufs: Buffer[], position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (e: NodeJS.ErrnoException | null, bytesRead: number) => (e ? reject(storageError(file, 'read', e)) : resolve(bytesRead));
    if (bufs.length === 1) fs.read(file.fd, bufs[0], 0, bufs[0].length, position, done);
    else fs.readv(file.fd, bufs, position, done);
  });
}

function emptyRead(pin: boolean): PageReadResult {
  return {
    views: [], length: 0, pages: 0, hits: 0, misses: 0, readAheadPages: 0, minorFaults: 0, diskReadBytes: 0,
    pin: pin ? new Pin(new Int32Array(0)) : null,
  };
}

function checkNonNegativeInt(v: number, field: string): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new CopylessError('INVALID_REQUEST', `page cache: ${field} must be a non-negative integer, got ${v}`, { field });
  }
}

function storageError(file: CachedFile, op: string, e: unknown): CopylessError {
  const why = e instanceof Error ? e.message : String(e);
  return new CopylessError('KAFKA_STORAGE_ERROR', `page cache: ${op} of ${file.name} failed: ${why}`, { field: 'fd' });
}

function configError(field: string, why: string): CopylessError {
  return new CopylessError('INVALID_CONFIG', `${field} ${why}`, { field });
}

function validateOptions(opts: PageCacheOptions): Required<PageCacheOptions> {
  const o = {
    policy: 'two-list' as CachePolicy,
    readAheadMaxPages: READ_AHEAD_MAX_PAGES_DEFAULT,
    dirtyBackgroundRatio: DIRTY_BACKGROUND_RATIO_DEFAULT,
    dirtyRatio: DIRTY_RATIO_DEFAULT,
    dirtyExpireMs: DIRTY_EXPIRE_MS_DEFAULT,
    dirtyWritebackMs: DIRTY_WRITEBACK_MS_DEFAULT,
    now: Date.now,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  } as Required<PageCacheOptions>;
  const cap = o.capacityBytes;
  if (!Number.isSafeInteger(cap) || cap % PAGE_BYTES !== 0 || cap < PAGE_CACHE_BYTES_MIN || cap > PAGE_CACHE_BYTES_MAX) {
    throw configError(
      'pageCacheBytes',
      `must be a multiple of ${PAGE_BYTES} between ${PAGE_CACHE_BYTES_MIN} and ${PAGE_CACHE_BYTES_MAX}, got ${cap}`,
    );
  }
  if (!CACHE_POLICIES.includes(o.policy)) throw configError('policy', `must be one of ${CACHE_POLICIES.join(', ')}, got ${o.policy}`);
  const ra = o.readAheadMaxPages;
  if (!Number.isInteger(ra) || ra < 0 || ra > READ_AHEAD_MAX_PAGES_CEILING) {
    throw configError('readAheadMaxPages', `must be an integer in 0..${READ_AHEAD_MAX_PAGES_CEILING}, got ${ra}`);
  }
  const ratioOk = (r: number) => typeof r === 'number' && r > 0 && r <= 1;
  if (!ratioOk(o.dirtyRatio)) throw configError('dirtyRatio', `must be in (0, 1], got ${o.dirtyRatio}`);
  if (!ratioOk(o.dirtyBackgroundRatio) || o.dirtyBackgroundRatio > o.dirtyRatio) {
    throw configError('dirtyBackgroundRatio', `must be in (0, dirtyRatio=${o.dirtyRatio}], got ${o.dirtyBackgroundRatio}`);
  }
  for (const field of ['dirtyExpireMs', 'dirtyWritebackMs'] as const) {
    if (!Number.isFinite(o[field]) || o[field] <= 0) throw configError(field, `must be a positive number of ms, got ${o[field]}`);
  }
  return o;
}
