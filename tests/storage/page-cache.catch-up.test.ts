// Proves the "catch-up tax" and its cure: a one-pass scan of an old segment flushes a hot tail out of a plain LRU cache, while Linux's two-list policy keeps the tail's hit ratio high.

import { afterEach, describe, expect, it } from 'vitest';
import type { CachePolicy } from '../../src/storage/page-cache.ts';
import { Fixture, PAGE } from './page-cache-fixture.ts';
import { checkInvariants } from './page-cache-invariants.ts';

const CAPACITY_PAGES = 256;
const HOT_PAGES = 64;
const BACKLOG_PAGES = 2048;
/** The catch-up consumer reads this much between two passes of the tail consumer: more than the cache minus the hot set. */
const SCAN_PAGES_PER_ROUND = 256;
const READ_PAGES = 16;

let fx: Fixture | null = null;
afterEach(() => {
  fx?.close();
  fx = null;
});

/**
 * Share of the tail consumer's pages served without a disk read (neither a
 * miss nor read-ahead) while a backfill consumer scans the backlog once.
 */
function tailHitRatioDuringCatchUp(policy: CachePolicy): number {
  fx = new Fixture({ capacityBytes: CAPACITY_PAGES * PAGE, policy });
  const tail = fx.addFile(HOT_PAGES * PAGE);
  const backlog = fx.addFile(BACKLOG_PAGES * PAGE);
  const readTail = () => {
    let diskPages = 0;
    let pages = 0;
    for (let p = 0; p < HOT_PAGES; p += READ_PAGES) {
      const r = fx!.pc.read(tail.id, p * PAGE, READ_PAGES * PAGE);
      diskPages += r.misses + r.readAheadPages;
      pages += r.pages;
    }
    return { diskPages, pages };
  };
  for (let i = 0; i < 3; i++) readTail(); // caught-up consumers: the tail is hot
  let diskPages = 0;
  let pages = 0;
  for (let scanned = 0; scanned < BACKLOG_PAGES; ) {
    for (let i = 0; i < SCAN_PAGES_PER_ROUND; i += READ_PAGES, scanned += READ_PAGES) {
      fx.pc.read(backlog.id, scanned * PAGE, READ_PAGES * PAGE);
    }
    const t = readTail();
    diskPages += t.diskPages;
    pages += t.pages;
  }
  checkInvariants(fx.pc);
  return 1 - diskPages / pages;
}

describe('catch-up scan vs hot tail', () => {
  it('plain LRU: the scan evicts the tail every round, so the tail hit ratio collapses', () => {
    expect(tailHitRatioDuringCatchUp('lru')).toBeLessThan(0.1);
  });

  it('two-list: the scan churns only the inactive list, so the tail hit ratio stays high', () => {
    expect(tailHitRatioDuringCatchUp('two-list')).toBeGreaterThan(0.95);
    expect(fx!.pc.stats().activePages).toBeGreaterThanOrEqual(HOT_PAGES);
  });
});
