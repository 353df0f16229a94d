// Proves the time index keeps only growing timestamps, agrees with a model for "last entry strictly below a timestamp", adds a final entry even when full (and writes it to the file even if the entry it replaced was already written), and rejects corrupt files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimeIndex } from '../../src/storage/time-index.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-ti-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;

describe('TimeIndex', () => {
  it('agrees with a model under random appends and lookups, across a reopen', () => {
    let seed = 99;
    const rand = (n: number): number => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    const file = path.join(dir, 'a.timeindex');
    let index = TimeIndex.create({ path: file, baseOffset: 500, indexBytesMax: MB });
    const model: { timestamp: number; offset: number }[] = [];
    let offset = 500;
    let maxTs = -1;
    for (let step = 0; step < 4000; step++) {
      if (rand(2) === 0) {
        offset += rand(20);
        const ts = 1_000_000 + rand(100_000); // producers' timestamps are not monotonic
        index.maybeAppend(ts, offset);
        if (ts > maxTs) {
          model.push({ timestamp: ts, offset });
          maxTs = ts;
        }
      } else {
        const target = 999_000 + rand(102_000);
        const below = model.filter((e) => e.timestamp < target);
        expect(index.lookup(target)).toEqual(below.length > 0 ? below[below.length - 1] : { timestamp: -1, offset: 500 });
      }
      if (step === 2000) {
        index.close();
        const reopened = TimeIndex.open({ path: file, baseOffset: 500, indexBytesMax: MB });
        expect(reopened.problem).toBeNull();
        index = reopened.index;
      }
    }
    expect(index.entries).toBe(model.length);
    expect(index.lastEntry()).toEqual(model[model.length - 1]);
    index.close();
  });

  it('replaces the last entry with the final one when full, and refuses a lower offset', () => {
    const index = TimeIndex.create({ path: path.join(dir, 'f.timeindex'), baseOffset: 0, indexBytesMax: 24 });
    index.maybeAppend(10, 1);
    index.maybeAppend(20, 2);
    expect(index.isFull).toBe(true);
    expect(() => index.maybeAppend(30, 3)).toThrow(/INDEX_BYTES_MAX/);
    index.maybeAppend(30, 3, true);
    expect(index.entries).toBe(2);
    expect(index.lastEntry()).toEqual({ timestamp: 30, offset: 3 });
    expect(() => index.maybeAppend(40, 1)).toThrow(/below the last entry/);
    index.close();
  });

  it('writes the overwritten final entry to the file even when the old last entry was already written', () => {
    const file = path.join(dir, 'w.timeindex');
    const index = TimeIndex.create({ path: file, baseOffset: 0, indexBytesMax: 24 });
    index.maybeAppend(100, 1);
    index.maybeAppend(200, 2);
    index.sync(false); // a flush before the roll: both entries are in the file
    index.maybeAppend(300, 3, true);
    index.close();
    const reopened = TimeIndex.open({ path: file, baseOffset: 0, indexBytesMax: 24 });
    expect(reopened.problem).toBeNull();
    expect(reopened.index.entries).toBe(2);
    expect(reopened.index.lastEntry()).toEqual({ timestamp: 300, offset: 3 });
    reopened.index.close();
  });

  it('truncates to an offset', () => {
    const index = TimeIndex.create({ path: path.join(dir, 't.timeindex'), baseOffset: 0, indexBytesMax: MB });
    for (let i = 1; i <= 10; i++) index.maybeAppend(i * 100, i * 3);
    index.truncateTo(15);
    expect(index.lastEntry()).toEqual({ timestamp: 400, offset: 12 });
    index.close();
  });

  it('reports non-increasing timestamps or decreasing offsets', () => {
    const entry = (ts: number, rel: number): Buffer => {
      const b = Buffer.alloc(12);
      b.writeBigInt64BE(BigInt(ts), 0);
      b.writeInt32BE(rel, 8);
      return b;
    };
    for (const bytes of [Buffer.concat([entry(5, 1), entry(5, 2)]), Buffer.concat([entry(5, 3), entry(6, 2)]), Buffer.alloc(13)]) {
      const file = path.join(dir, 'c.timeindex');
      fs.writeFileSync(file, bytes);
      const { index, problem } = TimeIndex.open({ path: file, baseOffset: 0, indexBytesMax: MB });
      expect(problem).not.toBeNull();
      expect(index.entries).toBe(0);
      index.close();
    }
  });
});
