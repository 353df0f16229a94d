// Per-fetch accounting: what serving one Fetch cost, in the terms of the
// classic zero-copy table (docs/zero-copy.md), and its cumulative form per mode.
//
// Counting rules (shared by every mode; fetch-model.ts applies them):
//   - syscalls are the system calls of the record path; modeSwitches = 2 x syscalls
//     (one user->kernel and one kernel->user transition per call);
//   - pageFaults are traps on first touches of mapped pages (mmap mode):
//     majorFaults for pages not resident (read from disk), minorFaults for
//     resident pages not yet mapped (a page-table entry to fill); they are
//     kernel entries too but are not system calls, so they are not in
//     modeSwitches;
//   - a CPU copy is one buffer copied once by the CPU; cpuCopyBytes counts every
//     byte copied (a byte copied twice counts twice) and is split by direction;
//   - a DMA copy is one transfer by a device: disk -> page cache (only for misses
//     and read-ahead), page cache -> NIC (gather, SG-DMA) or socket buffer -> NIC;
//   - the Kafka response header (and each partition's header) is written with one
//     more write(2) in every mode: it is counted in headerSyscalls/headerBytes
//     only, so the record-path numbers match the classic table.

import { CopylessError } from '../errors.ts';
import { FETCH_MODES, type FetchMode } from './fetch-mode.ts';

export interface FetchAccounting {
  /** Record bytes served. */
  bytes: number;
  syscalls: number;
  modeSwitches: number;
  /** majorFaults + minorFaults. */
  pageFaults: number;
  cpuCopies: number;
  cpuCopyBytes: number;
  cpuCopyBytesKernelToUser: number;
  cpuCopyBytesUserToKernel: number;
  cpuCopyBytesKernelToKernel: number;
  dmaCopies: number;
  dmaBytes: number;
  dmaBytesDiskToCache: number;
  dmaBytesCacheToNic: number;
  dmaBytesSocketToNic: number;
  pageCacheHits: number;
  pageCacheMisses: number;
  readAheadPages: number;
  pinnedPages: number;
  /** mmap(2) calls made by this fetch (once per segment, then the mapping is reused). */
  mmaps: number;
  /** pipe(2) calls made by this fetch (splice mode: once per model, then the pipe is reused). */
  pipes: number;
  /** write(2) calls for response headers, outside the record path. */
  headerSyscalls: number;
  /** Header bytes those writes copied from user space into the socket buffer. */
  headerBytes: number;
  /** Faults on mapped pages that were not resident: the page is read from disk. */
  majorFaults: number;
  /** Faults on mapped pages that were resident but not yet mapped: only a page-table entry is filled. */
  minorFaults: number;
  /** munmap(2) calls: a mapped segment was closed or deleted. Not per fetch: counted in the mmap mode's totals. */
  munmaps: number;
}

/** The fixed field set and order: the wire form (CopylessFetch trailer) and `copyless stats --json` use it. */
export const ACCOUNTING_FIELDS: readonly (keyof FetchAccounting)[] = [
  'bytes', 'syscalls', 'modeSwitches', 'pageFaults', 'cpuCopies', 'cpuCopyBytes', 'cpuCopyBytesKernelToUser',
  'cpuCopyBytesUserToKernel', 'cpuCopyBytesKernelToKernel', 'dmaCopies', 'dmaBytes', 'dmaBytesDiskToCache',
  'dmaBytesCacheToNic', 'dmaBytesSocketToNic', 'pageCacheHits', 'pageCacheMisses', 'readAheadPages', 'pinnedPages',
  'mmaps', 'pipes', 'headerSyscalls', 'headerBytes', 'majorFaults', 'minorFaults', 'munmaps',
];

export function emptyAccounting(): FetchAccounting {
  const a = {} as FetchAccounting;
  for (const k of ACCOUNTING_FIELDS) a[k] = 0;
  return a;
}

export function addAccounting(into: FetchAccounting, from: FetchAccounting): void {
  for (const k of ACCOUNTING_FIELDS) into[k] += from[k];
}

export function accountingToPairs(a: FetchAccounting): { name: string; value: number }[] {
  return ACCOUNTING_FIELDS.map((name) => ({ name, value: a[name] }));
}

/**
 * Inverse of accountingToPairs. Unknown names are skipped (a newer broker may
 * send more fields); missing ones stay 0; a value that is not a finite,
 * non-negative number is a CORRUPT_MESSAGE naming the field.
 */
export function accountingFromPairs(p: { name: string; value: number }[]): FetchAccounting {
  const a = emptyAccounting();
  const known = new Set<string>(ACCOUNTING_FIELDS);
  for (const { name, value } of p) {
    if (!known.has(name)) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new CopylessError('CORRUPT_MESSAGE', `fetch accounting field ${name} has invalid value ${String(value)}`, {
        field: name,
      });
    }
    a[name as keyof FetchAccounting] = value;
  }
  return a;
}

export type ModeStats = { fetches: number } & FetchAccounting;

/** Cumulative accounting per mode. Every mode is always present so the JSON shape is fixed. */
export class FetchStats {
  private modes = new Map<FetchMode, ModeStats>();

  constructor() {
    this.reset();
  }

  record(mode: FetchMode, a: FetchAccounting): void {
    const m = this.modes.get(mode);
    if (!m) return;
    m.fetches++;
    addAccounting(m, a);
  }

  /** The fetch model unmapped a segment it had mapped for the mmap mode. */
  recordUnmap(): void {
    this.modes.get('mmap')!.munmaps++;
  }

  snapshot(): { modes: Record<string, ModeStats> } {
    const modes: Record<string, ModeStats> = {};
    for (const [mode, m] of this.modes) modes[mode] = { ...m };
    return { modes };
  }

  reset(): void {
    this.modes = new Map(FETCH_MODES.map((mode) => [mode, { fetches: 0, ...emptyAccounting() }]));
  }
}
