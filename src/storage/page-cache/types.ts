// The page cache's public shapes: its options with the kernel defaults they
// fall back to, what a read returns, and the counters stats() reports.
// page-cache.ts re-exports all of them; the modules behind the facade import
// them from here, so none of them imports the facade. How the options are
// checked is options.ts.

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

/** Kernel defaults (/proc/sys/vm) the options fall back to. */
export const DIRTY_BACKGROUND_RATIO_DEFAULT = 0.1;
export const DIRTY_RATIO_DEFAULT = 0.2;
export const DIRTY_EXPIRE_MS_DEFAULT = 30_000;
export const DIRTY_WRITEBACK_MS_DEFAULT = 5_000;
/** Largest read-ahead window accepted: 4 MiB, well past any read_ahead_kb a broker uses. */
export const READ_AHEAD_MAX_PAGES_CEILING = 1024;
