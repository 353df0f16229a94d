// Test support: the page cache's own invariants, checked by the page-cache
// tests after every operation (O(capacity), so never on the serving path and
// not shipped in src/). It reads the state behind the PageCache facade through
// TypeScript's bracket access to private members, on purpose: the facade
// exposes nothing for it.

import { assert } from '../../src/errors.ts';
import type { PageCache } from '../../src/storage/page-cache.ts';
import type { CacheCore } from '../../src/storage/page-cache/core.ts';
import { Flag, List } from '../../src/storage/page-cache/frame-arena.ts';
import { NIL } from '../../src/storage/page-cache/frame-list.ts';
import type { PageReader } from '../../src/storage/page-cache/reads.ts';

/** Throws a `copyless invariant` error naming the first invariant the cache breaks. */
export function checkInvariants(pc: PageCache): void {
  const core: CacheCore = pc['core'];
  const reader: PageReader = pc['reader'];
  checkFrames(core, reader);
  checkFiles(core);
}

function checkFrames(core: CacheCore, reader: PageReader): void {
  const { arena: a, lists } = core;
  const onList = core.free.length + lists.inactive.length + lists.active.length;
  let orphans = 0;
  let pinned = 0;
  let dirty = 0;
  for (let f = 0; f < a.allocatedFrames; f++) {
    if (a.list[f] === List.NONE) {
      assert(a.flags[f] & Flag.ORPHAN && a.pins[f] > 0, `frame ${f} off every list must be a pinned orphan`);
      orphans++;
    }
    assert(a.pins[f] >= 0, `frame ${f} has ${a.pins[f]} pins`);
    if (a.pins[f] > 0) pinned++;
    if (a.flags[f] & Flag.DIRTY) dirty++;
    if (a.flags[f] & Flag.LOCKED) assert(a.pins[f] > 0 && reader.loading.has(f), `LOCKED frame ${f} is pinned by its load`);
    if (a.list[f] === List.INACTIVE || a.list[f] === List.ACTIVE) {
      const file = core.files.get(a.fileId[f]);
      assert(file && file.table[a.pageIndex[f]] === f, `frame ${f} is on a list but not in its file's page table`);
    }
  }
  assert(onList + orphans === a.allocatedFrames, 'every allocated frame is on exactly one list or orphaned');
  assert(pinned === core.pinnedPages, 'pinnedPages counter');
  assert(dirty === core.writeBack.dirtyPages, 'dirtyPages counter');
  assert(lists.policy === 'two-list' || lists.active.length === 0, "'lru' uses one list");
}

function checkFiles(core: CacheCore): void {
  const a = core.arena;
  let resident = 0;
  for (const file of core.files.values()) {
    let r = 0;
    let d = 0;
    for (let p = 0; p < file.table.length; p++) {
      const f = file.table[p];
      if (f === NIL) continue;
      r++;
      assert(a.fileId[f] === file.id && a.pageIndex[f] === p, `page ${p} of ${file.name} maps to a foreign frame`);
      if (a.flags[f] & Flag.DIRTY) {
        d++;
        assert(p >= file.dirtyLowPage, 'dirtyLowPage is a lower bound');
      }
    }
    assert(r === file.residentPages && d === file.dirtyPages, `residency counters of ${file.name}`);
    resident += r;
  }
  assert(resident === core.lists.residentPages, 'resident pages = list lengths');
}
