// The frame arena: where the simulated page cache keeps page contents and the
// per-frame state the kernel keeps in `struct page`/`struct folio`.
//
// Layout: frames are 4 KiB slots in slabs of SLAB_BYTES (1 MiB = 256 frames),
// allocated lazily as the cache fills, never beyond the configured capacity.
// Frame f lives in slab `f >> FRAMES_PER_SLAB_SHIFT` at byte
// `(f & (FRAMES_PER_SLAB - 1)) * PAGE_BYTES`. Frames f and f+1 in the same slab
// are adjacent in memory, so a run of them is served as one Buffer view.
//
// Per-frame state lives in parallel typed arrays (one entry per frame) rather
// than objects: a 256 MiB cache is 65,536 frames, and typed arrays keep that
// to a few hundred KiB with no GC pressure. They grow by doubling as slabs appear.

import { PAGE_BYTES } from '../../limits.ts';
import { NIL, type FrameLinks } from './frame-list.ts';

/** Slab size: the unit the arena asks the allocator for (1 MiB, 256 frames). */
export const SLAB_BYTES = 1024 * 1024;
export const FRAMES_PER_SLAB = SLAB_BYTES / PAGE_BYTES;
const FRAMES_PER_SLAB_SHIFT = Math.log2(FRAMES_PER_SLAB);
const FRAME_ARRAYS_INITIAL_LENGTH = FRAMES_PER_SLAB;

/** Which list a frame is on. */
export const List = { NONE: 0, FREE: 1, INACTIVE: 2, ACTIVE: 3 } as const;

/** Bits of `flags` (PG_dirty, PG_referenced, PG_readahead, PG_locked, a PTE in the kernel; ORPHAN is the model's own). */
export const Flag = {
  DIRTY: 1,
  REFERENCED: 2,
  /** Loaded by read-ahead and not yet read: counted as used on first read, wasted if evicted first. */
  READAHEAD: 4,
  /** Its file was truncated or unregistered while the frame was pinned: freed on the last unpin. */
  ORPHAN: 8,
  /** Being read from the file on the threadpool (PG_locked): pinned until the read ends; readers wait for it. */
  LOCKED: 16,
  /** Mapped into the fetch model's mmap of its file (the kernel's page-table entry): a later touch through it does not fault. */
  MAPPED: 32,
} as const;

export class FrameArena {
  readonly capacityFrames: number;
  /** Frames handed out so far (the bump pointer); frames >= this have no slab yet. */
  allocatedFrames = 0;
  readonly slabs: Buffer[] = [];
  readonly links: FrameLinks;
  fileId: Int32Array;
  pageIndex: Int32Array;
  flags: Uint8Array;
  list: Uint8Array;
  pins: Int32Array;
  /** Bytes of the frame holding file data: PAGE_BYTES except for a file's last, partial page. */
  validBytes: Uint16Array;
  dirtiedAt: Float64Array;

  constructor(capacityFrames: number) {
    this.capacityFrames = capacityFrames;
    const n = Math.min(FRAME_ARRAYS_INITIAL_LENGTH, capacityFrames);
    this.links = { prev: new Int32Array(n).fill(NIL), next: new Int32Array(n).fill(NIL) };
    this.fileId = new Int32Array(n).fill(-1);
    this.pageIndex = new Int32Array(n).fill(-1);
    this.flags = new Uint8Array(n);
    this.list = new Uint8Array(n);
    this.pins = new Int32Array(n);
    this.validBytes = new Uint16Array(n);
    this.dirtiedAt = new Float64Array(n);
  }

  /** Take the next never-used frame, allocating its slab (and growing the state arrays) if needed. */
  bump(): number {
    const f = this.allocatedFrames;
    if (f >= this.capacityFrames) throw new Error('copyless invariant: frame arena over capacity');
    if ((f & (FRAMES_PER_SLAB - 1)) === 0) {
      const frames = Math.min(FRAMES_PER_SLAB, this.capacityFrames - f);
      // allocUnsafeSlow: a slab of its own, outside Node's shared pool; every
      // byte is filled from the file or a write before a view exposes it.
      this.slabs.push(Buffer.allocUnsafeSlow(frames * PAGE_BYTES));
    }
    if (f >= this.fileId.length) this.grow();
    this.allocatedFrames++;
    return f;
  }

  slab(f: number): Buffer {
    return this.slabs[f >> FRAMES_PER_SLAB_SHIFT];
  }

  byteOffset(f: number): number {
    return (f & (FRAMES_PER_SLAB - 1)) * PAGE_BYTES;
  }

  /** True when frame b directly follows frame a in memory (same slab, next slot). */
  adjacent(a: number, b: number): boolean {
    return b === a + 1 && (b & (FRAMES_PER_SLAB - 1)) !== 0;
  }

  /** A view over frames [f, f+count) (must be adjacent) from byte `from` of the first to byte `to` of the run. */
  view(f: number, from: number, to: number): Buffer {
    const base = this.byteOffset(f);
    return this.slab(f).subarray(base + from, base + to);
  }

  private grow(): void {
    const n = Math.min(this.fileId.length * 2, this.capacityFrames);
    this.links.prev = growInt32(this.links.prev, n, NIL);
    this.links.next = growInt32(this.links.next, n, NIL);
    this.fileId = growInt32(this.fileId, n, -1);
    this.pageIndex = growInt32(this.pageIndex, n, -1);
    this.pins = growInt32(this.pins, n, 0);
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
    const list = new Uint8Array(n);
    list.set(this.list);
    this.list = list;
    const valid = new Uint16Array(n);
    valid.set(this.validBytes);
    this.validBytes = valid;
    const dirtiedAt = new Float64Array(n);
    dirtiedAt.set(this.dirtiedAt);
    this.dirtiedAt = dirtiedAt;
  }
}

export function growInt32(a: Int32Array, length: number, fill: number): Int32Array {
  const out = new Int32Array(length);
  out.set(a);
  if (fill !== 0) out.fill(fill, a.length);
  return out;
}
