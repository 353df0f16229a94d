// Read-ahead window arithmetic after Linux mm/readahead.c.
//
// The kernel keeps `struct file_ra_state { start, size, async_size, prev_pos }`
// per open file. A read that misses, or that reaches the page carrying the
// PG_readahead marker, triggers read-ahead:
//   - a read starting at page 0 or sequential with the previous read (its first
//     page is the previous read's last page or the one after) either continues
//     the current window (start += size, size = next size) or opens an initial
//     window sized from the request;
//   - any other read is "random": only the requested pages are read and the
//     window is left alone.
// The marker sits at `start + size - async_size`; reaching it starts the next
// window before the reader needs it (asynchronous read-ahead).
//
// Simplifications: windows are computed synchronously (the "async" part is
// read in the same call, since the model has no I/O latency to hide); there is
// no per-device io_pages, no mmap fault-around, no thrashing detection, no
// "oversized read" exception for random reads; a request longer than one window
// walks windows forward until a window's marker lies past the request, which is
// what the kernel's chain of marker hits does while it copies a long read.

/** Linux's default `read_ahead_kb` = 128 KiB = 32 pages ("for 128k (32 page) max ra"). */
export const READ_AHEAD_MAX_PAGES_DEFAULT = 32;

function roundupPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** get_init_ra_size(): first window for a request of `requestPages`. */
export function initialWindowPages(requestPages: number, maxPages: number): number {
  const size = roundupPowerOfTwo(requestPages);
  if (size <= maxPages / 32) return size * 4;
  if (size <= maxPages / 4) return size * 2;
  return maxPages;
}

/** get_next_ra_size(): window following one of `currentPages`. */
export function nextWindowPages(currentPages: number, maxPages: number): number {
  if (currentPages < maxPages / 16) return currentPages * 4;
  if (currentPages <= maxPages / 2) return currentPages * 2;
  return maxPages;
}

/** Per-file read-ahead state (file_ra_state). Page indexes; -1 = none. */
export class ReadAheadState {
  start = 0;
  size = 0;
  asyncSize = 0;
  /** Page holding the PG_readahead marker, -1 when no window is open. */
  markerPage = -1;
  /** Last page touched by the previous read (prev_pos >> PAGE_SHIFT), -1 before the first read. */
  prevLastPage = -1;

  reset(): void {
    this.start = 0;
    this.size = 0;
    this.asyncSize = 0;
    this.markerPage = -1;
    this.prevLastPage = -1;
  }

  /** The kernel's sequential test: `index - prev_index <= 1`, or a read from the file's start. */
  isSequential(firstPage: number): boolean {
    if (firstPage === 0) return true;
    if (this.prevLastPage < 0) return false;
    const gap = firstPage - this.prevLastPage;
    return gap === 0 || gap === 1;
  }

  /**
   * Plan the window for a read of pages [firstPage, lastPage] that missed or hit
   * the marker. Returns the window [start, start+size) to make resident, or null
   * for a random read (no read-ahead). `filePages` clips the window at EOF.
   */
  plan(firstPage: number, lastPage: number, hitMarker: boolean, maxPages: number): { start: number; end: number } | null {
    if (maxPages <= 0 || !this.isSequential(firstPage)) return null;
    const requestPages = lastPage - firstPage + 1;
    const continues = this.size > 0 && (hitMarker || (firstPage >= this.start && firstPage <= this.start + this.size));
    if (continues) {
      this.advance(maxPages);
    } else {
      this.start = firstPage;
      this.size = initialWindowPages(requestPages, maxPages);
      this.asyncSize = this.size > requestPages ? this.size - requestPages : this.size;
    }
    // A request reaching a window's marker page triggers the next window: the
    // kernel meets each PG_readahead marker in turn while copying a long read,
    // so windows chain until the marker lies past the request's last page.
    while (this.start + this.size - this.asyncSize <= lastPage) this.advance(maxPages);
    this.markerPage = this.start + this.size - this.asyncSize;
    return { start: this.start, end: this.start + this.size };
  }

  private advance(maxPages: number): void {
    this.start += this.size;
    this.size = nextWindowPages(this.size, maxPages);
    this.asyncSize = this.size;
  }
}
