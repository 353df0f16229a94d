// Proves the simulated page cache's contract: reads return the file's bytes as few coalesced views, writes dirty pages that write-back (bookkeeping, never a system call on the event loop), throttling, truncation and drop_caches handle, a real fdatasync reported by its caller is counted, pins block eviction, and bad options or exhaustion give typed errors.

import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import { PageCache } from '../../src/storage/page-cache.ts';
import { CopylessError } from '../../src/errors.ts';
import { PAGE_CACHE_BYTES_MIN } from '../../src/limits.ts';
import { Fixture, PAGE, sameBytes } from './page-cache-fixture.ts';
import { checkInvariants } from './page-cache-invariants.ts';

const MiB = 1024 * 1024;
let fx: Fixture | null = null;
function fixture(opts: ConstructorParameters<typeof Fixture>[0]): Fixture {
  fx = new Fixture(opts);
  return fx;
}
afterEach(() => {
  fx?.close();
  fx = null;
});

function expectBytes(views: Buffer[], expected: Buffer): void {
  expect(sameBytes(views, expected)).toBe(true);
}

function expectCode(fn: () => unknown, name: string, field?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    expect((e as CopylessError).errorName).toBe(name);
    if (field) expect((e as CopylessError).message).toContain(field);
    return;
  }
  throw new Error(`expected ${name}`);
}

describe('options', () => {
  it('rejects bad capacity and ratios with INVALID_CONFIG naming the field', () => {
    expectCode(() => new PageCache({ capacityBytes: PAGE_CACHE_BYTES_MIN + 1 }), 'INVALID_CONFIG', 'pageCacheBytes');
    expectCode(() => new PageCache({ capacityBytes: PAGE }), 'INVALID_CONFIG', 'pageCacheBytes');
    expectCode(() => new PageCache({ capacityBytes: 1 * MiB, dirtyRatio: 0 }), 'INVALID_CONFIG', 'dirtyRatio');
    expectCode(
      () => new PageCache({ capacityBytes: 1 * MiB, dirtyRatio: 0.1, dirtyBackgroundRatio: 0.2 }),
      'INVALID_CONFIG',
      'dirtyBackgroundRatio',
    );
    expectCode(() => new PageCache({ capacityBytes: 1 * MiB, readAheadMaxPages: -1 }), 'INVALID_CONFIG', 'readAheadMaxPages');
    expectCode(() => new PageCache({ capacityBytes: 1 * MiB, policy: 'fifo' as never }), 'INVALID_CONFIG', 'policy');
  });

  it('rejects negative positions and unknown files with typed errors', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB });
    expectCode(() => pc.read(99, 0, 10), 'KAFKA_STORAGE_ERROR', 'file id 99');
    const f = fx!.addFile(100);
    expectCode(() => pc.read(f.id, -1, 10), 'INVALID_REQUEST', 'position');
    expectCode(() => pc.read(f.id, 0, 1.5), 'INVALID_REQUEST', 'length');
  });
});

describe('reads', () => {
  it('returns exactly the requested bytes, clipped to the file size, and counts misses then hits', () => {
    const { pc } = fixture({ capacityBytes: 4 * MiB, readAheadMaxPages: 0 });
    const f = fx!.addFile(10 * PAGE + 123);
    const cold = pc.read(f.id, 5000, 3 * PAGE);
    expectBytes(cold.views, f.content.subarray(5000, 5000 + 3 * PAGE));
    expect(cold).toMatchObject({ pages: 4, hits: 0, misses: 4, readAheadPages: 0, diskReadBytes: 4 * PAGE });
    const warm = pc.read(f.id, 5000, 3 * PAGE);
    expect(warm).toMatchObject({ pages: 4, hits: 4, misses: 0, diskReadBytes: 0 });
    const tail = pc.read(f.id, 10 * PAGE, 10_000);
    expect(tail.length).toBe(123);
    expectBytes(tail.views, f.content.subarray(10 * PAGE));
    expect(pc.read(f.id, 20 * PAGE, 10).views).toEqual([]);
  });

  it('serves a hot 1 MiB read of sequentially loaded pages as a handful of views over adjacent frames', () => {
    const { pc } = fixture({ capacityBytes: 8 * MiB });
    const f = fx!.addFile(4 * MiB);
    for (let pos = 0; pos < 4 * MiB; pos += 64 * 1024) pc.read(f.id, pos, 64 * 1024);
    const r = pc.read(f.id, 777, 1 * MiB);
    expect(r.misses).toBe(0);
    expect(r.views.length).toBeLessThanOrEqual(3);
    expectBytes(r.views, f.content.subarray(777, 777 + MiB));
  });

  it('re-reads a cached partial last page once the file has grown behind the cache', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB, readAheadMaxPages: 0 });
    const f = fx!.addFile(PAGE + 10);
    pc.read(f.id, 0, PAGE + 10);
    const more = Buffer.alloc(100, 0x5a);
    fs.writeSync(f.fd, more, 0, 100, PAGE + 10);
    pc.setFileSize(f.id, PAGE + 110);
    const r = pc.read(f.id, PAGE, 110);
    expect(r.misses).toBe(1);
    expectBytes(r.views, Buffer.concat([f.content.subarray(PAGE, PAGE + 10), more]));
  });
});

describe('writes and write-back', () => {
  it('copies written bytes into dirty pages that reads then return without touching the disk', () => {
    const { pc } = fixture({ capacityBytes: 4 * MiB });
    const f = fx!.addFile(0);
    const data = Buffer.alloc(3 * PAGE + 50, 0x41);
    expect(fx!.write(f, 0, data)).toEqual({ pages: 4, throttled: false });
    fx!.write(f, data.length, Buffer.from('tail'));
    expect(pc.fileResidency(f.id)).toEqual({ residentPages: 4, dirtyPages: 4, totalPages: 4 });
    const r = pc.read(f.id, 0, 1 * MiB);
    expect(r).toMatchObject({ misses: 0, diskReadBytes: 0 });
    expectBytes(r.views, f.content);
  });

  it('fills the uncached head of a page before a write into its middle (read-modify-write)', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB });
    const f = fx!.addFile(PAGE + 500);
    fx!.write(f, PAGE + 500, Buffer.from('appended'));
    expectBytes(pc.read(f.id, PAGE, 508).views, f.content.subarray(PAGE, PAGE + 508));
  });

  it('markClean counts the caller\'s real fdatasync and its bytes, and cleans only pages wholly below the position', () => {
    const { pc } = fixture({ capacityBytes: 4 * MiB, dirtyRatio: 1, dirtyBackgroundRatio: 1 });
    const f = fx!.addFile(0);
    fx!.write(f, 0, Buffer.alloc(5 * PAGE + 10, 1));
    expect(pc.markClean(f.id, 2 * PAGE + 1, 2 * PAGE + 1)).toBe(2);
    expect(pc.stats()).toMatchObject({ dirtyPages: 4, fsyncs: 1, fsyncBytes: 2 * PAGE + 1, writeBackPages: 2, writeBackBytes: 2 * PAGE });
    expect(pc.markClean(f.id, 5 * PAGE + 10, 3 * PAGE + 9)).toBe(4);
    expect(pc.markClean(f.id, 5 * PAGE + 10)).toBe(0);
    expect(pc.stats()).toMatchObject({ dirtyPages: 0, fsyncs: 3, fsyncBytes: 5 * PAGE + 10, writeBackPages: 6, writeBackBytes: 5 * PAGE + 10 });
  });

  it('flushTick writes back files dirty longer than dirtyExpireMs, then down to the background ratio', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB, dirtyRatio: 1, dirtyBackgroundRatio: 0.5, dirtyExpireMs: 30_000 });
    const a = fx!.addFile(0);
    const b = fx!.addFile(0);
    fx!.write(a, 0, Buffer.alloc(10 * PAGE, 1));
    fx!.clockMs += 20_000;
    fx!.write(b, 0, Buffer.alloc(10 * PAGE, 2));
    fx!.clockMs += 15_000;
    pc.flushTick();
    expect(pc.fileResidency(a.id).dirtyPages).toBe(0);
    expect(pc.fileResidency(b.id).dirtyPages).toBe(10);
    fx!.write(b, 10 * PAGE, Buffer.alloc(150 * PAGE, 3));
    pc.flushTick();
    expect(pc.stats().dirtyPages).toBeLessThanOrEqual(128);
    expect(pc.stats().writeBackPages).toBeGreaterThanOrEqual(10 + 160 - 128);
  });

  it('writes back as bookkeeping only: the flusher timer, throttling, reclaim, close and drop_caches never fsync', () => {
    vi.useFakeTimers();
    const syncs = [vi.spyOn(fs, 'fdatasyncSync'), vi.spyOn(fs, 'fsyncSync'), vi.spyOn(fs, 'fdatasync'), vi.spyOn(fs, 'fsync')];
    try {
      // 1 MiB = 256 pages: dirty limit 51, background 25.
      const { pc } = fixture({ capacityBytes: 1 * MiB, dirtyWritebackMs: 5_000 });
      const f = fx!.addFile(0);
      fx!.write(f, 0, Buffer.alloc(3 * PAGE, 1));
      fx!.clockMs += 60_000; // past dirtyExpireMs: the next flusher tick writes the file back
      pc.start();
      vi.advanceTimersByTime(5_000);
      expect(pc.stats()).toMatchObject({ dirtyPages: 0, writeBackPages: 3, writeBackBytes: 3 * PAGE });
      pc.stop();
      fx!.write(f, 3 * PAGE, Buffer.alloc(60 * PAGE, 2)); // past dirtyRatio: the writer is "throttled"
      expect(pc.stats().throttleEvents).toBe(1);
      const g = fx!.addFile(0);
      for (let i = 0; i < 8; i++) fx!.write(g, i * 40 * PAGE, Buffer.alloc(40 * PAGE, 3)); // fills the cache: reclaim
      expect(pc.stats().evictionsDirty + pc.stats().evictionsClean).toBeGreaterThan(0);
      pc.unregisterFile(g.id, { writeBack: true });
      pc.dropCaches();
      for (const spy of syncs) expect(spy).not.toHaveBeenCalled();
      expect(pc.stats()).toMatchObject({ dirtyPages: 0, fsyncs: 0, fsyncBytes: 0 });
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
    }
  });

  it('throttles a writer above dirtyRatio so dirty memory stays bounded', () => {
    const { pc } = fixture({ capacityBytes: 4 * MiB }); // 1024 pages: limit 204, background 102
    const f = fx!.addFile(0);
    let throttled = 0;
    for (let i = 0; i < 200; i++) {
      const r = fx!.write(f, i * 3 * PAGE, Buffer.alloc(3 * PAGE, i));
      if (r.throttled) throttled++;
      expect(pc.stats().dirtyPages).toBeLessThanOrEqual(pc.dirtyLimitPages);
    }
    expect(throttled).toBeGreaterThan(0);
    expect(pc.stats().throttleEvents).toBe(throttled);
    expect(pc.stats().fsyncs).toBe(0);
  });

  it('writes a dirty victim back before evicting it', () => {
    const { pc } = fixture({ capacityBytes: PAGE_CACHE_BYTES_MIN, dirtyRatio: 1, dirtyBackgroundRatio: 1 });
    const f = fx!.addFile(0);
    fx!.write(f, 0, Buffer.alloc(64 * PAGE, 1));
    fx!.write(f, 64 * PAGE, Buffer.alloc(PAGE, 2));
    expect(pc.stats()).toMatchObject({ evictionsDirty: 1, fsyncs: 0, writeBackPages: 64, writeBackBytes: 64 * PAGE, dirtyPages: 1 });
  });
});

describe('truncate, unregister, drop_caches', () => {
  it('a truncate drops pages past the new end and discards their dirty state', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB, dirtyRatio: 1, dirtyBackgroundRatio: 1 });
    const f = fx!.addFile(0);
    fx!.write(f, 0, Buffer.alloc(8 * PAGE, 7));
    pc.setFileSize(f.id, 3 * PAGE + 5);
    expect(pc.fileResidency(f.id)).toEqual({ residentPages: 4, dirtyPages: 4, totalPages: 4 });
    expect(pc.read(f.id, 0, 100 * PAGE).length).toBe(3 * PAGE + 5);
    checkInvariants(pc);
  });

  it('unregister writes back on close and discards on delete', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB, dirtyRatio: 1, dirtyBackgroundRatio: 1 });
    const a = fx!.addFile(0);
    const b = fx!.addFile(0);
    fx!.write(a, 0, Buffer.alloc(4 * PAGE, 1));
    fx!.write(b, 0, Buffer.alloc(4 * PAGE, 2));
    pc.unregisterFile(a.id, { writeBack: true });
    pc.unregisterFile(b.id, { writeBack: false });
    expect(pc.stats()).toMatchObject({ residentPages: 0, dirtyPages: 0, writeBackPages: 4, fsyncs: 0 });
    checkInvariants(pc);
  });

  it('dropCaches writes back, then drops every unpinned page', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB, dirtyRatio: 1, dirtyBackgroundRatio: 1 });
    const f = fx!.addFile(16 * PAGE);
    fx!.write(f, 0, Buffer.alloc(2 * PAGE, 9));
    const held = pc.read(f.id, 8 * PAGE, 2 * PAGE, { pin: true });
    pc.read(f.id, 0, 16 * PAGE);
    expect(pc.dropCaches()).toBe(14);
    expect(pc.stats()).toMatchObject({ residentPages: 2, dirtyPages: 0, writeBackPages: 2, fsyncs: 0 });
    pc.release(held.pin!);
    checkInvariants(pc);
  });
});

describe('pins', () => {
  it('pinned pages are never evicted, and a cache full of pins throws PAGE_CACHE_EXHAUSTED naming pageCacheBytes', () => {
    const { pc } = fixture({ capacityBytes: PAGE_CACHE_BYTES_MIN, readAheadMaxPages: 0 });
    const hot = fx!.addFile(32 * PAGE);
    const cold = fx!.addFile(200 * PAGE);
    const held = pc.read(hot.id, 0, 32 * PAGE, { pin: true });
    expect(held.pin!.pages).toBe(32);
    for (let p = 0; p < 200; p += 4) pc.read(cold.id, p * PAGE, 4 * PAGE);
    expect(pc.fileResidency(hot.id).residentPages).toBe(32);
    expectBytes(held.views, hot.content.subarray(0, 32 * PAGE));
    const more = pc.read(cold.id, 0, 32 * PAGE, { pin: true });
    expectCode(() => pc.read(cold.id, 100 * PAGE, 4 * PAGE), 'PAGE_CACHE_EXHAUSTED', 'pageCacheBytes');
    checkInvariants(pc);
    pc.release(held.pin!);
    pc.release(held.pin!); // idempotent
    pc.release(more.pin!);
    expect(pc.stats().pinnedPages).toBe(0);
    pc.read(cold.id, 100 * PAGE, 4 * PAGE);
    checkInvariants(pc);
  });

  it('a pinned page of a deleted file stays readable through its view until released', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB });
    const f = fx!.addFile(4 * PAGE);
    const held = pc.read(f.id, 0, 4 * PAGE, { pin: true });
    pc.unregisterFile(f.id, { writeBack: false });
    expect(pc.stats()).toMatchObject({ residentPages: 0, pinnedPages: 4 });
    checkInvariants(pc);
    expectBytes(held.views, f.content);
    pc.release(held.pin!);
    expect(pc.stats().pinnedPages).toBe(0);
    checkInvariants(pc);
  });
});

describe('the invariant checker (test support)', () => {
  it('catches a counter that drifted from the frames it counts', () => {
    const { pc } = fixture({ capacityBytes: 1 * MiB });
    const f = fx!.addFile(4 * PAGE);
    const held = pc.read(f.id, 0, 4 * PAGE, { pin: true });
    checkInvariants(pc);
    pc['core'].pinnedPages--;
    expect(() => checkInvariants(pc)).toThrow(/pinnedPages counter/);
    pc['core'].pinnedPages++;
    pc.release(held.pin!);
    checkInvariants(pc);
  });
});
