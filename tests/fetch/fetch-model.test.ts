// Proves the fetch-mode model: for a known two-slice fetch, cold and warm, each modelled mode's accounting equals hand-computed numbers; every mode returns byte-identical data, also when serveAsync waits for one slice's disk read while reclaim runs; mmap past EOF is the SIGBUS error; pinned pages are released.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PageCache } from '../../src/storage/page-cache.ts';
import { FetchModel, PIPE_BYTES, nativeAccounting, type SliceRef } from '../../src/fetch/fetch-model.ts';
import { emptyAccounting, type FetchAccounting } from '../../src/fetch/accounting.ts';
import { MODELLED_FETCH_MODES } from '../../src/fetch/fetch-mode.ts';
import { CopylessError } from '../../src/errors.ts';

const PAGE = 4096;
const FILE_BYTES = 16 * PAGE;
const MiB = 1024 * 1024;

let dir = '';
let fds: number[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-fetch-'));
  fds = [];
});
afterEach(() => {
  for (const fd of fds) fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
});

function makeFile(pc: PageCache, name: string, bytes: number): { id: number; content: Buffer } {
  const content = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) content[i] = (i * 31 + name.length * 7) & 0xff;
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  const fd = fs.openSync(p, 'r');
  fds.push(fd);
  return { id: pc.registerFile({ name, fd, size: bytes }), content };
}

/** The known fetch: two partitions, each a range in its own 16-page segment. */
function knownFetch() {
  const pc = new PageCache({ capacityBytes: 1 * MiB });
  const a = makeFile(pc, 'a.log', FILE_BYTES);
  const b = makeFile(pc, 'b.log', FILE_BYTES);
  const slices: SliceRef[] = [
    // pages 0-2; a read at page 0 counts as sequential: read-ahead window roundup(3)=4, x2 = 8 pages -> 5 beyond the request
    { fileId: a.id, position: 0, length: 10_000, segmentKey: 't-0/0' },
    // pages 5-7 (20580..28771); the file's first read, not at page 0: random, no read-ahead
    { fileId: b.id, position: 5 * PAGE + 100, length: 8192, segmentKey: 't-1/0' },
  ];
  const expected = Buffer.concat([a.content.subarray(0, 10_000), b.content.subarray(5 * PAGE + 100, 5 * PAGE + 100 + 8192)]);
  return { pc, model: new FetchModel(pc), slices, expected };
}

const BYTES = 10_000 + 8192; // 18192 record bytes
const DISK = 8 * PAGE + 3 * PAGE; // 45056: 3+5 pages of a.log, 3 pages of b.log
const COLD = { pageCacheMisses: 6, readAheadPages: 5, dmaBytesDiskToCache: DISK };
const WARM = { pageCacheHits: 6 };

function acc(partial: Partial<FetchAccounting>): FetchAccounting {
  return { ...emptyAccounting(), bytes: BYTES, ...partial };
}

const expectedByMode: Record<string, { cold: FetchAccounting; warm: FetchAccounting }> = {
  copy: {
    // 2 x pread + 1 writev; each byte copied kernel->user then user->kernel
    cold: acc({ ...COLD, syscalls: 3, modeSwitches: 6, cpuCopies: 4, cpuCopyBytes: 2 * BYTES, cpuCopyBytesKernelToUser: BYTES,
      cpuCopyBytesUserToKernel: BYTES, dmaCopies: 4, dmaBytes: DISK + BYTES, dmaBytesSocketToNic: BYTES }),
    warm: acc({ ...WARM, syscalls: 3, modeSwitches: 6, cpuCopies: 4, cpuCopyBytes: 2 * BYTES, cpuCopyBytesKernelToUser: BYTES,
      cpuCopyBytesUserToKernel: BYTES, dmaCopies: 2, dmaBytes: BYTES, dmaBytesSocketToNic: BYTES }),
  },
  mmap: {
    // 2 x mmap (first use of each segment) + 1 writev; a major fault per missing page; warm, every page is mapped already
    cold: acc({ ...COLD, syscalls: 3, modeSwitches: 6, mmaps: 2, pageFaults: 6, majorFaults: 6, cpuCopies: 2, cpuCopyBytes: BYTES,
      cpuCopyBytesUserToKernel: BYTES, dmaCopies: 4, dmaBytes: DISK + BYTES, dmaBytesSocketToNic: BYTES, pinnedPages: 6 }),
    warm: acc({ ...WARM, syscalls: 1, modeSwitches: 2, cpuCopies: 2, cpuCopyBytes: BYTES, cpuCopyBytesUserToKernel: BYTES,
      dmaCopies: 2, dmaBytes: BYTES, dmaBytesSocketToNic: BYTES, pinnedPages: 6 }),
  },
  sendfile: {
    // 1 sendfile per slice; the kernel copies page cache -> socket buffer
    cold: acc({ ...COLD, syscalls: 2, modeSwitches: 4, cpuCopies: 2, cpuCopyBytes: BYTES, cpuCopyBytesKernelToKernel: BYTES,
      dmaCopies: 4, dmaBytes: DISK + BYTES, dmaBytesSocketToNic: BYTES, pinnedPages: 6 }),
    warm: acc({ ...WARM, syscalls: 2, modeSwitches: 4, cpuCopies: 2, cpuCopyBytes: BYTES, cpuCopyBytesKernelToKernel: BYTES,
      dmaCopies: 2, dmaBytes: BYTES, dmaBytesSocketToNic: BYTES, pinnedPages: 6 }),
  },
  'sendfile+sgDma': {
    // descriptors only: the NIC gathers from the page cache
    cold: acc({ ...COLD, syscalls: 2, modeSwitches: 4, dmaCopies: 4, dmaBytes: DISK + BYTES, dmaBytesCacheToNic: BYTES, pinnedPages: 6 }),
    warm: acc({ ...WARM, syscalls: 2, modeSwitches: 4, dmaCopies: 2, dmaBytes: BYTES, dmaBytesCacheToNic: BYTES, pinnedPages: 6 }),
  },
  splice: {
    // pipe() once, then 2 splice calls per slice (each slice < 64 KiB pipe); without SG-DMA, TCP copies the
    // pipe's pages into socket buffers, as for sendfile
    cold: acc({ ...COLD, syscalls: 5, modeSwitches: 10, pipes: 1, cpuCopies: 2, cpuCopyBytes: BYTES, cpuCopyBytesKernelToKernel: BYTES,
      dmaCopies: 4, dmaBytes: DISK + BYTES, dmaBytesSocketToNic: BYTES, pinnedPages: 6 }),
    warm: acc({ ...WARM, syscalls: 4, modeSwitches: 8, cpuCopies: 2, cpuCopyBytes: BYTES, cpuCopyBytesKernelToKernel: BYTES,
      dmaCopies: 2, dmaBytes: BYTES, dmaBytesSocketToNic: BYTES, pinnedPages: 6 }),
  },
  'splice+sgDma': {
    // page references all the way: the NIC gathers from the page cache
    cold: acc({ ...COLD, syscalls: 5, modeSwitches: 10, pipes: 1, dmaCopies: 4, dmaBytes: DISK + BYTES, dmaBytesCacheToNic: BYTES, pinnedPages: 6 }),
    warm: acc({ ...WARM, syscalls: 4, modeSwitches: 8, dmaCopies: 2, dmaBytes: BYTES, dmaBytesCacheToNic: BYTES, pinnedPages: 6 }),
  },
};

describe('accounting of a known fetch equals the model exactly', () => {
  for (const [label, expected] of Object.entries(expectedByMode)) {
    it(`${label}: cold, then warm`, () => {
      const { pc, model, slices } = knownFetch();
      const mode = label.replace('+sgDma', '') as 'copy' | 'mmap' | 'sendfile' | 'splice';
      const o = { sgDma: label.endsWith('+sgDma') };
      const cold = model.serve(mode, slices, o);
      expect(cold.accounting).toEqual(expected.cold);
      cold.release();
      const warm = model.serve(mode, slices, o);
      expect(warm.accounting).toEqual(expected.warm);
      warm.release();
      expect(pc.stats().pinnedPages).toBe(0);
    });
  }

  it('counts the response header as one more write(2) outside the record path', () => {
    const { model, slices } = knownFetch();
    const served = model.serve('sendfile', slices, { headerBytes: 120 });
    expect(served.accounting).toMatchObject({ syscalls: 2, headerSyscalls: 1, headerBytes: 120 });
    served.release();
  });

  it('a 1 MiB slice through splice costs two calls per 64 KiB pipe', () => {
    const pc = new PageCache({ capacityBytes: 4 * MiB });
    const f = makeFile(pc, 'big.log', 2 * MiB);
    const served = new FetchModel(pc).serve('splice', [{ fileId: f.id, position: 0, length: MiB, segmentKey: 's' }], { sgDma: true });
    expect(served.accounting).toMatchObject({ bytes: MiB, syscalls: 1 + 2 * (MiB / PIPE_BYTES), pipes: 1, cpuCopies: 0 });
    served.release();
  });
});

describe('data', () => {
  it('every mode returns byte-identical data, for small and multi-segment fetches', () => {
    for (const mode of MODELLED_FETCH_MODES) {
      const { model, slices, expected } = knownFetch();
      const served = model.serve(mode, slices);
      expect(served.parts).toHaveLength(2);
      expect(Buffer.concat(served.parts.flat()).equals(expected)).toBe(true);
      if (mode === 'copy') expect(served.parts.every((p) => p.length === 1)).toBe(true);
      served.release();
    }
  });

  it('every mode returns the same bytes for a fetch larger than a socket buffer (1 MiB + spill into a second segment)', () => {
    const outputs: Buffer[] = [];
    for (const mode of MODELLED_FETCH_MODES) {
      const pc = new PageCache({ capacityBytes: 8 * MiB });
      const s1 = makeFile(pc, 's1.log', 3 * MiB);
      const s2 = makeFile(pc, 's2.log', MiB);
      const served = new FetchModel(pc).serve(mode, [
        { fileId: s1.id, position: 2 * MiB + 17, length: MiB - 17, segmentKey: 'p/0' },
        { fileId: s2.id, position: 0, length: 300_000, segmentKey: 'p/1' },
      ]);
      const out = Buffer.concat(served.parts.flat());
      expect(out.equals(Buffer.concat([s1.content.subarray(2 * MiB + 17), s2.content.subarray(0, 300_000)]))).toBe(true);
      outputs.push(out);
      served.release();
    }
    expect(outputs.every((o) => o.equals(outputs[0]))).toBe(true);
  });
});

describe('serveAsync', () => {
  it('keeps each slice pinned until the whole fetch is read, so reclaim meanwhile cannot change its bytes (every mode)', async () => {
    for (const mode of MODELLED_FETCH_MODES) {
      const pc = new PageCache({ capacityBytes: 256 * 1024, readAheadMaxPages: 0, policy: 'lru' }); // 64 pages, one list: the churn reaches every unpinned page
      const warm = makeFile(pc, 'warm.log', 8 * PAGE);
      const cold = makeFile(pc, 'cold-file.log', 8 * PAGE);
      const churn = makeFile(pc, 'churn-churn.log', 200 * PAGE);
      pc.read(warm.id, 0, 8 * PAGE);
      let finishRead: (() => void) | null = null;
      const realRead = fs.read;
      const spy = vi.spyOn(fs, 'read').mockImplementation(((...args: Parameters<typeof fs.read>) => {
        finishRead = () => (realRead as (...a: unknown[]) => void)(...args);
      }) as typeof fs.read);
      const serving = new FetchModel(pc).serveAsync(mode, [
        { fileId: warm.id, position: 0, length: 8 * PAGE, segmentKey: 'w' },
        { fileId: cold.id, position: 0, length: PAGE, segmentKey: 'c' },
      ]);
      for (let i = 0; i < 5; i++) await Promise.resolve(); // the warm slice's read has settled; the cold one waits on the disk
      spy.mockRestore();
      for (let p = 0; p < 200; p += 8) pc.read(churn.id, p * PAGE, 8 * PAGE); // reclaim everything it can meanwhile
      finishRead!();
      const served = await serving;
      const out = Buffer.concat(served.parts[0]);
      expect(out.equals(warm.content), mode).toBe(true);
      served.release();
      expect(pc.stats().pinnedPages, mode).toBe(0);
    }
  });
});

describe('mmap mapping table and SIGBUS', () => {
  it('maps once per segment, and again after unmapSegment', () => {
    const { model, slices } = knownFetch();
    expect(model.serve('mmap', slices).accounting.mmaps).toBe(2);
    expect(model.serve('mmap', slices).accounting.mmaps).toBe(0);
    expect(model.unmapSegment(slices[0].fileId)).toBe(true);
    expect(model.unmapSegment(slices[0].fileId)).toBe(false);
    expect(model.serve('mmap', slices).accounting.mmaps).toBe(1);
  });

  it('counts a minor fault for a resident page first touched through a mapping, a major one for a missing page', () => {
    const { pc, model, slices } = knownFetch();
    model.serve('sendfile', slices).release(); // 6 pages resident, not mapped
    const first = model.serve('mmap', slices);
    expect(first.accounting).toMatchObject({ majorFaults: 0, minorFaults: 6, pageFaults: 6 });
    first.release();
    const serve = () => {
      const served = model.serve('mmap', slices);
      served.release();
      return served.accounting;
    };
    expect(serve()).toMatchObject({ majorFaults: 0, minorFaults: 0, pageFaults: 0 });
    model.unmapSegment(slices[1].fileId); // b.log's 3 pages stay resident but lose their mapping
    expect(serve()).toMatchObject({ mmaps: 1, majorFaults: 0, minorFaults: 3 });
    pc.dropCaches(); // evicted pages are unmapped too; the next touch reads them again
    expect(serve()).toMatchObject({ majorFaults: 6, minorFaults: 0 });
  });

  it('unmaps a segment when its file leaves the page cache (closed or deleted), and reports each munmap', () => {
    const pc = new PageCache({ capacityBytes: 1 * MiB });
    let munmaps = 0;
    const model = new FetchModel(pc, { onUnmap: () => munmaps++ });
    const a = makeFile(pc, 'a.log', FILE_BYTES);
    const b = makeFile(pc, 'b.log', FILE_BYTES);
    const slice = (id: number): SliceRef => ({ fileId: id, position: 0, length: PAGE, segmentKey: String(id) });
    model.serve('mmap', [slice(a.id), slice(b.id)]).release();
    expect(model.mappedSegments).toBe(2);
    pc.unregisterFile(a.id, { writeBack: false });
    expect([model.mappedSegments, munmaps]).toEqual([1, 1]);
    model.serve('sendfile', [slice(b.id)]).release();
    pc.unregisterFile(b.id, { writeBack: true });
    expect([model.mappedSegments, munmaps]).toEqual([0, 2]);
  });

  it('a mapped read past the end of a truncated segment throws MAPPED_READ_PAST_END and leaves nothing pinned', () => {
    const { pc, model, slices } = knownFetch();
    pc.setFileSize(slices[1].fileId, 6 * PAGE);
    let err: unknown;
    try {
      model.serve('mmap', slices);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CopylessError);
    expect((err as CopylessError).errorName).toBe('MAPPED_READ_PAST_END');
    expect(pc.stats().pinnedPages).toBe(0);
    // Other modes read what is there (a short read), as pread/sendfile would.
    const served = model.serve('sendfile', slices);
    expect(served.accounting.bytes).toBe(10_000 + (6 * PAGE - (5 * PAGE + 100)));
    served.release();
  });

  it('uses fileSizes when given', () => {
    const { model, slices } = knownFetch();
    const sizes = new Map([[slices[0].fileId, 100]]);
    expect(() => model.serve('mmap', slices, { fileSizes: sizes })).toThrow(/SIGBUS/);
  });
});

describe('pins', () => {
  it('view modes pin the touched pages until release (idempotent); copy pins nothing', () => {
    const { pc, model, slices } = knownFetch();
    const served = model.serve('sendfile', slices);
    expect(pc.stats().pinnedPages).toBe(6);
    pc.dropCaches();
    expect(Buffer.concat(served.parts.flat()).length).toBe(BYTES);
    served.release();
    served.release();
    expect(pc.stats().pinnedPages).toBe(0);
    model.serve('copy', slices);
    expect(pc.stats().pinnedPages).toBe(0);
  });
});

describe('nativeAccounting', () => {
  it('maps real system calls; CPU copies are inferred from the calls used and the scatter/gather assumption', () => {
    const real = { bytes: MiB, syscalls: 7, sendfileCalls: 3, writeCalls: 2, preadCalls: 0, pollCalls: 2 };
    expect(nativeAccounting('native-sendfile', real, { sgDma: true })).toEqual({ ...emptyAccounting(), bytes: MiB, syscalls: 7, modeSwitches: 14 });
    expect(nativeAccounting('native-sendfile', real, { sgDma: false })).toEqual({
      ...emptyAccounting(), bytes: MiB, syscalls: 7, modeSwitches: 14, cpuCopies: 3, cpuCopyBytes: MiB, cpuCopyBytesKernelToKernel: MiB,
    });
    const copy = nativeAccounting('native-copy', { ...real, sendfileCalls: 0, preadCalls: 16, writeCalls: 17, syscalls: 33 }, { sgDma: true });
    expect(copy).toEqual({
      ...emptyAccounting(), bytes: MiB, syscalls: 33, modeSwitches: 66, cpuCopies: 32, cpuCopyBytes: 2 * MiB,
      cpuCopyBytesKernelToUser: MiB, cpuCopyBytesUserToKernel: MiB,
    });
  });
});
