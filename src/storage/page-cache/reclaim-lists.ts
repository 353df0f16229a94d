// The reclaim lists: which resident page goes when the cache needs a frame.
//
// What the kernel does (mm/workingset.c, mm/vmscan.c): pages enter the
// inactive list; a second access promotes them to the active list; reclaim
// takes from the inactive tail; and the active list is shrunk (its tail
// demoted to the inactive head) when the inactive list runs low
// (inactive_is_low). A one-pass scan therefore churns only the inactive list
// and cannot push out a hot working set. Pages referenced by in-flight
// zero-copy sends are pinned; reclaim skips them and puts them back.
//
// What the model simplifies:
//   - inactive_is_low is `active > inactive` (the kernel's ratio for < 1 GiB);
//   - no shadow entries / refault detection, no per-cgroup LRUs, one "node";
//   - under 'two-list' a write does not count as an access: only reads
//     reference and promote pages, so what consumers read is what the active
//     list protects ('lru' moves a written page to the head, see written());
//   - policy 'lru' replaces the two lists by one plain LRU list (move to head
//     on every touch), to show what a one-pass catch-up scan does without them.
//
// The lists only order frames; which frame to free, and what freeing one
// means for its file, is the core's (core.ts) job.

import { type FrameArena, Flag, List } from './frame-arena.ts';
import { FrameList, NIL } from './frame-list.ts';
import type { CachePolicy, PageCacheCounters } from './types.ts';

export class ReclaimLists {
  /** The inactive list; with policy 'lru' the one and only list. */
  readonly inactive: FrameList;
  readonly active: FrameList;

  constructor(
    readonly policy: CachePolicy,
    private readonly arena: FrameArena,
    private readonly counters: PageCacheCounters,
  ) {
    this.inactive = new FrameList(arena.links);
    this.active = new FrameList(arena.links);
  }

  /** Pages on either list: every resident page of a registered file. */
  get residentPages(): number {
    return this.inactive.length + this.active.length;
  }

  /** A page just given a frame enters at the inactive head (the kernel's lru_cache_add to the inactive list). */
  insert(f: number): void {
    this.arena.list[f] = List.INACTIVE;
    this.inactive.pushHead(f);
  }

  /** Takes a frame off whichever list holds it (its page leaves the cache). */
  remove(f: number): void {
    const a = this.arena;
    if (a.list[f] === List.INACTIVE) this.inactive.remove(f);
    else if (a.list[f] === List.ACTIVE) this.active.remove(f);
    a.list[f] = List.NONE;
  }

  /**
   * mark_page_accessed(): an inactive page is referenced on its first access and
   * promoted on the next; an active page only gets its referenced bit. With
   * 'lru', every access moves the page to the head of the one list.
   */
  touch(f: number): void {
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

  /** A page was written: an access under 'lru' only (see the file comment). */
  written(f: number): void {
    if (this.policy === 'lru') this.inactive.moveToHead(f);
  }

  /**
   * The page reclaim takes next, or NIL when every resident page is pinned:
   * the first unpinned page from the inactive tail, after balancing the lists.
   * If every inactive page is pinned, the active tail is tried (the kernel
   * would deactivate active pages first and then reclaim them).
   */
  victim(): number {
    if (this.policy === 'two-list') this.balance();
    let victim = this.scanTail(this.inactive);
    if (victim === NIL && this.policy === 'two-list') victim = this.scanTail(this.active);
    return victim;
  }

  /** Every unpinned resident frame, inactive tail first then active tail first: what drop_caches frees. */
  unpinnedFromTail(): number[] {
    const out: number[] = [];
    for (const list of [this.inactive, this.active]) {
      for (let f = list.tail; f !== NIL; f = list.towardsHead(f)) if (this.arena.pins[f] === 0) out.push(f);
    }
    return out;
  }

  /** inactive_is_low(): while active > inactive, demote from the active tail to the inactive head. */
  private balance(): void {
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
}
