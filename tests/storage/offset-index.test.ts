// Proves the sparse offset index agrees with a sorted-array model under random appends, lookups and truncations, survives a reopen, refuses out-of-order and over-full appends, and reports every kind of corrupt file instead of trusting it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { OffsetIndex } from '../../src/storage/offset-index.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-oi-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const BASE = 1000;
const MB = 1024 * 1024;

/** Model: the last (offset, position) with offset <= target, else the segment start. */
function modelLookup(model: [number, number][], target: number): { offset: number; position: number } {
  let best = { offset: BASE, position: 0 };
  for (const [offset, position] of model) if (offset <= target) best = { offset, position };
  return best;
}

describe('OffsetIndex', () => {
  it('agrees with a sorted-array model under random operations', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    const file = path.join(dir, 'a.index');
    let index = OffsetIndex.create({ path: file, baseOffset: BASE, indexBytesMax: MB });
    const model: [number, number][] = [];
    let offset = BASE;
    let position = 0;
    for (let step = 0; step < 5000; step++) {
      const op = rand(100);
      if (op < 50) {
        offset += 1 + rand(50);
        position += 1 + rand(5000);
        index.append(offset, position);
        model.push([offset, position]);
      } else if (op < 97) {
        const target = BASE - 5 + rand(offset - BASE + 60);
        expect(index.lookup(target), `lookup ${target}`).toEqual(modelLookup(model, target));
        expect(index.lookupPosition(target)).toBe(modelLookup(model, target).position);
      } else if (op < 99 && model.length > 0) {
        const cut = model[rand(model.length)][0];
        index.truncateTo(cut);
        while (model.length > 0 && model[model.length - 1][0] >= cut) model.pop();
        offset = model.length > 0 ? model[model.length - 1][0] : BASE;
        position = model.length > 0 ? model[model.length - 1][1] : 0;
      } else {
        index.close();
        const reopened = OffsetIndex.open({ path: file, baseOffset: BASE, indexBytesMax: MB, logSizeBytes: position + 1 });
        expect(reopened.problem).toBeNull();
        index = reopened.index;
      }
      expect(index.entries).toBe(model.length);
    }
    index.close();
  });

  it('searches the warm section and the cold part alike', () => {
    const index = OffsetIndex.create({ path: path.join(dir, 'w.index'), baseOffset: 0, indexBytesMax: MB });
    for (let i = 1; i <= 5000; i++) index.append(i * 10, i * 100);
    expect(index.lookup(5)).toEqual({ offset: 0, position: 0 });
    expect(index.lookup(10)).toEqual({ offset: 10, position: 100 });
    expect(index.lookup(39_999)).toEqual({ offset: 39_990, position: 399_900 });
    expect(index.lookup(49_995)).toEqual({ offset: 49_990, position: 499_900 });
    expect(index.lookup(10 ** 9)).toEqual({ offset: 50_000, position: 500_000 });
    index.close();
  });

  it('refuses an offset or position that does not increase', () => {
    const index = OffsetIndex.create({ path: path.join(dir, 'o.index'), baseOffset: 0, indexBytesMax: MB });
    index.append(10, 100);
    expect(() => index.append(10, 200)).toThrow(/not above the last entry 10/);
    expect(() => index.append(5, 200)).toThrow(/not above/);
    expect(() => index.append(11, 100)).toThrow(/position 100 is not above/);
    index.close();
  });

  it('refuses an append to a full index with a LIMIT_EXCEEDED naming INDEX_BYTES_MAX', () => {
    const index = OffsetIndex.create({ path: path.join(dir, 'f.index'), baseOffset: 0, indexBytesMax: 3 * 8 + 5 });
    for (let i = 1; i <= 3; i++) index.append(i, i);
    expect(index.isFull).toBe(true);
    let caught: unknown;
    try {
      index.append(4, 4);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CopylessError);
    expect(caught).toMatchObject({ errorName: 'LIMIT_EXCEEDED', details: { limit: 'INDEX_BYTES_MAX' } });
    index.close();
  });

  it('writes entries to the file on sync and close only', () => {
    const file = path.join(dir, 's.index');
    const index = OffsetIndex.create({ path: file, baseOffset: 0, indexBytesMax: MB });
    index.append(3, 30);
    expect(fs.statSync(file).size).toBe(0);
    index.sync(true);
    expect(fs.readFileSync(file).toString('hex')).toBe('000000030000001e');
    index.append(4, 40);
    index.close();
    expect(fs.statSync(file).size).toBe(16);
  });

  it('unloads only once closed with every entry in its file, and answers lookups from the file as before', () => {
    const file = path.join(dir, 'u.index');
    const index = OffsetIndex.create({ path: file, baseOffset: BASE, indexBytesMax: MB });
    const model: [number, number][] = [];
    for (let i = 1; i <= 3000; i++) {
      index.append(BASE + i * 3, i * 70);
      model.push([BASE + i * 3, i * 70]);
    }
    expect(index.unload()).toBe(false); // still open for entries (and none written yet)
    expect(index.memoryBytes).toBeGreaterThan(0);
    index.close();
    expect(index.unload()).toBe(true);
    expect(index.memoryBytes).toBe(0);
    expect(index.entries).toBe(3000);
    for (const target of [BASE - 1, BASE, BASE + 4, BASE + 4500, BASE + 8999, BASE + 9000, BASE + 10 ** 6]) {
      expect(index.lookup(target), `lookup ${target}`).toEqual(modelLookup(model, target));
    }
    expect(index.memoryBytes).toBe(3000 * 8); // read back whole, exactly the file
    expect(index.floorPosition(7001)).toBe(7000);
  });

  it('reports a corrupt or out-of-bounds file and comes back empty', () => {
    const cases: [string, Buffer, number][] = [
      ['partial entry', Buffer.alloc(12), 1000],
      ['decreasing offsets', Buffer.from('00000005000000100000000400000020', 'hex'), 1000],
      ['position past the log', Buffer.from('0000000500000010', 'hex'), 16],
      ['negative relative offset', Buffer.from('ffffffff00000010', 'hex'), 1000],
      ['repeated position', Buffer.from('00000005000000100000000600000010', 'hex'), 1000],
    ];
    for (const [name, bytes, logSizeBytes] of cases) {
      const file = path.join(dir, `${name}.index`);
      fs.writeFileSync(file, bytes);
      const { index, problem } = OffsetIndex.open({ path: file, baseOffset: 0, indexBytesMax: MB, logSizeBytes });
      expect(problem, name).not.toBeNull();
      expect(index.entries).toBe(0);
      expect(fs.statSync(file).size).toBe(0);
      index.close();
    }
    const big = path.join(dir, 'big.index');
    fs.writeFileSync(big, Buffer.alloc(64));
    expect(OffsetIndex.open({ path: big, baseOffset: 0, indexBytesMax: 32, logSizeBytes: 1000 }).problem).toMatch(/larger/);
  });
});
