// The page cache's public shapes: its options with the kernel defaults they
// fall back to, what a read returns, and the counters stats() reports.
// page-cache.ts re-exports all of them; the modules behind the facade import
// them from here, so none of them imports the facade.

import { CopylessError } from '../../errors.ts';
import { PAGE_BYTES, PAGE_CACHE_BYTES_MAX, PAGE_CACHE_BYTES_MIN } from '../../limits.ts';
import { READ_AHEAD_MAX_PAGES_DEFAULT } from './readahead.ts';

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

export function zeroCounters(): PageCacheCounters {
  return {
    hits: 0, misses: 0, readAheadPages: 0, readAheadUsed: 0, readAheadWasted: 0, evictionsClean: 0,
    evictionsDirty: 0, promotions: 0, demotions: 0, writeBackPages: 0, writeBackBytes: 0, fsyncs: 0, fsyncBytes: 0, throttleEvents: 0,
  };
}

/** Kernel defaults (/proc/sys/vm) the options fall back to. */
export const DIRTY_BACKGROUND_RATIO_DEFAULT = 0.1;
export const DIRTY_RATIO_DEFAULT = 0.2;
export const DIRTY_EXPIRE_MS_DEFAULT = 30_000;
export const DIRTY_WRITEBACK_MS_DEFAULT = 5_000;
/** Largest read-ahead window accepted: 4 MiB, well past any read_ahead_kb a broker uses. */
export const READ_AHEAD_MAX_PAGES_CEILING = 1024;

function configError(field: string, why: string): CopylessError {
  return new CopylessError('INVALID_CONFIG', `${field} ${why}`, { field });
}

/** The options with every default filled in, or INVALID_CONFIG naming the field. */
export function validateOptions(opts: PageCacheOptions): Required<PageCacheOptions> {
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
