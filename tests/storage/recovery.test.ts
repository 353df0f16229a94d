// Proves crash recovery keeps exactly the valid prefix: a .log cut mid-batch, a flipped byte in the last batch, garbage after the last batch, corruption in an older segment, and missing or corrupt indexes are each recovered on restart, and appends continue at the right offset.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batch, MiB, openLog, readAllValues, tempDir, type TestLog } from './log-helpers.ts';

let root: string;
let t: TestLog;
/** Offsets and sizes of every batch appended by `fill`, in order. */
let batches: { base: number; last: number; bytes: number }[];

beforeEach(() => {
  root = tempDir('recovery');
  batches = [];
});
afterEach(() => {
  t.log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A closed log of `count` batches over segments of 1 MiB; returns its values. */
function fill(count: number, o: { valueBytes?: number } = {}): { offset: number; value: string }[] {
  t = openLog(root, { segmentBytes: MiB, indexIntervalBytes: 4096 });
  for (let i = 0; i < count; i++) {
    const r = t.log.append(batch(1 + (i % 3), { tag: `v${i}`, valueBytes: o.valueBytes ?? 40_000 }));
    batches.push({ base: r.baseOffset, last: r.lastOffset, bytes: r.bytes });
  }
  const values = readAllValues(t);
  t.log.close();
  return values;
}

function segmentFiles(suffix: string): string[] {
  return fs.readdirSync(t.dir).filter((n) => n.endsWith(suffix)).sort().map((n) => path.join(t.dir, n));
}

/** Reopens after an "unclean shutdown" and checks the surviving prefix, then that appends continue right after it. */
function expectPrefixAfterCrash(values: { offset: number; value: string }[], keepOffsets: number, o: { cleanShutdown?: boolean } = {}): void {
  t.reopen({ cleanShutdown: o.cleanShutdown ?? false, recoveryPoint: 0 });
  expect(t.log.logEndOffset).toBe(keepOffsets);
  expect(readAllValues(t)).toEqual(values.slice(0, keepOffsets));
  expect(t.log.append(batch(1, { tag: 'after' })).baseOffset).toBe(keepOffsets);
  expect(readAllValues(t).at(-1)).toEqual({ offset: keepOffsets, value: 'after-0' });
  expect(t.log.recoveryPoint).toBe(keepOffsets);
}

describe('recovery after an unclean shutdown', () => {
  it('truncates a .log cut in the middle of its last batch', () => {
    const values = fill(40);
    const last = segmentFiles('.log').at(-1)!;
    const size = fs.statSync(last).size;
    const lastBatch = batches.at(-1)!;
    fs.truncateSync(last, size - Math.floor(lastBatch.bytes / 2));
    expectPrefixAfterCrash(values, lastBatch.base);
    expect(fs.statSync(last).size).toBe(size - lastBatch.bytes + batch(1, { tag: 'after' }).length);
  });

  it('truncates at a last batch whose CRC no longer matches', () => {
    const values = fill(40);
    const last = segmentFiles('.log').at(-1)!;
    const fd = fs.openSync(last, 'r+');
    const at = fs.fstatSync(fd).size - 10;
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] ^= 0x40;
    fs.writeSync(fd, b, 0, 1, at);
    fs.closeSync(fd);
    expectPrefixAfterCrash(values, batches.at(-1)!.base);
  });

  it('drops garbage after the last batch (zeros of a preallocated tail, random bytes)', () => {
    const values = fill(25);
    const last = segmentFiles('.log').at(-1)!;
    fs.appendFileSync(last, Buffer.alloc(5000));
    expectPrefixAfterCrash(values, batches.at(-1)!.last + 1);
    t.log.close();
    fs.appendFileSync(last, Buffer.from('not a batch, just noise after the end of the log'));
    expectPrefixAfterCrash([...values, { offset: values.length, value: 'after-0' }], values.length + 1);
  });

  it('truncates an older segment at its first bad batch and deletes every later segment', () => {
    const values = fill(60);
    const logs = segmentFiles('.log');
    expect(logs.length).toBeGreaterThan(2);
    const firstBase = Number(path.basename(logs[1]).slice(0, 20));
    const firstIdx = batches.findIndex((b) => b.base === firstBase);
    // Corrupt the third batch of the second segment.
    const target = batches[firstIdx + 2];
    const position = batches.slice(firstIdx, firstIdx + 2).reduce((n, b) => n + b.bytes, 0);
    const fd = fs.openSync(logs[1], 'r+');
    fs.writeSync(fd, Buffer.from([0xff, 0xff]), 0, 2, position + 100);
    fs.closeSync(fd);
    expectPrefixAfterCrash(values, target.base);
    expect(segmentFiles('.log').length).toBe(2);
  });

  it('trusts segments below the recovery point and scans only from its segment on', () => {
    const values = fill(60);
    const logs = segmentFiles('.log');
    const lastBase = Number(path.basename(logs.at(-1)!).slice(0, 20));
    fs.truncateSync(logs.at(-1)!, fs.statSync(logs.at(-1)!).size - 3);
    t.reopen({ cleanShutdown: false, recoveryPoint: lastBase + 1 });
    expect(t.log.logEndOffset).toBe(batches.at(-1)!.base);
    expect(readAllValues(t)).toEqual(values.slice(0, batches.at(-1)!.base));
  });
});

describe('recovery of indexes', () => {
  it('rebuilds a deleted index after a clean shutdown, entry for entry', () => {
    const values = fill(60, { valueBytes: 3000 });
    const indexes = segmentFiles('.index');
    const original = indexes.map((f) => fs.readFileSync(f));
    fs.rmSync(indexes[0]);
    fs.rmSync(segmentFiles('.timeindex').at(-1)!);
    t.reopen({ cleanShutdown: true });
    expect(readAllValues(t)).toEqual(values);
    t.log.close();
    expect(segmentFiles('.index').map((f) => fs.readFileSync(f))).toEqual(original);
    t.reopen({ cleanShutdown: true });
    expect(t.log.append(batch(1)).baseOffset).toBe(values.length);
  });

  it('never trusts an index whose entries point outside the log or go backwards', () => {
    const values = fill(60, { valueBytes: 3000 });
    const index = segmentFiles('.index')[0];
    const original = fs.readFileSync(index);
    const bad = Buffer.from(original);
    bad.writeInt32BE(0x7fffff00, bad.length - 4); // last position far past the end of the log
    fs.writeFileSync(index, bad);
    t.reopen({ cleanShutdown: true });
    expect(readAllValues(t)).toEqual(values);
    t.log.close();
    expect(fs.readFileSync(index).equals(original)).toBe(true);
    const shifted = Buffer.from(original);
    shifted.writeInt32BE(original.readInt32BE(original.length - 4) - 1, original.length - 4); // in bounds, but not a batch start
    fs.writeFileSync(index, shifted);
    t.reopen({ cleanShutdown: true });
    expect(readAllValues(t)).toEqual(values);
    t.log.close();
    expect(fs.readFileSync(index).equals(original)).toBe(true);
    t.reopen({ cleanShutdown: true });
  });

  it('checks the active segment tail even after a clean shutdown', () => {
    const values = fill(20);
    fs.appendFileSync(segmentFiles('.log').at(-1)!, Buffer.alloc(100, 7));
    expectPrefixAfterCrash(values, values.length, { cleanShutdown: true });
  });

  it('removes leftovers: indexes without a .log, transient files and a half-written producer snapshot', () => {
    fill(5);
    fs.writeFileSync(path.join(t.dir, '00000000000000099999.index'), Buffer.alloc(8));
    fs.writeFileSync(path.join(t.dir, '00000000000000000000.log.deleted'), 'x');
    fs.writeFileSync(path.join(t.dir, '00000000000000000003.snapshot.tmp'), 'x');
    t.reopen({ cleanShutdown: true });
    // The producer-state snapshot the close wrote at the log end (9) stays.
    expect(fs.readdirSync(t.dir).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex', '00000000000000000009.snapshot']);
  });

  it('refuses, with a storage error, a segment named past 2^53 (not ours, and two such names could collide)', () => {
    fill(5);
    fs.writeFileSync(path.join(t.dir, '99999999999999999999.log'), '');
    let error: unknown = null;
    try {
      t.reopen({ cleanShutdown: true });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR' });
    expect((error as Error).message).toMatch(/base offset 100000000000000000000/);
    fs.rmSync(path.join(t.dir, '99999999999999999999.log'));
    t.reopen({ cleanShutdown: true });
  });
});
