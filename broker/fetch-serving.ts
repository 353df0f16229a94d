// Fetch serving: a fetch result (slices of segment files) turned into the
// parts a response carries, by one fetch mode. Modelled modes read through
// the simulated page cache (pages it misses are read on libuv's threadpool,
// never on the event loop) and are counted by the fetch model: `copy` into a
// fresh buffer, the others as views pinned until the bytes have left. Native
// modes hand the addon file ranges of the real segment files and are counted
// from its real system calls once sent. A fetch enters the per-mode totals
// only once its bytes were written (release({sent})): a response lost with
// its connection is not counted. Shared by the Kafka listener, the HTTP raw
// fetch and the WebSocket binary frames.

import fs from 'node:fs';
import { CopylessError } from '../src/errors.ts';
import type { PageCache } from '../src/storage/page-cache.ts';
import type { PartitionLog } from '../src/storage/log.ts';
import type { FetchModel } from '../src/fetch/fetch-model.ts';
import { nativeAccounting } from '../src/fetch/fetch-model.ts';
import type { FetchAccounting, FetchStats } from '../src/fetch/accounting.ts';
import { isModelledMode, type FetchMode } from '../src/fetch/fetch-mode.ts';
import type { RecordsParts } from '../src/protocol/index.ts';
import { dropFileCache, native, type NativeSendResult } from './native/index.ts';
import type { FetchResult } from './fetch-result.ts';

/** A fetch result turned into wire parts by one fetch mode. */
export interface ServedRecords {
  mode: FetchMode;
  /** Per partition of the FetchResult, in order: the records field (null when there is no data). */
  records: Array<RecordsParts | null>;
  /** Counted by the model for modelled modes; for native modes filled by `complete` after the real send. */
  accounting: FetchAccounting | null;
  /**
   * Finish the accounting once the adapter knows the response's header bytes
   * (and, for native modes, the addon's real counts). Idempotent; returns the
   * final accounting. Nothing is added to the per-mode stats yet: see release.
   */
  complete(o: { headerBytes?: number; real?: NativeSendResult }): FetchAccounting;
  /**
   * Unpin pages and drop segment references once the bytes have left (socket
   * write callback), and add the accounting to the per-mode stats if they were
   * written (`sent`, default true); a write that failed or never happened
   * passes `sent: false` and is not counted. Idempotent.
   */
  release(o?: { sent?: boolean }): void;
}

/** A native file range inside a response's chunk list; the Kafka adapter hands it to the addon. */
export interface FileRangeChunk {
  readonly external: true;
  readonly byteLength: number;
  readonly fd: number;
  readonly position: number;
}

const NO_NATIVE_SEND: NativeSendResult = { bytes: 0, syscalls: 0, sendfileCalls: 0, writeCalls: 0, preadCalls: 0, pollCalls: 0, eagain: 0 };

export interface ServingDeps {
  fetchModel: FetchModel;
  fetchStats: FetchStats;
  /** The scatter/gather assumption (sg-dma.ts): sendfile and splice, modelled or native, copy nothing when true. */
  sgDma: boolean;
}

export interface CacheDrop {
  droppedPages: number;
  osFiles: number;
  osDropped: boolean;
}

/**
 * Turn a fetch result into wire parts with one fetch mode. Modelled modes
 * read through the simulated page cache (views, or a copy for `copy`) and
 * are counted by the model; native modes hand the addon file ranges of the
 * real segment files and are counted from the real system calls once the
 * adapter has sent them (ServedRecords.complete).
 */
export async function serveFetch(result: FetchResult, mode: FetchMode, deps: ServingDeps): Promise<ServedRecords> {
  if (!isModelledMode(mode)) {
    if (!native.available) {
      result.release();
      throw new CopylessError('FETCH_MODE_UNAVAILABLE', `fetch mode ${mode} needs the native addon, which is unavailable: ${native.reason}`, {
        field: 'fetchMode',
      });
    }
    const records = result.partitions.map((p): RecordsParts | null => {
      if (!p.slice) return null;
      const chunk: FileRangeChunk = { external: true, byteLength: p.slice.length, fd: p.slice.fd, position: p.slice.position };
      return { byteLength: p.slice.length, parts: [chunk] };
    });
    return servedRecords(mode, records, null, deps, () => result.release());
  }
  const withData = result.partitions.filter((p) => p.slice !== null);
  const refs = withData.map((p) => ({
    fileId: p.slice!.fileId,
    position: p.slice!.position,
    length: p.slice!.length,
    segmentKey: `${p.topic}-${p.partition}/${p.slice!.segmentBaseOffset}`,
  }));
  let modelled;
  try {
    modelled = await deps.fetchModel.serveAsync(mode, refs, { sgDma: deps.sgDma });
  } catch (e) {
    result.release();
    throw e;
  }
  let i = 0;
  const records = result.partitions.map((p): RecordsParts | null => (p.slice ? { byteLength: p.slice.length, parts: modelled.parts[i++] } : null));
  return servedRecords(mode, records, modelled.accounting, deps, () => {
    modelled.release();
    result.release();
  });
}

/** The ServedRecords of one fetch: accounting finished once, recorded once if sent, resources freed once. */
function servedRecords(
  mode: FetchMode,
  records: Array<RecordsParts | null>,
  modelled: FetchAccounting | null,
  deps: ServingDeps,
  free: () => void,
): ServedRecords {
  const bytes = records.reduce((n, r) => n + (r?.byteLength ?? 0), 0);
  let completed: FetchAccounting | null = null;
  let released = false;
  const served: ServedRecords = {
    mode,
    records,
    accounting: modelled,
    complete({ headerBytes = 0, real }) {
      if (completed) return completed;
      if (modelled) {
        completed = modelled;
        if (headerBytes > 0) {
          completed.headerSyscalls = 1;
          completed.headerBytes = headerBytes;
        }
      } else {
        // Native: the addon's counts already include the header writes.
        completed = nativeAccounting(mode as 'native-sendfile' | 'native-copy', { ...(real ?? NO_NATIVE_SEND), bytes }, { sgDma: deps.sgDma });
        completed.headerBytes = headerBytes;
      }
      served.accounting = completed;
      return completed;
    },
    release({ sent = true } = {}) {
      if (released) return;
      released = true;
      // An adapter that never reported header bytes still gets its modelled fetch counted.
      if (sent && modelled && !completed) served.complete({});
      if (sent && completed && bytes > 0) deps.fetchStats.record(mode, completed);
      free();
    },
  };
  return served;
}

/**
 * Cold cache, for benchmarks and demos: empty the simulated page cache and,
 * when the addon is built, drop the OS page cache of every segment and index
 * file too (posix_fadvise DONTNEED; needs no root), so native modes start
 * cold as well. The addon fdatasyncs each file first (DONTNEED drops only
 * clean pages); those of .log files are real fsyncs of log data and are
 * counted like any other (stats durability.fsyncs; the bytes they cover are
 * not known here, so they add nothing to fsyncBytes).
 */
export function dropCaches(pageCache: PageCache, logs: PartitionLog[]): CacheDrop {
  const droppedPages = pageCache.dropCaches();
  if (!native.available) return { droppedPages, osFiles: 0, osDropped: false };
  let osFiles = 0;
  for (const log of logs) {
    for (const segment of log.segments()) {
      for (const file of [segment.path, segment.path.replace(/\.log$/, '.index'), segment.path.replace(/\.log$/, '.timeindex')]) {
        if (!dropOsFileCache(file)) continue;
        osFiles++;
        if (file === segment.path) pageCache.markClean(segment.fileId, 0);
      }
    }
  }
  return { droppedPages, osFiles, osDropped: true };
}

/** Drop one file's pages from the OS page cache; false if it vanished meanwhile (retention). */
function dropOsFileCache(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    dropFileCache(fd);
    return true;
  } finally {
    fs.closeSync(fd);
  }
}
