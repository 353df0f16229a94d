// Proves the page map's frame codec: literal bytes decode as the layout in
// messages.ts says, keyframes and deltas round-trip for random maps (a delta
// of an unchanged map is one run), and every malformed frame is a typed
// CORRUPT_MESSAGE, never a wrong map.

import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../../src/errors.ts';
import {
  CellState,
  PAGE_MAP_HEADER_BYTES,
  cellByte,
  cellFill,
  cellState,
  decodePageMapFrame,
  encodePageMapFrame,
  fillOf,
} from '../../../broker/dashboard/messages.ts';
import { prng } from '../../storage/page-cache-fixture.ts';

function corruptName(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    return (e as CopylessError).errorName;
  }
  throw new Error('expected a CORRUPT_MESSAGE');
}

describe('page map frame', () => {
  it('decodes literal bytes: header fields little-endian, then (value, varint run) pairs', () => {
    // version 1, keyframe, seq 7, 131 cells: 3 x 0x0b, then 128 x 0x03 (run 128 = varint 0x80 0x01)
    const frame = Uint8Array.from([1, 1, 0, 0, 7, 0, 0, 0, 131, 0, 0, 0, 0x0b, 3, 0x03, 0x80, 0x01]);
    const d = decodePageMapFrame(frame, null);
    expect(d.seq).toBe(7);
    expect(d.keyframe).toBe(true);
    expect([...d.cells.subarray(0, 4)]).toEqual([0x0b, 0x0b, 0x0b, 0x03]);
    expect(d.cells.length).toBe(131);
    expect(d.cells.every((c, i) => c === (i < 3 ? 0x0b : 0x03))).toBe(true);
    expect(encodePageMapFrame(d.cells, null, 7)).toEqual(frame);
  });

  it('round-trips random maps as keyframes and as deltas, whose unchanged runs are single zero runs', () => {
    const rnd = prng(16);
    let previous: Uint8Array | null = null;
    for (let round = 0; round < 200; round++) {
      const n: number = previous && rnd() < 0.7 ? previous.length : 1 + Math.floor(rnd() * 3000);
      const cells: Uint8Array = new Uint8Array(n);
      for (let i = 0; i < n; ) {
        const run = 1 + Math.floor(rnd() ** 3 * 400);
        cells.fill(cellByte(Math.floor(rnd() * 6), Math.floor(rnd() * 4)), i, i + run);
        i += run;
      }
      if (previous && previous.length === n && rnd() < 0.5) cells.set(previous.subarray(0, Math.floor(n / 2)));
      const frame = encodePageMapFrame(cells, previous, round);
      expect(frame.length).toBeLessThanOrEqual(PAGE_MAP_HEADER_BYTES + 2 * n);
      const d = decodePageMapFrame(frame, previous);
      expect(d.keyframe).toBe(previous === null || previous.length !== n);
      expect(Buffer.from(d.cells).equals(Buffer.from(cells))).toBe(true);
      previous = cells;
    }
    const same = encodePageMapFrame(previous!, previous, 1);
    expect(same.length).toBeLessThanOrEqual(PAGE_MAP_HEADER_BYTES + 4); // one zero run
  });

  it('refuses truncated, over-long, wrong-version and orphan delta frames with CORRUPT_MESSAGE', () => {
    const cells = Uint8Array.from({ length: 300 }, (_, i) => (i < 200 ? 1 : 2));
    const key = encodePageMapFrame(cells, null, 1);
    expect(corruptName(() => decodePageMapFrame(key.subarray(0, 5), null))).toBe('CORRUPT_MESSAGE');
    expect(corruptName(() => decodePageMapFrame(key.subarray(0, key.length - 1), null))).toBe('CORRUPT_MESSAGE');
    expect(corruptName(() => decodePageMapFrame(Uint8Array.from([...key, 9, 1]), null))).toBe('CORRUPT_MESSAGE');
    const v2 = Uint8Array.from(key);
    v2[0] = 2;
    expect(corruptName(() => decodePageMapFrame(v2, null))).toBe('CORRUPT_MESSAGE');
    const delta = encodePageMapFrame(cells, cells, 2);
    expect(corruptName(() => decodePageMapFrame(delta, null))).toBe('CORRUPT_MESSAGE');
    expect(corruptName(() => decodePageMapFrame(delta, new Uint8Array(10)))).toBe('CORRUPT_MESSAGE');
    const zeroRun = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5, 0]);
    expect(corruptName(() => decodePageMapFrame(zeroRun, null))).toBe('CORRUPT_MESSAGE');
    const longVarint = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    expect(corruptName(() => decodePageMapFrame(longVarint, null))).toBe('CORRUPT_MESSAGE');
  });

  it('packs a state and a fill level in one byte', () => {
    for (const state of Object.values(CellState)) {
      for (let fill = 0; fill < 4; fill++) {
        const b = cellByte(state, fill);
        expect([cellState(b), cellFill(b)]).toEqual([state, fill]);
      }
    }
    expect([fillOf(0, 8), fillOf(1, 8), fillOf(4, 8), fillOf(7, 8), fillOf(8, 8), fillOf(1, 1)]).toEqual([0, 1, 2, 2, 3, 3]);
  });
});
