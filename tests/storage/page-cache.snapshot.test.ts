// Proves snapshotFrames(), the dashboard's O(frames) view of the whole cache:
// after random reads, writes, pins, write-backs, truncations and drops it
// describes exactly the pages pageStates() reports file by file (no page
// missing, none invented, same state bits), frees show as -1, the arrays are
// reused when they fit, and open read-ahead windows are listed.

import { afterEach, describe, expect, it } from 'vitest';
import type { FrameSnapshot, PinHandle } from '../../src/storage/page-cache.ts';
import { Fixture, PAGE, prng } from './page-cache-fixture.ts';

let fx: Fixture | null = null;
afterEach(() => {
  fx?.close();
  fx = null;
});

/** Per file id: page -> state bits, as the snapshot says. */
function bySnapshot(s: FrameSnapshot): Map<number, Map<number, number>> {
  const out = new Map<number, Map<number, number>>();
  const problems: string[] = [];
  for (let f = 0; f < s.frames; f++) {
    if (s.fileIds[f] < 0) {
      if (s.states[f] !== 0) problems.push(`free frame ${f} has state ${s.states[f]}`);
      continue;
    }
    let m = out.get(s.fileIds[f]);
    if (!m) out.set(s.fileIds[f], (m = new Map()));
    if (m.has(s.pageIndexes[f])) problems.push(`page ${s.pageIndexes[f]} of file ${s.fileIds[f]} in two frames`);
    m.set(s.pageIndexes[f], s.states[f]);
  }
  expect(problems).toEqual([]);
  return out;
}

describe('snapshotFrames', () => {
  it('agrees with pageStates for every file after random operations', () => {
    fx = new Fixture({ capacityBytes: 64 * PAGE, policy: 'two-list' });
    const files = [fx.addFile(40 * PAGE + 100), fx.addFile(25 * PAGE), fx.addFile(10 * PAGE + 7)];
    const rnd = prng(7);
    const pins: PinHandle[] = [];
    let snap: FrameSnapshot | undefined;
    for (let op = 0; op < 600; op++) {
      const f = files[Math.floor(rnd() * files.length)];
      const size = fx.pc.fileSize(f.id);
      const r = rnd();
      if (r < 0.45 && size > 0) {
        const pos = Math.floor(rnd() * size);
        const res = fx.pc.read(f.id, pos, 1 + Math.floor(rnd() * 6 * PAGE), { pin: rnd() < 0.2 });
        if (res.pin) pins.push(res.pin);
      } else if (r < 0.75) {
        const pos = Math.floor(rnd() * (size + PAGE));
        fx.write(f, pos, Buffer.alloc(1 + Math.floor(rnd() * 2 * PAGE), op & 0xff));
      } else if (r < 0.85) {
        fx.pc.markClean(f.id, fx.pc.fileSize(f.id)); // a real fdatasync of the whole file
      } else if (r < 0.92 && pins.length > 0) {
        fx.pc.release(pins.splice(Math.floor(rnd() * pins.length), 1)[0]);
      } else if (r < 0.96) {
        fx.pc.setFileSize(f.id, Math.floor(rnd() * size));
      } else {
        fx.pc.dropCaches();
      }
      const previous = snap;
      snap = fx.pc.snapshotFrames(snap);
      if (previous && previous.fileIds.length >= snap.frames) expect(snap.fileIds).toBe(previous.fileIds);
      const seen = bySnapshot(snap);
      let resident = 0;
      const mismatches: string[] = [];
      for (const file of files) {
        const states = fx.pc.pageStates(file.id);
        const pages = seen.get(file.id) ?? new Map<number, number>();
        for (let p = 0; p < states.length; p++) {
          if ((pages.get(p) ?? 0) !== states[p]) mismatches.push(`file ${file.id} page ${p}: ${pages.get(p)} vs ${states[p]}`);
          if (states[p]) resident++;
        }
        for (const p of pages.keys()) if (p >= states.length) mismatches.push(`file ${file.id} page ${p} past its end`);
      }
      expect(mismatches, `after op ${op}`).toEqual([]);
      expect(resident).toBe(fx.pc.stats().residentPages);
    }
  });

  it('lists the read-ahead window a sequential reader opened', () => {
    fx = new Fixture({ capacityBytes: 256 * PAGE });
    const f = fx.addFile(200 * PAGE);
    expect(fx.pc.snapshotFrames().readAhead).toEqual([]);
    fx.pc.read(f.id, 0, PAGE);
    const w = fx.pc.snapshotFrames().readAhead;
    expect(w).toHaveLength(1);
    expect(w[0].fileId).toBe(f.id);
    expect(w[0].startPage).toBe(0);
    expect(w[0].pages).toBeGreaterThan(1);
    expect(w[0].asyncPages).toBeGreaterThan(0);
  });
});
