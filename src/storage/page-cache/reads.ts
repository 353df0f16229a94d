// Reads through the simulated page cache: hits, misses, read-ahead, the loads
// that fill missing pages, and the views a read returns.
//
// What the kernel does: a read that finds its page missing reads it from disk
// (DMA disk -> page cache), usually with read-ahead around it
// (mm/readahead.c, see readahead.ts); the page is locked (PG_locked) while the
// I/O runs and other readers wait on it; every page a read(2) touches is
// marked accessed (reclaim-lists.ts), once per read even if the read starts
// in the folio the previous one ended in (pos_same_folio); a page touched
// through a mapping gets a page-table entry (a minor fault if it was
// resident, a major one if it had to be read).
//
// What the model simplifies: no modelled I/O latency. A miss is one
// pread(2)/preadv(2) of the real file per contiguous run of missing pages
// (read-ahead included), on the caller's thread for read() (small lookups)
// and on libuv's threadpool for readAsync() (fetches: the frames are pinned
// and LOCKED meanwhile, and other readers wait for the load); "async"
// read-ahead is read with the request. No mmap fault-around.

import fs from 'node:fs';
import { PAGE_BYTES } from '../../limits.ts';
import { type CachedFile, checkNonNegativeInt, ensureTable, frameAt, pageBytesAt, pagesFor, storageError } from './cached-file.ts';
import type { CacheCore } from './core.ts';
import { Flag } from './frame-arena.ts';
import { NIL } from './frame-list.ts';
import type { PageReadResult, PinHandle, ReadOptions } from './types.ts';

/** The frames a read keeps pinned for its caller until release(). */
class Pin implements PinHandle {
  released = false;
  constructor(readonly frames: Int32Array) {}
  get pages(): number {
    return this.frames.length;
  }
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

export class PageReader {
  /** Frames LOCKED by a load on the threadpool -> that load, so a second reader waits for it instead of reading again. */
  readonly loading = new Map<number, Promise<void>>();

  constructor(
    private readonly core: CacheCore,
    private readonly readAheadMaxPages: number,
  ) {}

  /** See PageCache.read: misses are read on the caller's thread. */
  read(fileId: number, position: number, length: number, opts: ReadOptions): PageReadResult {
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
      if (!keepPins) for (const f of w.pinned) this.core.unpin(f);
    }
  }

  /** See PageCache.readAsync: misses are read on libuv's threadpool, the bookkeeping stays on the caller's thread. */
  async readAsync(fileId: number, position: number, length: number, opts: ReadOptions): Promise<PageReadResult> {
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
      if (!keepPins) for (const f of w.pinned) this.core.unpin(f);
    }
  }

  release(pin: PinHandle): void {
    if (!(pin instanceof Pin) || pin.released) return;
    pin.released = true;
    for (const f of pin.frames) this.core.unpin(f);
  }

  /** The read's scratch state, or null when nothing of the file lies in the range. */
  private startRead(fileId: number, position: number, length: number, opts: ReadOptions, async: boolean): ReadWork | null {
    const file = this.core.fileOf(fileId);
    checkNonNegativeInt(position, 'position');
    checkNonNegativeInt(length, 'length');
    const end = Math.min(position + length, file.size);
    if (end <= position) return null;
    return {
      file, first: Math.floor(position / PAGE_BYTES), last: Math.floor((end - 1) / PAGE_BYTES), noReuse: opts.noReuse === true,
      map: opts.map === true, pinned: [], hits: 0, minorFaults: 0, misses: 0, readAheadPages: 0, diskReadBytes: 0, loads: async ? [] : null,
    };
  }

  /**
   * Phase 1: pin the requested pages already resident, count hits, find
   * misses and the read-ahead marker. An async read also takes a page another
   * load is filling (LOCKED) as resident, and waits for that load.
   */
  private pinResident(w: ReadWork): { missing: number; hitMarker: boolean } {
    const { file } = w;
    const a = this.core.arena;
    let missing = 0;
    let hitMarker = false;
    for (let p = w.first; p <= w.last; p++) {
      const f = frameAt(file, p);
      const loading = f !== NIL && w.loads !== null ? this.loading.get(f) : undefined;
      if (loading) w.loads!.push(loading);
      else if (f === NIL || a.validBytes[f] < pageBytesAt(file.size, p)) {
        missing++;
        continue;
      }
      w.hits++;
      if (w.map && !(a.flags[f] & Flag.MAPPED)) w.minorFaults++;
      this.core.pin(f);
      w.pinned.push(f);
      if (a.flags[f] & Flag.READAHEAD) {
        a.flags[f] &= ~Flag.READAHEAD;
        this.core.counters.readAheadUsed++;
      }
      if (p === file.ra.markerPage) hitMarker = true;
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
    const f = frameAt(file, p);
    return f !== NIL && this.core.arena.validBytes[f] >= pageBytesAt(file.size, p);
  }

  private isLoading(file: CachedFile, p: number): boolean {
    const f = frameAt(file, p);
    return f !== NIL && (this.core.arena.flags[f] & Flag.LOCKED) !== 0;
  }

  /**
   * Read pages [pStart, pEnd) from the file in one preadv(2); pages past
   * w.last are read-ahead. A sync read reads now; an async one pins and LOCKs
   * every frame of the run and reads on the threadpool (w.loads).
   */
  private loadRun(w: ReadWork, pStart: number, pEnd: number): void {
    const { file } = w;
    const core = this.core;
    const a = core.arena;
    ensureTable(file, pEnd - 1);
    // A resident page can be stale (its file grew without a write through the
    // cache): it is re-read in place, and held so reclaim cannot take it meanwhile.
    const stale: number[] = [];
    for (let p = pStart; p < pEnd; p++) if (file.table[p] !== NIL) stale.push(file.table[p]);
    for (const f of stale) core.pin(f);
    const run: LoadRun = { file, pStart, frames: [] };
    try {
      core.ensureFree(pEnd - pStart - stale.length);
      for (let p = pStart; p < pEnd; p++) {
        let f = file.table[p];
        if (f === NIL) f = core.attach(file, p, p > 0 ? file.table[p - 1] : NIL);
        run.frames.push(f);
        if (p <= w.last) {
          core.pin(f);
          w.pinned.push(f);
          w.misses++;
        } else {
          a.flags[f] |= Flag.READAHEAD;
          w.readAheadPages++;
        }
      }
      if (w.loads) this.lockRun(run);
    } finally {
      for (const f of stale) core.unpin(f);
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
      this.core.pin(f);
      this.core.arena.flags[f] |= Flag.LOCKED;
    }
  }

  private unlockRun(run: LoadRun): void {
    for (const f of run.frames) {
      this.core.arena.flags[f] &= ~Flag.LOCKED;
      this.loading.delete(f);
      this.core.unpin(f);
    }
  }

  /**
   * Bytes read into each frame of the run. Never lowered: while an async load
   * was under way an append may have filled the file's last page further (a
   * write into a page whose head is not cached reads the page itself first).
   */
  private setValid(run: LoadRun, bytesRead: number): void {
    const a = this.core.arena;
    for (let i = 0; i < run.frames.length; i++) {
      const f = run.frames[i];
      if (a.flags[f] & Flag.ORPHAN) continue;
      a.validBytes[f] = Math.max(a.validBytes[f], Math.min(PAGE_BYTES, Math.max(0, bytesRead - i * PAGE_BYTES)));
    }
  }

  /** The frames as few Buffers: adjacent frames coalesced into one view (the iovecs of one preadv). */
  private frameViews(frames: number[]): Buffer[] {
    const a = this.core.arena;
    const bufs: Buffer[] = [];
    let runFirst = frames[0];
    let runLength = 1;
    for (let i = 1; i <= frames.length; i++) {
      if (i < frames.length && a.adjacent(frames[i - 1], frames[i])) {
        runLength++;
        continue;
      }
      bufs.push(a.view(runFirst, 0, runLength * PAGE_BYTES));
      runFirst = frames[i];
      runLength = 1;
    }
    return bufs;
  }

  /** Phase 3: touch the pages in order (LRU bookkeeping) and build the coalesced views. */
  private collect(w: ReadWork, position: number, end: number, pin: boolean): PageReadResult {
    const { file } = w;
    const a = this.core.arena;
    const lists = this.core.lists;
    const skipFirstAccess = w.noReuse || (lists.policy === 'two-list' && w.first === file.ra.prevLastPage);
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
      if (!w.noReuse && !(skipFirstAccess && p === w.first)) lists.touch(f);
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
    const c = this.core.counters;
    c.hits += w.hits;
    c.misses += w.misses;
    c.readAheadPages += w.readAheadPages;
    return {
      views, length, pages: w.last - w.first + 1, hits: w.hits, misses: w.misses, readAheadPages: w.readAheadPages,
      minorFaults: w.minorFaults, diskReadBytes: w.diskReadBytes, pin: pin ? new Pin(Int32Array.from(w.pinned)) : null,
    };
  }
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
