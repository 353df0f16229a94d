// The cache core: frames, page tables, inserting and dropping pages, pins,
// and the write path that copies appended bytes into frames.
//
// What the kernel does: file data is cached in 4 KiB pages keyed by (inode,
// page index); each file's address_space maps a page index to the page
// caching it; a page gets a frame when it is first read or written, and
// loses it to reclaim (reclaim-lists.ts picks which) when a new page needs
// one and none is free. A write copies into the page and marks it dirty;
// writing into a page whose earlier bytes are not cached reads it first.
// Pages referenced by in-flight zero-copy sends are pinned and not reclaimed.
//
// What the model does: frames come from the arena (frame-arena.ts: 1 MiB
// slabs allocated lazily up to the capacity), per-file page tables are
// Int32Arrays (cached-file.ts), and a page takes the frame after its
// predecessor's when it can, so sequential pages form one Buffer view. A
// frame whose file is truncated or unregistered while it is pinned becomes an
// ORPHAN: off every list and every page table, freed on its last unpin.
// Dirty bookkeeping and throttling are write-back.ts's; reads are reads.ts's.

import fs from 'node:fs';
import { CopylessError, assert } from '../../errors.ts';
import { PAGE_BYTES } from '../../limits.ts';
import { type CachedFile, checkNonNegativeInt, ensureTable, newCachedFile, pagesFor, storageError } from './cached-file.ts';
import { FrameArena, Flag, List } from './frame-arena.ts';
import { FrameList, NIL } from './frame-list.ts';
import { ReclaimLists } from './reclaim-lists.ts';
import type { CachePolicy, PageCacheCounters } from './types.ts';
import { WriteBack, type WriteBackOptions } from './write-back.ts';

export class CacheCore {
  readonly capacityPages: number;
  readonly arena: FrameArena;
  readonly free: FrameList;
  readonly lists: ReclaimLists;
  readonly writeBack: WriteBack;
  readonly files = new Map<number, CachedFile>();
  /** Frames with at least one pin. */
  pinnedPages = 0;
  private nextFileId = 1;
  private readonly now: () => number;
  private readonly unregisterListeners: Array<(fileId: number) => void> = [];

  /** The cumulative event counters, shared with the lists, write-back and reads. */
  readonly counters: PageCacheCounters = zeroCounters();

  constructor(o: WriteBackOptions & { policy: CachePolicy }) {
    const counters = this.counters;
    this.capacityPages = o.capacityPages;
    this.now = o.now;
    this.arena = new FrameArena(o.capacityPages);
    this.free = new FrameList(this.arena.links);
    this.lists = new ReclaimLists(o.policy, this.arena, counters);
    this.writeBack = new WriteBack(o, this.arena, this.files, counters);
  }

  // ---------------------------------------------------------------- files

  registerFile(f: { name: string; fd: number; size: number }): number {
    checkNonNegativeInt(f.fd, 'fd');
    checkNonNegativeInt(f.size, 'size');
    const id = this.nextFileId++;
    this.files.set(id, newCachedFile(id, f));
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
    if (opts.writeBack && file.dirtyPages > 0) this.writeBack.writeBack(file);
    this.truncatePages(file, 0);
    this.files.delete(fileId);
    for (const listener of this.unregisterListeners) listener(fileId);
  }

  onFileUnregistered(listener: (fileId: number) => void): void {
    this.unregisterListeners.push(listener);
  }

  /** munmap(2): the file's pages lose their mapping. A file no longer registered has nothing to unmap. */
  unmapFile(fileId: number): void {
    const file = this.files.get(fileId);
    if (!file) return; // unregistered: its pages are gone already
    const a = this.arena;
    for (let p = 0; p < file.table.length; p++) {
      const f = file.table[p];
      if (f !== NIL) a.flags[f] &= ~Flag.MAPPED;
    }
  }

  fileOf(fileId: number): CachedFile {
    const file = this.files.get(fileId);
    if (!file) {
      throw new CopylessError('KAFKA_STORAGE_ERROR', `page cache: file id ${fileId} is not registered`, {
        field: 'fileId',
        actual: fileId,
      });
    }
    return file;
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
    this.writeBack.rescanDirty(file);
  }

  // ---------------------------------------------------------------- frames

  /** Give page p of `file` a frame (adjacent to `prevFrame` when possible), on the inactive head. ensureFree() made room. */
  attach(file: CachedFile, p: number, prevFrame: number): number {
    const a = this.arena;
    assert(file.table[p] === NIL, 'attach of a page already resident');
    const f = this.allocFrame(prevFrame === NIL ? NIL : prevFrame + 1);
    a.fileId[f] = file.id;
    a.pageIndex[f] = p;
    a.flags[f] = 0;
    a.validBytes[f] = 0;
    this.lists.insert(f);
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
  ensureFree(pages: number): void {
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
    const victim = this.lists.victim();
    if (victim === NIL) return false;
    const a = this.arena;
    if (a.flags[victim] & Flag.DIRTY) {
      this.counters.evictionsDirty++;
      this.writeBack.writeBack(this.files.get(a.fileId[victim])!);
    } else {
      this.counters.evictionsClean++;
    }
    this.detach(victim);
    return true;
  }

  /** Remove a frame's page from its file and list; free the frame unless pinned (then it is orphaned). */
  detach(f: number): void {
    const a = this.arena;
    const file = this.files.get(a.fileId[f]);
    if (file) {
      file.table[a.pageIndex[f]] = NIL;
      file.residentPages--;
      if (a.flags[f] & Flag.DIRTY) this.writeBack.clean(file, f);
    }
    if (a.flags[f] & Flag.READAHEAD) this.counters.readAheadWasted++;
    this.lists.remove(f);
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

  /** `echo 1 > drop_caches`: every unpinned page leaves the cache (the caller wrote them back first). Returns how many. */
  dropUnpinned(): number {
    const frames = this.lists.unpinnedFromTail();
    for (const f of frames) this.detach(f);
    return frames.length;
  }

  // ---------------------------------------------------------------- pins

  pin(f: number): void {
    if (this.arena.pins[f]++ === 0) this.pinnedPages++;
  }

  unpin(f: number): void {
    const a = this.arena;
    assert(a.pins[f] > 0, 'unpin of a frame that is not pinned');
    if (--a.pins[f] > 0) return;
    this.pinnedPages--;
    if (a.flags[f] & Flag.ORPHAN) this.freeFrame(f);
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
    return { pages: last - first + 1, throttled: this.writeBack.throttle() };
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
      this.writeBack.markDirty(file, f, p, now);
      this.lists.written(f);
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
}

function zeroCounters(): PageCacheCounters {
  return {
    hits: 0, misses: 0, readAheadPages: 0, readAheadUsed: 0, readAheadWasted: 0, evictionsClean: 0,
    evictionsDirty: 0, promotions: 0, demotions: 0, writeBackPages: 0, writeBackBytes: 0, fsyncs: 0, fsyncBytes: 0, throttleEvents: 0,
  };
}
