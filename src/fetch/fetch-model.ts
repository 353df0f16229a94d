// The fetch-mode model: serve a Fetch's log slices in one of the modelled modes
// and count what the Linux kernel would do for it, from what the fetch actually
// touched in the simulated page cache (a cold and a warm fetch differ).
//
// Nothing here is real kernel zero-copy: the bytes reach the socket through
// Node's ordinary socket.write of Buffers (which copies nothing in user space;
// the kernel copies them into the socket buffer once). The model decides which
// Buffers to hand over (views over cache frames, or a fresh copy) and counts
// the system calls, copies and DMA transfers of the path it stands for.
//
// Per slice (one partition's byte range in one segment file), B = its bytes:
//
//   mode      system calls                        CPU copies (bytes)                  DMA to the NIC
//   copy      pread(2) per slice + 1 writev(2)    B kernel->user, B user->kernel      socket buffer -> NIC
//   mmap      mmap(2) once per segment            B user->kernel (write(2) copies     socket buffer -> NIC
//             + 1 writev(2); faults separate        from the mapped pages)
//             (major: not resident; minor: resident, not yet mapped); munmap(2)
//             when the segment is closed or deleted
//   sendfile  sendfile(2) per slice               B kernel->kernel; 0 with sgDma      socket buffer -> NIC;
//                                                                                     page cache -> NIC with sgDma
//   splice    pipe(2) once per model + 2 splice   0 into the pipe (page references    as sendfile
//             per PIPE_BYTES chunk of the slice     move); pipe -> socket as sendfile
//
// sgDma is the broker's one scatter/gather assumption (broker/sg-dma.ts): TCP
// gives the device page references only when it has NETIF_F_SG, else it copies
// into socket buffers first, whether the pages came by sendfile or splice.
// nativeAccounting infers native-sendfile's copies from the same assumption.
//
// Every mode: disk -> page cache DMA only for pages the read missed plus the
// read-ahead it triggered; one disk DMA transfer per slice that read from disk
// and one NIC transfer per non-empty slice. modeSwitches = 2 x syscalls. The
// response header is one more write(2) in every mode, counted only in
// headerSyscalls/headerBytes (see accounting.ts).

import { CopylessError } from '../errors.ts';
import type { PageCache, PageReadResult, PinHandle } from '../storage/page-cache.ts';
import { emptyAccounting, type FetchAccounting } from './accounting.ts';
import { isModelledMode, type ModelledFetchMode } from './fetch-mode.ts';

/**
 * Capacity of a Linux pipe unless raised with F_SETPIPE_SZ: 16 pages. A splice
 * from file to pipe moves at most this much, so a slice costs two splice(2)
 * calls per 64 KiB.
 */
export const PIPE_BYTES = 64 * 1024;

/** One partition's byte range in one segment file. */
export interface SliceRef {
  fileId: number;
  position: number;
  length: number;
  segmentKey: string;
}

export interface ServedFetch {
  /**
   * parts[i] is what to hand the socket for slices[i]: views over cache pages
   * (mmap/sendfile/splice; pinned until release()) or one freshly allocated
   * Buffer holding a copy (copy mode; nothing pinned).
   */
  parts: Buffer[][];
  accounting: FetchAccounting;
  /** Unpin the pages behind the views; call once the socket write completed (idempotent). */
  release(): void;
}

export interface ServeOptions {
  /** The NIC gathers from page-cache pages (scatter/gather DMA): sendfile copies nothing. */
  sgDma?: boolean;
  /** Current file sizes by file id, for the mmap SIGBUS check; defaults to the page cache's view. */
  fileSizes?: Map<number, number>;
  /** Bytes of the response header(s) the caller writes around the records: one more write(2). */
  headerBytes?: number;
}

/** What one slice contributed, before it is folded into the fetch's accounting. */
interface SliceRead {
  parts: Buffer[];
  bytes: number;
}

export class FetchModel {
  /** File ids of the segments the model has mapped: its own mapping table (mmap once per segment, munmap when it goes). */
  private readonly mappings = new Set<number>();
  /** The splice pipe, created on first use and reused, as a server keeps one per worker. */
  private pipeOpen = false;

  /**
   * `onUnmap` is told of every munmap(2) (the broker adds it to the mmap
   * mode's totals). A segment is unmapped when its file leaves the page cache,
   * i.e. when the segment is closed or deleted.
   */
  constructor(
    private readonly pageCache: PageCache,
    private readonly o: { onUnmap?: () => void } = {},
  ) {
    pageCache.onFileUnregistered((fileId) => this.unmapSegment(fileId));
  }

  /** Serve with reads on the calling thread: for tools and tests. The broker uses serveAsync. */
  serve(mode: ModelledFetchMode, slices: SliceRef[], o: ServeOptions = {}): ServedFetch {
    const acc = this.begin(mode, slices, o);
    const reads: PageReadResult[] = [];
    try {
      for (const s of slices) reads.push(this.pageCache.read(s.fileId, s.position, s.length, readOptions(mode)));
    } catch (e) {
      for (const r of reads) if (r.pin) this.pageCache.release(r.pin);
      throw e;
    }
    return this.finish(mode, slices, reads, o, acc);
  }

  /**
   * Serve with the pages a fetch misses read from the files on libuv's
   * threadpool (PageCache.readAsync): a cold fetch of many MiB never holds
   * the event loop. The accounting is the same as serve's.
   */
  async serveAsync(mode: ModelledFetchMode, slices: SliceRef[], o: ServeOptions = {}): Promise<ServedFetch> {
    const acc = this.begin(mode, slices, o);
    const settled = await Promise.allSettled(slices.map((s) => this.pageCache.readAsync(s.fileId, s.position, s.length, readOptions(mode))));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const reads = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (failed) {
      for (const r of reads) if (r.pin) this.pageCache.release(r.pin);
      throw failed.reason;
    }
    return this.finish(mode, slices, reads, o, acc);
  }

  /** Checks the mode and, for mmap, maps each new segment and refuses a read past a file's end (before anything is read). */
  private begin(mode: ModelledFetchMode, slices: SliceRef[], o: ServeOptions): FetchAccounting {
    if (!isModelledMode(mode)) {
      throw new CopylessError('INVALID_REQUEST', `fetch mode ${String(mode)} is not a modelled mode`, { field: 'fetchMode' });
    }
    const acc = emptyAccounting();
    if (mode === 'mmap') for (const s of slices) this.mapForRead(s, o, acc);
    return acc;
  }

  /** The parts and the accounting of a fetch whose slices have been read (reads[i] for slices[i]). */
  private finish(mode: ModelledFetchMode, slices: SliceRef[], reads: PageReadResult[], o: ServeOptions, acc: FetchAccounting): ServedFetch {
    const parts = reads.map((r) => this.serveSlice(mode, r, o, acc).parts);
    // Every slice was read pinned, so no page could be reclaimed while the
    // other slices were still loading; copy has its own buffers now.
    if (mode === 'copy') for (const r of reads) if (r.pin) this.pageCache.release(r.pin);
    const pins = mode === 'copy' ? [] : reads.flatMap((r) => (r.pin ? [r.pin] : []));
    // copy and mmap hand all slices to the socket in one writev(2).
    if ((mode === 'copy' || mode === 'mmap') && slices.length > 0) acc.syscalls += 1;
    acc.modeSwitches = 2 * acc.syscalls;
    if (o.headerBytes && o.headerBytes > 0) {
      acc.headerSyscalls = 1;
      acc.headerBytes = o.headerBytes;
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const pin of pins) this.pageCache.release(pin);
    };
    return { parts, accounting: acc, release };
  }

  /**
   * munmap(2) of a segment the model mapped: called when its file leaves the
   * page cache (the segment was closed or deleted), so mappings do not pile up
   * and the call is counted. A later fetch of a reopened segment maps it anew.
   */
  unmapSegment(fileId: number): boolean {
    if (!this.mappings.delete(fileId)) return false;
    this.pageCache.unmapFile(fileId);
    this.o.onUnmap?.();
    return true;
  }

  /** Segments mapped now. */
  get mappedSegments(): number {
    return this.mappings.size;
  }

  private serveSlice(mode: ModelledFetchMode, r: PageReadResult, o: ServeOptions, acc: FetchAccounting): SliceRead {
    if (r.pin && mode !== 'copy') acc.pinnedPages += r.pin.pages;
    acc.bytes += r.length;
    acc.pageCacheHits += r.hits;
    acc.pageCacheMisses += r.misses;
    acc.readAheadPages += r.readAheadPages;
    if (r.diskReadBytes > 0) addDma(acc, 'dmaBytesDiskToCache', r.diskReadBytes);
    switch (mode) {
      case 'copy':
        return copySlice(r.views, r.length, acc);
      case 'mmap':
        acc.majorFaults += r.misses;
        acc.minorFaults += r.minorFaults;
        acc.pageFaults += r.misses + r.minorFaults;
        addCopy(acc, 'cpuCopyBytesUserToKernel', r.length);
        addDma(acc, 'dmaBytesSocketToNic', r.length);
        return { parts: r.views, bytes: r.length };
      case 'sendfile':
        acc.syscalls += 1;
        toSocket(acc, r.length, o.sgDma === true);
        return { parts: r.views, bytes: r.length };
      case 'splice':
        this.openPipe(acc);
        acc.syscalls += 2 * Math.max(1, Math.ceil(r.length / PIPE_BYTES));
        toSocket(acc, r.length, o.sgDma === true);
        return { parts: r.views, bytes: r.length };
    }
  }

  /**
   * mmap(2) the segment the first time it is read (the mapping covers the whole
   * segment, as RocketMQ maps its fixed-size files, so appends stay inside it).
   * Touching mapped bytes past the file's end is the SIGBUS case: the model
   * refuses the whole slice. (The kernel zero-fills the rest of the page holding
   * EOF and raises SIGBUS only from the next page on; the model is stricter.)
   */
  private mapForRead(s: SliceRef, o: ServeOptions, acc: FetchAccounting): void {
    if (!this.mappings.has(s.fileId)) {
      this.mappings.add(s.fileId);
      acc.mmaps += 1;
      acc.syscalls += 1;
    }
    const size = o.fileSizes?.get(s.fileId) ?? this.pageCache.fileSize(s.fileId);
    if (s.position + s.length > size) {
      throw new CopylessError(
        'MAPPED_READ_PAST_END',
        `mapped read of ${s.segmentKey} at ${s.position}+${s.length} is past the file's end ${size} (SIGBUS)`,
        { field: 'position', max: size, actual: s.position + s.length },
      );
    }
  }

  private openPipe(acc: FetchAccounting): void {
    if (this.pipeOpen) return;
    this.pipeOpen = true;
    acc.pipes += 1;
    acc.syscalls += 1;
  }
}

/**
 * Every mode reads pinned: the views must outlive the loads of the fetch's
 * other slices (readAsync). copy then copies and unpins at once (its sends
 * pin nothing); the others keep the pins until the bytes have left. mmap
 * touches the pages through its mapping.
 */
function readOptions(mode: ModelledFetchMode): { pin: boolean; map: boolean } {
  return { pin: true, map: mode === 'mmap' };
}

/** copy mode: pread(2) into a fresh user buffer (kernel->user), later written (user->kernel). */
function copySlice(views: Buffer[], length: number, acc: FetchAccounting): SliceRead {
  acc.syscalls += 1;
  const buf = Buffer.allocUnsafe(length);
  let at = 0;
  for (const v of views) at += v.copy(buf, at);
  addCopy(acc, 'cpuCopyBytesKernelToUser', length);
  addCopy(acc, 'cpuCopyBytesUserToKernel', length);
  addDma(acc, 'dmaBytesSocketToNic', length);
  return { parts: [buf], bytes: length };
}

/** Page-cache pages handed to TCP (sendfile, splice): gathered by the device with SG-DMA, else copied into socket buffers. */
function toSocket(acc: FetchAccounting, bytes: number, sgDma: boolean): void {
  if (sgDma) addDma(acc, 'dmaBytesCacheToNic', bytes);
  else {
    addCopy(acc, 'cpuCopyBytesKernelToKernel', bytes);
    addDma(acc, 'dmaBytesSocketToNic', bytes);
  }
}

type CopyField = 'cpuCopyBytesKernelToUser' | 'cpuCopyBytesUserToKernel' | 'cpuCopyBytesKernelToKernel';
type DmaField = 'dmaBytesDiskToCache' | 'dmaBytesCacheToNic' | 'dmaBytesSocketToNic';

function addCopy(acc: FetchAccounting, field: CopyField, bytes: number): void {
  if (bytes <= 0) return;
  acc.cpuCopies += 1;
  acc.cpuCopyBytes += bytes;
  acc[field] += bytes;
}

function addDma(acc: FetchAccounting, field: DmaField, bytes: number): void {
  if (bytes <= 0) return;
  acc.dmaCopies += 1;
  acc.dmaBytes += bytes;
  acc[field] += bytes;
}

/**
 * Real counts from the addon mapped to the same fields. System calls are real
 * (every call the addon made: sendfile, pread, write for headers and records,
 * poll on EAGAIN). CPU copies are INFERRED from the calls used, not measured:
 * pread(2) copies kernel->user and write(2) copies user->kernel; sendfile(2)
 * to a TCP socket passes page references when the device does scatter/gather
 * and copies into socket buffers (kernel->kernel) when it does not: the same
 * `sgDma` assumption the modelled modes use. Page-cache and DMA fields stay 0:
 * the real page cache and the devices are not observed from user space.
 */
export function nativeAccounting(
  mode: 'native-sendfile' | 'native-copy',
  real: { bytes: number; syscalls: number; sendfileCalls: number; writeCalls: number; preadCalls: number; pollCalls: number },
  o: { sgDma: boolean },
): FetchAccounting {
  const acc = emptyAccounting();
  acc.bytes = real.bytes;
  acc.syscalls = real.syscalls;
  acc.modeSwitches = 2 * real.syscalls;
  if (real.bytes === 0) return acc;
  if (mode === 'native-copy') {
    acc.cpuCopies = 2 * real.preadCalls;
    acc.cpuCopyBytesKernelToUser = real.bytes;
    acc.cpuCopyBytesUserToKernel = real.bytes;
    acc.cpuCopyBytes = 2 * real.bytes;
  } else if (!o.sgDma) {
    acc.cpuCopies = real.sendfileCalls;
    acc.cpuCopyBytesKernelToKernel = real.bytes;
    acc.cpuCopyBytes = real.bytes;
  }
  return acc;
}
