// What the fetch-path view draws for one fetch, as data: the boxes (user
// space, kernel space, hardware), the arrows between them (a CPU copy, a DMA
// transfer, or page references that copy nothing) with the bytes each moved,
// and the system calls, each worth two mode switches. Built from a fetch's own
// accounting (a FetchTrace) the way docs/zero-copy.md counts it; with no fetch
// yet, the shape of the mode's path with no numbers. Pure: tested in Node.

import type { FetchAccounting } from '../../../src/fetch/accounting.ts';
import type { FetchMode } from '../../../src/fetch/fetch-mode.ts';
import type { FetchTrace, NativeCalls } from '../../dashboard/messages.ts';

export type Lane = 'user' | 'kernel' | 'hardware';
export type NodeId = 'disk' | 'cache' | 'app' | 'mapped' | 'pipe' | 'socket' | 'nic';

export const NODES: Record<NodeId, { lane: Lane; column: 0 | 1 | 2; label: string }> = {
  disk: { lane: 'hardware', column: 0, label: 'disk' },
  cache: { lane: 'kernel', column: 0, label: 'page cache' },
  app: { lane: 'user', column: 1, label: 'user buffer' },
  mapped: { lane: 'user', column: 1, label: 'mapped pages' },
  pipe: { lane: 'kernel', column: 1, label: 'pipe' },
  socket: { lane: 'kernel', column: 2, label: 'socket buffer' },
  nic: { lane: 'hardware', column: 2, label: 'NIC' },
};

export interface PathArrow {
  from: NodeId;
  to: NodeId;
  /** cpu: the CPU copies the bytes; dma: a device does; ref: page references move, nothing is copied; unobserved: a real transfer user space cannot count. */
  kind: 'cpu' | 'dma' | 'ref' | 'unobserved';
  label: string;
  /** Bytes this fetch moved this way; null when unknown (no fetch yet, or not observed). */
  bytes: number | null;
  /** Nothing moved this way in this fetch (e.g. no disk read: every page was a hit). */
  idle?: boolean;
}

export interface PathSyscall {
  name: string;
  /** Calls of this fetch; null with no fetch yet. */
  count: number | null;
  /** Not a system call: traps (page faults) also enter the kernel but are not in modeSwitches. */
  trap?: boolean;
  note?: string;
}

export interface PathModel {
  mode: FetchMode;
  real: boolean;
  title: string;
  caption: string;
  nodes: NodeId[];
  arrows: PathArrow[];
  syscalls: PathSyscall[];
  /** System calls of the record path and their mode switches (2 each); null with no fetch yet. */
  recordSyscalls: number | null;
  modeSwitches: number | null;
  /** The page cache box: its name and what it is (simulated or the real OS one). */
  cacheLabel: [string, string];
}

const TITLES: Record<FetchMode, string> = {
  copy: 'read(2) + write(2): two CPU copies through a user buffer',
  mmap: 'mmap(2) + write(2): the file mapped once, one CPU copy per write',
  sendfile: 'sendfile(2): the kernel copies page cache → socket buffer',
  splice: 'splice(2) file → pipe → socket: page references only',
  'native-sendfile': 'real sendfile(2) by the native addon',
  'native-copy': 'real pread(2) + write(2) by the native addon',
};

function dma(from: NodeId, to: NodeId, bytes: number | null, what: string): PathArrow {
  return { from, to, kind: 'dma', label: what, bytes, idle: bytes === 0 };
}

function cpu(from: NodeId, to: NodeId, bytes: number | null, what: string): PathArrow {
  return { from, to, kind: 'cpu', label: what, bytes, idle: bytes === 0 };
}

function ref(from: NodeId, to: NodeId, what: string): PathArrow {
  return { from, to, kind: 'ref', label: what, bytes: null };
}

function unobserved(from: NodeId, to: NodeId, what: string): PathArrow {
  return { from, to, kind: 'unobserved', label: what, bytes: null };
}

/** The path of `mode` for one fetch: `trace` is that fetch (its mode must be `mode`), or null for the bare shape. */
export function pathModel(mode: FetchMode, trace: FetchTrace | null, sgDma: boolean): PathModel {
  const a: FetchAccounting | null = trace && trace.mode === mode ? trace.accounting : null;
  const n = trace && trace.mode === mode ? trace.native : null;
  const useSg = trace && trace.mode === mode ? trace.sgDma : sgDma;
  const v = (k: keyof FetchAccounting): number | null => (a ? a[k] : null);
  const diskRead = dma('disk', 'cache', v('dmaBytesDiskToCache'), a && a.dmaBytesDiskToCache === 0 ? `no disk read: ${a.pageCacheHits} page hits` : 'disk → page cache (misses, read-ahead)');
  const toNic = dma('socket', 'nic', v('dmaBytesSocketToNic'), 'socket buffer → NIC');
  // The response header's write(2), outside the record path; HTTP answers are written by the web server and not counted.
  const header: PathSyscall[] = a && a.headerSyscalls === 0 ? [] : [{ name: 'write', count: a ? a.headerSyscalls : null, note: 'response header' }];
  const base = { mode, real: false, title: TITLES[mode], recordSyscalls: v('syscalls'), modeSwitches: v('modeSwitches'), cacheLabel: ['page cache', 'simulated'] as [string, string] };
  switch (mode) {
    case 'copy':
      return {
        ...base,
        caption: 'pread copies each slice from the page cache into a user buffer; writev copies it again into the socket buffer.',
        nodes: ['disk', 'cache', 'app', 'socket', 'nic'],
        arrows: [diskRead, cpu('cache', 'app', v('cpuCopyBytesKernelToUser'), 'pread: kernel → user'), cpu('app', 'socket', v('cpuCopyBytesUserToKernel'), 'writev: user → kernel'), toNic],
        syscalls: [{ name: 'pread', count: a ? a.syscalls - 1 : null, note: 'one per partition slice' }, { name: 'writev', count: a ? 1 : null }, ...header],
      };
    case 'mmap':
      return {
        ...base,
        caption: 'The segment is mapped once; write copies from the mapped pages into the socket buffer. First touches of non-resident pages fault.',
        nodes: ['disk', 'cache', 'mapped', 'socket', 'nic'],
        arrows: [diskRead, ref('cache', 'mapped', 'same pages, mapped'), cpu('mapped', 'socket', v('cpuCopyBytesUserToKernel'), 'write: mapped → socket'), toNic],
        syscalls: [
          { name: 'mmap', count: v('mmaps'), note: 'once per segment' },
          { name: 'writev', count: a ? a.syscalls - a.mmaps : null },
          ...header,
          { name: 'page fault', count: v('pageFaults'), trap: true, note: 'trap, not a system call' },
        ],
      };
    case 'sendfile':
      return {
        ...base,
        caption: useSg
          ? 'With a scatter/gather DMA NIC only descriptors go to the socket buffer; the NIC gathers straight from the page cache: no CPU copy.'
          : 'One sendfile per partition slice; the kernel copies the page-cache bytes into the socket buffer once, the user buffer is never involved.',
        nodes: ['disk', 'cache', 'socket', 'nic'],
        arrows: useSg
          ? [diskRead, ref('cache', 'socket', 'descriptors only'), dma('cache', 'nic', v('dmaBytesCacheToNic'), 'page cache → NIC (gather)')]
          : [diskRead, cpu('cache', 'socket', v('cpuCopyBytesKernelToKernel'), 'kernel → kernel'), toNic],
        syscalls: [{ name: 'sendfile', count: v('syscalls'), note: 'one per partition slice' }, ...header],
      };
    case 'splice':
      return {
        ...base,
        caption: 'Page references move file → pipe → socket (64 KiB per pipe load, two splice calls each); the NIC reads the page cache.',
        nodes: ['disk', 'cache', 'pipe', 'socket', 'nic'],
        arrows: [diskRead, ref('cache', 'pipe', 'page refs'), ref('pipe', 'socket', 'page refs'), dma('cache', 'nic', v('dmaBytesCacheToNic'), 'page cache → NIC')],
        syscalls: [{ name: 'pipe', count: v('pipes'), note: 'once, then reused' }, { name: 'splice', count: a ? a.syscalls - a.pipes : null, note: '2 per 64 KiB' }, ...header],
      };
    case 'native-sendfile':
      return {
        ...base,
        real: true,
        cacheLabel: ['page cache', 'the real OS one'],
        caption: 'Real sendfile(2) from the segment file: system calls are counted by the addon; the OS page cache and the devices are not observed from user space.',
        nodes: ['disk', 'cache', 'socket', 'nic'],
        arrows: [unobserved('disk', 'cache', 'disk → page cache'), ref('cache', 'socket', 'page refs (loopback, SG NIC)'), unobserved('socket', 'nic', 'socket buffer → NIC')],
        syscalls: nativeSyscalls(n, [['sendfile', 'sendfileCalls']]),
      };
    case 'native-copy':
      return {
        ...base,
        real: true,
        cacheLabel: ['page cache', 'the real OS one'],
        caption: 'Real pread(2) + write(2) through a buffer of the addon: calls counted; copies inferred from the calls used.',
        nodes: ['disk', 'cache', 'app', 'socket', 'nic'],
        arrows: [
          unobserved('disk', 'cache', 'disk → page cache'),
          cpu('cache', 'app', v('cpuCopyBytesKernelToUser'), 'pread: kernel → user (inferred)'),
          cpu('app', 'socket', v('cpuCopyBytesUserToKernel'), 'write: user → kernel (inferred)'),
          unobserved('socket', 'nic', 'socket buffer → NIC'),
        ],
        syscalls: nativeSyscalls(n, [['pread', 'preadCalls']]),
      };
  }
}

/** The addon's real calls by kind (its write calls include the response headers). */
function nativeSyscalls(n: NativeCalls | null, first: Array<[string, keyof NativeCalls]>): PathSyscall[] {
  const out: PathSyscall[] = first.map(([name, k]) => ({ name, count: n ? n[k] : null }));
  out.push({ name: 'write', count: n ? n.writeCalls : null, note: 'headers (and records for native-copy)' });
  if (n && n.pollCalls > 0) out.push({ name: 'poll', count: n.pollCalls, note: `${n.eagain} EAGAIN` });
  return out;
}

/** Every system call of the drawing (traps excluded), header write included. */
export function totalSyscalls(m: PathModel): number | null {
  let total = 0;
  for (const s of m.syscalls) {
    if (s.trap) continue;
    if (s.count === null) return null;
    total += s.count;
  }
  return total;
}
