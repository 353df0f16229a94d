// Proves the fetch-path drawing's data for every mode: built from one fetch's
// own accounting, its system calls add up to that fetch's calls (plus the
// response header's write), each arrow carries the bytes of the accounting
// field it stands for, CPU and DMA are told apart, native modes show the
// addon's real calls, and with no fetch the shape is drawn with no numbers.

import { describe, expect, it } from 'vitest';
import { emptyAccounting, type FetchAccounting } from '../../../src/fetch/accounting.ts';
import { FETCH_MODES, type FetchMode } from '../../../src/fetch/fetch-mode.ts';
import type { FetchTrace, NativeCalls } from '../../../broker/dashboard/messages.ts';
import { pathModel, totalSyscalls } from '../../../broker/web/src/path-model.ts';

function trace(mode: FetchMode, a: Partial<FetchAccounting>, native: NativeCalls | null = null, sgDma = false): FetchTrace {
  return { mode, at: 1, connection: 3, sgDma, partitions: [{ topic: 't', partition: 0, firstOffset: 0, bytes: a.bytes ?? 0 }], accounting: { ...emptyAccounting(), ...a }, native };
}

const B = 3 * 4096;

describe('pathModel', () => {
  it('copy: pread per slice and one writev, two CPU copies of the bytes, a disk DMA only for misses', () => {
    const m = pathModel('copy', trace('copy', { bytes: B, syscalls: 3, modeSwitches: 6, cpuCopies: 4, cpuCopyBytesKernelToUser: B, cpuCopyBytesUserToKernel: B, dmaBytesSocketToNic: B, headerSyscalls: 1, pageCacheHits: 3 }), false);
    expect(m.syscalls.map((s) => [s.name, s.count])).toEqual([['pread', 2], ['writev', 1], ['write', 1]]);
    expect(totalSyscalls(m)).toBe(4);
    expect(m.arrows.map((a) => [a.from, a.to, a.kind, a.bytes])).toEqual([
      ['disk', 'cache', 'dma', 0],
      ['cache', 'app', 'cpu', B],
      ['app', 'socket', 'cpu', B],
      ['socket', 'nic', 'dma', B],
    ]);
    expect(m.arrows[0].idle).toBe(true);
    expect(m.arrows[0].label).toContain('3 page hits');
    expect(m.real).toBe(false);
  });

  it('mmap: the mapping once per segment, page faults as traps, one CPU copy from the mapped pages', () => {
    const m = pathModel('mmap', trace('mmap', { bytes: B, syscalls: 2, mmaps: 1, pageFaults: 2, cpuCopyBytesUserToKernel: B, dmaBytesDiskToCache: 2 * 4096 }), false);
    expect(m.syscalls.map((s) => [s.name, s.count, s.trap ?? false])).toEqual([['mmap', 1, false], ['writev', 1, false], ['page fault', 2, true]]);
    expect(totalSyscalls(m)).toBe(2); // no header write counted (an HTTP fetch): traps are not system calls
    expect(m.arrows.find((a) => a.from === 'cache' && a.to === 'mapped')!.kind).toBe('ref');
    expect(m.arrows.find((a) => a.from === 'mapped')!.bytes).toBe(B);
    expect(m.arrows[0]).toMatchObject({ kind: 'dma', bytes: 8192, idle: false });
  });

  it('sendfile: a kernel copy, or with SG-DMA only descriptors and a gather by the NIC', () => {
    const plain = pathModel('sendfile', trace('sendfile', { bytes: B, syscalls: 2, cpuCopyBytesKernelToKernel: B, dmaBytesSocketToNic: B }), false);
    expect(plain.arrows.map((a) => a.kind)).toEqual(['dma', 'cpu', 'dma']);
    expect(plain.nodes).not.toContain('app');
    const sg = pathModel('sendfile', trace('sendfile', { bytes: B, syscalls: 2, dmaBytesCacheToNic: B }, null, true), false);
    expect(sg.arrows.map((a) => [a.from, a.to, a.kind])).toEqual([['disk', 'cache', 'dma'], ['cache', 'socket', 'ref'], ['cache', 'nic', 'dma']]);
    expect(sg.arrows.every((a) => a.kind !== 'cpu')).toBe(true);
    expect(sg.syscalls[0]).toMatchObject({ name: 'sendfile', count: 2 });
  });

  it('splice: page references through a pipe, two splice calls per pipe load', () => {
    const m = pathModel('splice', trace('splice', { bytes: B, syscalls: 5, pipes: 1, dmaBytesCacheToNic: B, headerSyscalls: 1 }), false);
    expect(m.syscalls.map((s) => [s.name, s.count])).toEqual([['pipe', 1], ['splice', 4], ['write', 1]]);
    expect(m.arrows.filter((a) => a.kind === 'ref').map((a) => `${a.from}>${a.to}`)).toEqual(['cache>pipe', 'pipe>socket']);
  });

  it('native modes: the real calls by kind; copies inferred; the devices not observed', () => {
    const calls = { syscalls: 6, sendfileCalls: 3, writeCalls: 2, preadCalls: 0, pollCalls: 1, eagain: 1 };
    const m = pathModel('native-sendfile', trace('native-sendfile', { bytes: B, syscalls: 6 }, calls), false);
    expect(m.real).toBe(true);
    expect(m.syscalls.map((s) => [s.name, s.count])).toEqual([['sendfile', 3], ['write', 2], ['poll', 1]]);
    expect(totalSyscalls(m)).toBe(calls.syscalls);
    expect(m.arrows.filter((a) => a.kind === 'unobserved')).toHaveLength(2);
    const c = pathModel('native-copy', trace('native-copy', { bytes: B, syscalls: 4, cpuCopyBytesKernelToUser: B, cpuCopyBytesUserToKernel: B }, { ...calls, sendfileCalls: 0, preadCalls: 2, writeCalls: 2, pollCalls: 0 }), false);
    expect(c.syscalls.map((s) => [s.name, s.count])).toEqual([['pread', 2], ['write', 2]]);
    expect(c.arrows.filter((a) => a.kind === 'cpu').map((a) => a.bytes)).toEqual([B, B]);
  });

  it('draws every mode without a fetch, and ignores a trace of another mode', () => {
    for (const mode of FETCH_MODES) {
      const m = pathModel(mode, null, false);
      expect(m.mode).toBe(mode);
      expect(totalSyscalls(m)).toBeNull();
      expect(m.arrows.every((a) => a.bytes === null)).toBe(true);
      expect(m.nodes).toEqual(expect.arrayContaining(['disk', 'cache', 'nic']));
    }
    const wrong = pathModel('copy', trace('sendfile', { bytes: B, syscalls: 1 }), false);
    expect(totalSyscalls(wrong)).toBeNull();
  });
});
