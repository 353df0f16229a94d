// Proves by random operations that the 'lru' page cache evicts exactly like a Map-based LRU model, and that the 'two-list' cache keeps its invariants, returns the file's bytes, and holds dirty pages exactly when they were written after their file's last fdatasync.

import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import { PageState, type PinHandle } from '../../src/storage/page-cache.ts';
import { WriteBack } from '../../src/storage/page-cache/write-back.ts';
import { Fixture, PAGE, prng, sameBytes, type TestFile } from './page-cache-fixture.ts';
import { checkInvariants } from './page-cache-invariants.ts';

const CAPACITY_PAGES = 64;
const OPERATIONS = 1500;

interface PageModel {
  dirty: boolean;
  pins: number;
}

/**
 * Map-based reference: key "file:page" in LRU order (first = least recent),
 * dirty flag and pin count. A pinned page truncated away still holds its frame
 * until released (an orphan), so it counts against the capacity.
 */
class LruModel {
  readonly pages = new Map<string, PageModel>();
  readonly orphans = new Set<PageModel>();
  constructor(readonly capacity: number) {}

  /** Touch pages [first, last] of `file` in order, evicting LRU pages outside the request first. */
  access(file: number, first: number, last: number, dirty: boolean, writeBack: (file: number) => void): void {
    const keys: string[] = [];
    for (let p = first; p <= last; p++) keys.push(`${file}:${p}`);
    const missing = keys.filter((k) => !this.pages.has(k)).length;
    const request = new Set(keys);
    for (const o of this.orphans) if (o.pins === 0) this.orphans.delete(o);
    let toEvict = this.pages.size + this.orphans.size + missing - this.capacity;
    for (let scanned = 0; toEvict > 0 && scanned < this.pages.size * 2; scanned++) {
      const [oldest, state] = this.pages.entries().next().value!;
      this.pages.delete(oldest);
      if (state.pins > 0 || request.has(oldest)) {
        this.pages.set(oldest, state); // rotated, as reclaim puts back a page it cannot take
        continue;
      }
      if (state.dirty) writeBack(Number(oldest.split(':')[0]));
      toEvict--;
    }
    for (const k of keys) {
      const state = this.pages.get(k) ?? { dirty: false, pins: 0 };
      this.pages.delete(k);
      if (dirty) state.dirty = true;
      this.pages.set(k, state);
    }
  }

  cleanFile(file: number): void {
    for (const [k, s] of this.pages) if (k.startsWith(`${file}:`)) s.dirty = false;
  }

  truncate(file: number, keepPages: number): void {
    for (const k of [...this.pages.keys()]) {
      const [f, p] = k.split(':').map(Number);
      if (f !== file || p < keepPages) continue;
      const state = this.pages.get(k)!;
      if (state.pins > 0) this.orphans.add(state);
      this.pages.delete(k);
    }
  }
}

interface Driver {
  fx: Fixture;
  files: TestFile[];
  rnd: () => number;
  pins: { pin: PinHandle; keys: string[] }[];
  /** Model states pinned by each entry of `pins` (same order), for the LRU model. */
  pinnedStates: PageModel[][];
}

function randomRead(d: Driver, pin: boolean): { file: TestFile; first: number; last: number; keys: string[]; pin: PinHandle | null } | null {
  const file = d.files[(d.rnd() * d.files.length) | 0];
  const size = file.content.length;
  if (size === 0) return null;
  const pos = (d.rnd() * size) | 0;
  const len = 1 + ((d.rnd() * 12 * PAGE) | 0);
  const r = d.fx.pc.read(file.id, pos, len, { pin });
  const end = Math.min(pos + len, size);
  expect(sameBytes(r.views, file.content.subarray(pos, end))).toBe(true);
  const first = Math.floor(pos / PAGE);
  const last = Math.floor((end - 1) / PAGE);
  const keys: string[] = [];
  for (let p = first; p <= last; p++) keys.push(`${file.id}:${p}`);
  return { file, first, last, keys, pin: r.pin };
}

function randomWrite(d: Driver): { file: TestFile; first: number; last: number } {
  const file = d.files[(d.rnd() * d.files.length) | 0];
  const pos = (d.rnd() * (file.content.length + 2 * PAGE)) | 0;
  const len = 1 + ((d.rnd() * 6 * PAGE) | 0);
  const data = Buffer.alloc(len, (d.rnd() * 256) | 0);
  d.fx.write(file, pos, data);
  return { file, first: Math.floor(pos / PAGE), last: Math.floor((pos + len - 1) / PAGE) };
}

function truncate(d: Driver): { file: TestFile; size: number } {
  const file = d.files[(d.rnd() * d.files.length) | 0];
  const size = (d.rnd() * file.content.length) | 0;
  fs.ftruncateSync(file.fd, size);
  file.content = Buffer.from(file.content.subarray(0, size));
  d.fx.pc.setFileSize(file.id, size);
  return { file, size };
}

let fx: Fixture | null = null;
afterEach(() => {
  vi.restoreAllMocks();
  fx?.close();
  fx = null;
});

function setup(policy: 'lru' | 'two-list', seed: number, readAheadMaxPages: number): Driver {
  fx = new Fixture({ capacityBytes: CAPACITY_PAGES * PAGE, policy, readAheadMaxPages, dirtyRatio: 1, dirtyBackgroundRatio: 1 });
  const files = [fx.addFile(40 * PAGE + 17), fx.addFile(90 * PAGE), fx.addFile(3 * PAGE + 1)];
  return { fx, files, rnd: prng(seed), pins: [], pinnedStates: [] };
}

/** What the cache says about every page, as "file:page" -> dirty. */
function cacheView(d: Driver): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const f of d.files) {
    d.fx.pc.pageStates(f.id).forEach((s, p) => {
      if (s & PageState.RESIDENT) out.set(`${f.id}:${p}`, (s & PageState.DIRTY) !== 0);
    });
  }
  return out;
}

describe("'lru' policy against a Map-based LRU model", () => {
  for (const seed of [1, 2, 3]) {
    it(`agrees on residency, order-driven eviction and dirtiness (seed ${seed})`, () => {
      const d = setup('lru', seed, 0);
      const model = new LruModel(CAPACITY_PAGES);
      const writeBack = (file: number) => model.cleanFile(file);
      for (let i = 0; i < OPERATIONS; i++) {
        const op = d.rnd();
        if (op < 0.5) {
          const pin = d.rnd() < 0.1 && d.pins.length < 2;
          const r = randomRead(d, pin);
          if (r) {
            model.access(r.file.id, r.first, r.last, false, writeBack);
            if (r.pin) {
              const states = r.keys.map((k) => model.pages.get(k)!);
              for (const s of states) s.pins++;
              d.pins.push({ pin: r.pin, keys: r.keys });
              d.pinnedStates.push(states);
            }
          }
        } else if (op < 0.85) {
          const w = randomWrite(d);
          model.access(w.file.id, w.first, w.last, true, writeBack);
        } else if (op < 0.92 && d.pins.length > 0) {
          d.fx.pc.release(d.pins.shift()!.pin);
          for (const s of d.pinnedStates.shift()!) s.pins--;
        } else if (op < 0.96) {
          const f = d.files[(d.rnd() * d.files.length) | 0];
          d.fx.pc.markClean(f.id, d.fx.pc.fileSize(f.id));
          model.cleanFile(f.id);
        } else {
          const t = truncate(d);
          model.truncate(t.file.id, Math.ceil(t.size / PAGE));
        }
        const expected = new Map([...model.pages].map(([k, s]) => [k, s.dirty]));
        expect(cacheView(d)).toEqual(expected);
        checkInvariants(d.fx.pc);
      }
    });
  }
});

describe("'two-list' policy under random operations", () => {
  for (const seed of [11, 12, 13]) {
    it(`keeps its invariants, serves the file's bytes, and tracks dirtiness exactly (seed ${seed})`, () => {
      const d = setup('two-list', seed, 8);
      // Dirty model: a page is dirty iff written after its file's last write-back and still resident.
      const dirty = new Set<string>();
      const cleanFile = (id: number) => {
        for (const k of [...dirty]) if (k.startsWith(`${id}:`)) dirty.delete(k);
      };
      const writeBack = WriteBack.prototype.writeBack;
      vi.spyOn(WriteBack.prototype, 'writeBack').mockImplementation(function (this: WriteBack, file) {
        cleanFile(file.id);
        return writeBack.call(this, file);
      });
      for (let i = 0; i < OPERATIONS; i++) {
        const op = d.rnd();
        if (op < 0.55) {
          const r = randomRead(d, d.rnd() < 0.1 && d.pins.length < 2);
          if (r?.pin) d.pins.push({ pin: r.pin, keys: r.keys });
        } else if (op < 0.85) {
          const w = randomWrite(d);
          for (let p = w.first; p <= w.last; p++) dirty.add(`${w.file.id}:${p}`);
        } else if (op < 0.93 && d.pins.length > 0) {
          d.fx.pc.release(d.pins.shift()!.pin);
        } else if (op < 0.97) {
          const f = d.files[(d.rnd() * d.files.length) | 0];
          d.fx.pc.markClean(f.id, d.fx.pc.fileSize(f.id));
          cleanFile(f.id);
        } else {
          const t = truncate(d);
          for (const k of [...dirty]) {
            const [f, p] = k.split(':').map(Number);
            if (f === t.file.id && p >= Math.ceil(t.size / PAGE)) dirty.delete(k);
          }
        }
        checkInvariants(d.fx.pc);
        const view = cacheView(d);
        const cacheDirty = [...view].filter(([, isDirty]) => isDirty).map(([k]) => k).sort();
        expect(cacheDirty).toEqual([...dirty].sort());
        const s = d.fx.pc.stats();
        expect(s.residentPages).toBeLessThanOrEqual(CAPACITY_PAGES);
        expect(s.activePages + s.inactivePages).toBe(s.residentPages);
      }
      expect(d.fx.pc.stats().promotions).toBeGreaterThan(0);
      expect(d.fx.pc.stats().evictionsClean + d.fx.pc.stats().evictionsDirty).toBeGreaterThan(0);
    });
  }
});
