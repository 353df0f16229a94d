// Proves read-ahead follows mm/readahead.c: the initial and next window sizes, window growth on sequential reads up to the 32-page maximum, none for random reads, clipping at EOF, and used/wasted accounting.

import { afterEach, describe, expect, it } from 'vitest';
import { initialWindowPages, nextWindowPages } from '../../src/storage/page-cache/readahead.ts';
import { Fixture, PAGE, sameBytes } from './page-cache-fixture.ts';

let fx: Fixture | null = null;
afterEach(() => {
  fx?.close();
  fx = null;
});

describe('window arithmetic (get_init_ra_size / get_next_ra_size, max 32 pages)', () => {
  it('initial window: roundup_pow_of_two, x4 up to max/32, x2 up to max/4, else max', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 16, 64].map((n) => initialWindowPages(n, 32))).toEqual([4, 4, 8, 8, 16, 16, 32, 32, 32]);
  });

  it('next window: x4 below max/16, x2 up to max/2, else max', () => {
    expect([1, 2, 4, 8, 16, 32].map((n) => nextWindowPages(n, 32))).toEqual([4, 4, 8, 16, 32, 32]);
  });
});

describe('read-ahead in the page cache', () => {
  it('grows the window 4 -> 8 -> 16 -> 32 pages for one-page sequential reads, each triggered at the marker', () => {
    fx = new Fixture({ capacityBytes: 1024 * 1024 });
    const f = fx.addFile(200 * PAGE);
    const loaded: number[] = [];
    for (let p = 0; p < 100; p++) {
      const r = fx.pc.read(f.id, p * PAGE, PAGE);
      expect(sameBytes(r.views, f.content.subarray(p * PAGE, (p + 1) * PAGE))).toBe(true);
      if (r.readAheadPages > 0) loaded.push(p, r.readAheadPages);
    }
    // [page read, pages read ahead]: 0 opens [0,4) (3 ahead); the marker at 1 opens [4,12); 4 opens [12,28); 12 opens [28,60) ...
    expect(loaded).toEqual([0, 3, 1, 8, 4, 16, 12, 32, 28, 32, 60, 32, 92, 32]);
    const s = fx.pc.stats();
    expect(s.misses).toBe(1);
    expect(s.readAheadPages).toBe(3 + 8 + 16 + 32 + 32 + 32 + 32);
    expect(s.readAheadUsed).toBe(99);
  });

  it('gives a random read no read-ahead, and a read-ahead page evicted unread counts as wasted', () => {
    fx = new Fixture({ capacityBytes: 1024 * 1024 });
    const f = fx.addFile(200 * PAGE);
    fx.pc.read(f.id, 0, PAGE);
    const random = fx.pc.read(f.id, 100 * PAGE, 2 * PAGE);
    expect(random).toMatchObject({ misses: 2, readAheadPages: 0, diskReadBytes: 2 * PAGE });
    // Follows the previous read: a new initial window of roundup(2) x 2 = 4 pages, 2 beyond the request.
    const sequential = fx.pc.read(f.id, 102 * PAGE, 2 * PAGE);
    expect(sequential.readAheadPages).toBe(2);
    fx.pc.dropCaches();
    expect(fx.pc.stats()).toMatchObject({ readAheadUsed: 0, readAheadWasted: 3 + 2 });
  });

  it('continues a long sequential scan with windows chained past each request, and stops at EOF', () => {
    fx = new Fixture({ capacityBytes: 4 * 1024 * 1024 });
    const f = fx.addFile(300 * PAGE + 100);
    const first = fx.pc.read(f.id, 0, 64 * PAGE);
    expect(first).toMatchObject({ misses: 64, readAheadPages: 32 }); // windows [0,32) [32,64) [64,96)
    const second = fx.pc.read(f.id, 64 * PAGE, 64 * PAGE);
    expect(second).toMatchObject({ hits: 32, misses: 32, readAheadPages: 32 });
    const tail = fx.pc.read(f.id, 280 * PAGE, 64 * PAGE);
    expect(tail.readAheadPages).toBe(0);
    expect(tail.length).toBe(20 * PAGE + 100);
    expect(tail.diskReadBytes).toBe(20 * PAGE + 100);
  });

  it('is disabled by readAheadMaxPages: 0', () => {
    fx = new Fixture({ capacityBytes: 1024 * 1024, readAheadMaxPages: 0 });
    const f = fx.addFile(50 * PAGE);
    for (let p = 0; p < 10; p++) expect(fx.pc.read(f.id, p * PAGE, PAGE).readAheadPages).toBe(0);
    expect(fx.pc.stats().misses).toBe(10);
  });
});
