// One file registered with the simulated page cache: its page table (the
// kernel's address_space: page index -> the frame caching it) and the per-file
// counters the reclaim, read and write-back code keep in step. Also the small
// helpers every part of the cache shares: page arithmetic, argument checks and
// the storage error a failed read becomes.

import { CopylessError } from '../../errors.ts';
import { PAGE_BYTES } from '../../limits.ts';
import { growInt32 } from './frame-arena.ts';
import { NIL } from './frame-list.ts';
import { ReadAheadState } from './readahead.ts';

/** First length of a page table; it doubles as the file grows. */
const PAGE_TABLE_INITIAL_PAGES = 16;

/** One registered file: its page table (page index -> frame, NIL = not resident) and counters. */
export interface CachedFile {
  readonly id: number;
  readonly name: string;
  readonly fd: number;
  size: number;
  table: Int32Array;
  residentPages: number;
  dirtyPages: number;
  /** Lowest page index that may be dirty (a scan start for write-back). */
  dirtyLowPage: number;
  /** When the oldest still-dirty page was dirtied (the kernel's inode dirtied_when). */
  dirtyOldestAt: number;
  readonly ra: ReadAheadState;
}

export function newCachedFile(id: number, f: { name: string; fd: number; size: number }): CachedFile {
  const pages = Math.max(PAGE_TABLE_INITIAL_PAGES, pagesFor(f.size));
  return {
    id, name: f.name, fd: f.fd, size: f.size, table: new Int32Array(pages).fill(NIL),
    residentPages: 0, dirtyPages: 0, dirtyLowPage: Infinity, dirtyOldestAt: Infinity, ra: new ReadAheadState(),
  };
}

/** Grows the page table so `page` has a slot. */
export function ensureTable(file: CachedFile, page: number): void {
  if (page < file.table.length) return;
  let n = file.table.length;
  while (n <= page) n *= 2;
  file.table = growInt32(file.table, n, NIL);
}

/** The frame caching page p, or NIL. */
export function frameAt(file: CachedFile, p: number): number {
  return p < file.table.length ? file.table[p] : NIL;
}

export function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE_BYTES);
}

/** Bytes of page p that lie inside a file of `size` bytes. */
export function pageBytesAt(size: number, p: number): number {
  return Math.min(PAGE_BYTES, size - p * PAGE_BYTES);
}

/** A caller's argument (a position, a size, an fd): a typed error, never an assert. */
export function checkNonNegativeInt(v: number, field: string): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new CopylessError('INVALID_REQUEST', `page cache: ${field} must be a non-negative integer, got ${v}`, { field });
  }
}

export function storageError(file: CachedFile, op: string, e: unknown): CopylessError {
  const why = e instanceof Error ? e.message : String(e);
  return new CopylessError('KAFKA_STORAGE_ERROR', `page cache: ${op} of ${file.name} failed: ${why}`, { field: 'fd' });
}
