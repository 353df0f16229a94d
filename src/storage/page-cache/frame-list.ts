// Intrusive doubly linked lists over frame indices.
//
// The kernel threads its LRU lists through `struct page` itself (page->lru), so
// moving a page between lists costs a few pointer writes and no allocation. The
// model does the same with two shared Int32Arrays (`prev`, `next`) indexed by
// frame number: a frame is on at most one list at a time (free, inactive or
// active), so one pair of link arrays serves every list. NIL (-1) ends a list.

export const NIL = -1;

/** The link arrays every list in one arena shares; grown by the arena as frames appear. */
export interface FrameLinks {
  prev: Int32Array;
  next: Int32Array;
}

/**
 * One list: `head` is the most recently inserted end (the kernel's list head),
 * `tail` the end reclaim scans from.
 */
export class FrameList {
  head = NIL;
  tail = NIL;
  length = 0;

  constructor(private readonly links: FrameLinks) {}

  pushHead(f: number): void {
    const { prev, next } = this.links;
    prev[f] = NIL;
    next[f] = this.head;
    if (this.head !== NIL) prev[this.head] = f;
    else this.tail = f;
    this.head = f;
    this.length++;
  }

  pushTail(f: number): void {
    const { prev, next } = this.links;
    next[f] = NIL;
    prev[f] = this.tail;
    if (this.tail !== NIL) next[this.tail] = f;
    else this.head = f;
    this.tail = f;
    this.length++;
  }

  remove(f: number): void {
    const { prev, next } = this.links;
    const p = prev[f];
    const n = next[f];
    if (p !== NIL) next[p] = n;
    else this.head = n;
    if (n !== NIL) prev[n] = p;
    else this.tail = p;
    prev[f] = NIL;
    next[f] = NIL;
    this.length--;
  }

  /** Move an element already on this list to its head (an LRU touch). */
  moveToHead(f: number): void {
    if (this.head === f) return;
    this.remove(f);
    this.pushHead(f);
  }

  popHead(): number {
    const f = this.head;
    if (f !== NIL) this.remove(f);
    return f;
  }

  /** The element before `f` going from tail towards head (NIL at the head). */
  towardsHead(f: number): number {
    return this.links.prev[f];
  }

  /** Frames from head to tail; for tests and invariant checks only (allocates). */
  toArray(): number[] {
    const out: number[] = [];
    for (let f = this.head; f !== NIL; f = this.links.next[f]) out.push(f);
    return out;
  }
}
