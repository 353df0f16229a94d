// The page cache's options checked once, at construction: every default
// filled in (the kernel's, from /proc/sys/vm), every bad value an
// INVALID_CONFIG naming the field and its bounds.

import { CopylessError } from '../../errors.ts';
import { PAGE_BYTES, PAGE_CACHE_BYTES_MAX, PAGE_CACHE_BYTES_MIN } from '../../limits.ts';
import { READ_AHEAD_MAX_PAGES_DEFAULT } from './readahead.ts';
import {
  CACHE_POLICIES,
  type CachePolicy,
  DIRTY_BACKGROUND_RATIO_DEFAULT,
  DIRTY_EXPIRE_MS_DEFAULT,
  DIRTY_RATIO_DEFAULT,
  DIRTY_WRITEBACK_MS_DEFAULT,
  type PageCacheOptions,
  READ_AHEAD_MAX_PAGES_CEILING,
} from './types.ts';

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
