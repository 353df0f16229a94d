// Proves the page cache's off-loop reads and lookups: readAsync reads missing
// pages with the asynchronous fs calls only (never readSync/readvSync on the
// caller's thread) and counts exactly what read() counts; a page another load
// is filling is waited for, not read twice; frames under a load survive
// reclaim; and a noReuse lookup counts and loads pages without marking them
// accessed or moving the read-ahead state.

import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PAGE_CACHE_BYTES_MIN } from '../../src/limits.ts';
import { Fixture, PAGE, sameBytes } from './page-cache-fixture.ts';
import { checkInvariants } from './page-cache-invariants.ts';

const MiB = 1024 * 1024;
let fx: Fixture | null = null;
afterEach(() => {
  vi.restoreAllMocks();
  fx?.close();
  fx = null;
});

function counts(r: { hits: number; misses: number; readAheadPages: number; diskReadBytes: number; length: number }) {
  return { hits: r.hits, misses: r.misses, readAheadPages: r.readAheadPages, diskReadBytes: r.diskReadBytes, length: r.length };
}

describe('readAsync', () => {
  it('reads missing pages off the caller\'s thread and counts exactly what read() counts', async () => {
    const syncFx = new Fixture({ capacityBytes: 8 * MiB });
    const syncFile = syncFx.addFile(3 * MiB, 5);
    const expected = syncFx.pc.read(syncFile.id, 100_000, MiB);
    const expectedCounts = counts(expected);
    syncFx.close();

    fx = new Fixture({ capacityBytes: 8 * MiB });
    const f = fx.addFile(3 * MiB, 5);
    const readSync = vi.spyOn(fs, 'readSync');
    const readvSync = vi.spyOn(fs, 'readvSync');
    const r = await fx.pc.readAsync(f.id, 100_000, MiB);
    expect(readSync).not.toHaveBeenCalled();
    expect(readvSync).not.toHaveBeenCalled();
    expect(counts(r)).toEqual(expectedCounts);
    expect(sameBytes(r.views, f.content.subarray(100_000, 100_000 + MiB))).toBe(true);
    const warm = await fx.pc.readAsync(f.id, 100_000, MiB);
    expect(counts(warm)).toMatchObject({ misses: 0, diskReadBytes: 0 });
    checkInvariants(fx.pc);
  });

  it('lets a second reader wait for pages a first one is loading instead of reading them again', async () => {
    fx = new Fixture({ capacityBytes: 4 * MiB, readAheadMaxPages: 0 });
    const f = fx.addFile(64 * PAGE);
    const read = vi.spyOn(fs, 'read');
    const first = fx.pc.readAsync(f.id, 0, 32 * PAGE, { pin: true });
    const second = fx.pc.readAsync(f.id, 16 * PAGE, 32 * PAGE);
    const [a, b] = await Promise.all([first, second]);
    expect([a.misses, a.hits]).toEqual([32, 0]);
    expect([b.misses, b.hits]).toEqual([16, 16]); // pages 16-31 were under the first load: hits, not read again
    expect(read).toHaveBeenCalledTimes(2); // one read per run of missing pages
    expect(sameBytes(a.views, f.content.subarray(0, 32 * PAGE))).toBe(true);
    expect(sameBytes(b.views, f.content.subarray(16 * PAGE, 48 * PAGE))).toBe(true);
    fx.pc.release(a.pin!);
    checkInvariants(fx.pc);
  });

  it('keeps the frames of a load in flight from reclaim, read-ahead ones included', async () => {
    fx = new Fixture({ capacityBytes: PAGE_CACHE_BYTES_MIN, readAheadMaxPages: 8 }); // 64 pages
    const cold = fx.addFile(40 * PAGE);
    const other = fx.addFile(200 * PAGE);
    const loading = fx.pc.readAsync(cold.id, 0, 20 * PAGE); // 20 pages + read-ahead, all pinned until read
    const underLoad = fx.pc.stats().pinnedPages;
    expect(underLoad).toBeGreaterThan(20);
    for (let p = 0; p < 200; p += 4) fx.pc.read(other.id, p * PAGE, 4 * PAGE); // forces reclaim meanwhile
    expect(fx.pc.stats().evictionsClean).toBeGreaterThan(0);
    expect(fx.pc.stats().pinnedPages).toBe(underLoad);
    checkInvariants(fx.pc);
    const r = await loading;
    expect(sameBytes(r.views, cold.content.subarray(0, 20 * PAGE))).toBe(true);
    expect(fx.pc.stats().pinnedPages).toBe(0);
    checkInvariants(fx.pc);
  });

  it('rejects with a storage error naming the file when the read fails, and leaves nothing pinned or locked', async () => {
    fx = new Fixture({ capacityBytes: MiB });
    const f = fx.addFile(16 * PAGE);
    vi.spyOn(fs, 'read').mockImplementation(((...args: unknown[]) => {
      const cb = args[args.length - 1] as (e: Error) => void;
      setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })));
    }) as unknown as typeof fs.read);
    await expect(fx.pc.readAsync(f.id, 0, 4 * PAGE)).rejects.toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR', message: expect.stringMatching(/read of f0.log failed: EIO/) });
    vi.restoreAllMocks();
    expect(fx.pc.stats().pinnedPages).toBe(0);
    const again = await fx.pc.readAsync(f.id, 0, 4 * PAGE);
    expect(sameBytes(again.views, f.content.subarray(0, 4 * PAGE))).toBe(true);
    checkInvariants(fx.pc);
  });
});

describe('noReuse lookups', () => {
  it('count and load pages but neither mark them accessed nor read ahead', () => {
    fx = new Fixture({ capacityBytes: MiB });
    const f = fx.addFile(64 * PAGE);
    const look = fx.pc.read(f.id, 10 * PAGE, 12, { noReuse: true });
    expect(counts(look)).toEqual({ hits: 0, misses: 1, readAheadPages: 0, diskReadBytes: PAGE, length: 12 });
    for (let i = 0; i < 3; i++) fx.pc.read(f.id, 10 * PAGE, 12, { noReuse: true });
    fx.pc.read(f.id, 30 * PAGE, 12); // ordinary reads: referenced on the first access ...
    fx.pc.read(f.id, 40 * PAGE, 12);
    fx.pc.read(f.id, 30 * PAGE, 12); // ... promoted on the second
    expect(fx.pc.stats().promotions).toBe(1); // page 10, looked up four times, never was
    expect(fx.pc.stats().hits).toBe(4);
    fx.pc.read(f.id, 10 * PAGE, 12); // its first real access
    expect(fx.pc.stats().promotions).toBe(1);
  });
});
