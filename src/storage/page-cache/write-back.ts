// Write-back and dirty throttling: when the simulated kernel considers a
// dirty page written back.
//
// What the kernel does: a write copies into the page and marks it dirty;
// flusher threads write dirty pages back after dirty_expire_centisecs (30 s)
// or when dirty memory passes dirty_background_ratio (10 %); a writer that
// pushes dirty memory past dirty_ratio (20 %) is throttled in
// balance_dirty_pages(); reclaim hands a dirty victim to the flusher.
//
// What the model simplifies:
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
//   - reclaim writes a dirty victim's file back at once (the kernel defers
//     that to the flusher).

import { PAGE_BYTES } from '../../limits.ts';
import { type CachedFile, pagesFor } from './cached-file.ts';
import { type FrameArena, Flag } from './frame-arena.ts';
import { NIL } from './frame-list.ts';
import type { PageCacheCounters } from './types.ts';

export interface WriteBackOptions {
  capacityPages: number;
  dirtyBackgroundRatio: number;
  dirtyRatio: number;
  dirtyExpireMs: number;
  dirtyWritebackMs: number;
  now: () => number;
}

export class WriteBack {
  /** Above this many dirty pages the flusher writes back (dirty_background_ratio of the capacity). */
  readonly dirtyBackgroundPages: number;
  /** Above this many the writer itself is throttled (dirty_ratio of the capacity). */
  readonly dirtyLimitPages: number;
  readonly dirtyExpireMs: number;
  readonly dirtyWritebackMs: number;
  /** Dirty pages of every file. */
  dirtyPages = 0;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    o: WriteBackOptions,
    private readonly arena: FrameArena,
    /** The registered files (the core's map, shared): what the flusher walks. */
    private readonly files: ReadonlyMap<number, CachedFile>,
    private readonly counters: PageCacheCounters,
  ) {
    this.dirtyBackgroundPages = Math.floor(o.dirtyBackgroundRatio * o.capacityPages);
    this.dirtyLimitPages = Math.floor(o.dirtyRatio * o.capacityPages);
    this.dirtyExpireMs = o.dirtyExpireMs;
    this.dirtyWritebackMs = o.dirtyWritebackMs;
    this.now = o.now;
  }

  /** Page p of `file` (frame f) was written to at `now`: dirty from then on, if it was not already. */
  markDirty(file: CachedFile, f: number, p: number, now: number): void {
    const a = this.arena;
    if (a.flags[f] & Flag.DIRTY) return;
    a.flags[f] |= Flag.DIRTY;
    a.dirtiedAt[f] = now;
    this.dirtyPages++;
    if (file.dirtyPages++ === 0) file.dirtyOldestAt = now;
    if (p < file.dirtyLowPage) file.dirtyLowPage = p;
  }

  /** Drop the dirty state (written back, or discarded with a truncated or deleted file). */
  clean(file: CachedFile, f: number): void {
    this.arena.flags[f] &= ~Flag.DIRTY;
    this.dirtyPages--;
    file.dirtyPages--;
  }

  /**
   * balance_dirty_pages(): above dirtyRatio the writer itself writes back the
   * files holding the oldest dirty pages until dirty memory is down to the
   * background threshold. (The kernel sleeps the writer while flushers work;
   * here it is bookkeeping and a count, see the file comment.)
   */
  throttle(): boolean {
    if (this.dirtyPages <= this.dirtyLimitPages) return false;
    this.counters.throttleEvents++;
    this.writeBackDownTo(this.dirtyBackgroundPages);
    return true;
  }

  /**
   * The caller ran a real fdatasync(2) of the file, which covered everything
   * below `uptoPosition` (the size it captured before the call), `fsyncBytes`
   * of it new since its previous one. Counts the fsync and cleans the pages
   * wholly below the position (the kernel wrote them back as part of the call).
   */
  markClean(file: CachedFile, uptoPosition: number, fsyncBytes: number): number {
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

  /** `sync`: every file with dirty pages is written back (bookkeeping). */
  writeBackAll(): void {
    for (const file of this.files.values()) if (file.dirtyPages > 0) this.writeBack(file);
  }

  /** Write-back as bookkeeping (see the file comment): every dirty page of the file becomes clean, and is counted. */
  writeBack(file: CachedFile): number {
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

  /** Recompute dirtyLowPage and dirtyOldestAt after some of a file's pages were cleaned. */
  rescanDirty(file: CachedFile): void {
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

  /** A dirty page written back: clean, and counted in writeBackPages/writeBackBytes. */
  private cleanWrittenBack(file: CachedFile, f: number): void {
    this.clean(file, f);
    this.counters.writeBackPages++;
    this.counters.writeBackBytes += this.arena.validBytes[f];
  }
}
