// Proves segment indexes load lazily as Kafka's do: a log of many segments holds index entries in memory only for its active segment and the INDEX_LOADED_SEGMENTS_MAX closed ones used last (after appends and rolls, after a clean reopen and after an unclean one), a lookup by offset or by time in an unloaded segment reads its index back and answers exactly as before, and an index file changed on disk meanwhile is a storage error, never a wrong position.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { INDEX_LOADED_SEGMENTS_MAX } from '../../src/limits.ts';
import { decodeRecords } from '../../src/record/index.ts';
import type { SegmentInfo } from '../../src/storage/log.ts';
import { batch, MiB, openLog, sliceBytes, tempDir, type TestLog } from './log-helpers.ts';

let root: string;
let t: TestLog | null;
beforeEach(() => {
  root = tempDir('lazy-index');
  t = null;
});
afterEach(() => {
  t?.log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const SEGMENTS = INDEX_LOADED_SEGMENTS_MAX + 8;
/** ~8 KiB batches of 4 records, so with a 1 KiB index interval every batch after a segment's first gets an entry. */
const RECORDS_PER_BATCH = 4;

/** A log of SEGMENTS 1 MiB segments; each record's timestamp is 1000 times its offset. */
function manySegments(): TestLog {
  const log = openLog(root, { segmentBytes: MiB, indexIntervalBytes: 1024 });
  while (log.log.segments().length < SEGMENTS) {
    const first = log.log.logEndOffset;
    const timestamps = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => (first + i) * 1000);
    log.log.append(batch(RECORDS_PER_BATCH, { valueBytes: 2048, tag: `o${first}`, timestamps }));
  }
  return log;
}

function loaded(segments: SegmentInfo[]): number[] {
  return segments.filter((s) => s.indexMemoryBytes > 0).map((s) => s.baseOffset);
}

/** The bound holds: the active segment and at most INDEX_LOADED_SEGMENTS_MAX closed ones. */
function expectBounded(log: TestLog): number[] {
  const segs = log.log.segments();
  expect(segs.length).toBe(SEGMENTS);
  const held = loaded(segs);
  expect(held).toContain(segs[segs.length - 1].baseOffset);
  expect(held.length).toBeLessThanOrEqual(INDEX_LOADED_SEGMENTS_MAX + 1);
  return held;
}

/** The value of the first record a read at `offset` returns at or after it. */
function valueAt(log: TestLog, offset: number): string {
  const s = log.log.read(offset, 1)!;
  const records = decodeRecords(sliceBytes(log.pageCache, s));
  s.release();
  const r = records.find((x) => x.offset >= offset)!;
  return `${r.offset}:${r.value!.toString('latin1', 0, r.value!.indexOf('x'))}`;
}

/** What the record at `offset` holds: batch(…, {tag}) values are `<tag>-<index in batch>`, padded with 'x'. */
function expectedValue(offset: number): string {
  const first = offset - (offset % RECORDS_PER_BATCH);
  return `${offset}:o${first}-${offset - first}`;
}

describe('lazy segment indexes', () => {
  it('hold entries only for the active segment and the closed ones used last, through rolls and reopens', () => {
    t = manySegments();
    const afterRolls = expectBounded(t);
    // The segments rolled last are the ones still held.
    const bases = t.log.segments().map((s) => s.baseOffset);
    expect(afterRolls).toEqual(bases.slice(-afterRolls.length));
    expect(loaded(t.log.segments())).not.toContain(0);

    t.log.close();
    t.reopen({ cleanShutdown: true });
    expectBounded(t);
    t.log.close();
    t.reopen({ cleanShutdown: false, recoveryPoint: 0 }); // every segment is recovered, its index rebuilt in memory, then closed
    expectBounded(t);
  });

  it('loads an old segment index on its first lookup, which lands on the batch holding the offset', () => {
    t = manySegments();
    const segs = t.log.segments();
    const probes: number[] = [];
    for (let i = 0; i < segs.length - 1; i++) {
      for (const k of [0, 0.3, 0.7, 0.99]) probes.push(Math.floor(segs[i].baseOffset + k * (segs[i + 1].baseOffset - segs[i].baseOffset)));
    }
    t.log.close();
    t.reopen({ cleanShutdown: true });
    expect(loaded(t.log.segments())).not.toContain(0);

    expect(valueAt(t, probes[1])).toBe(expectedValue(probes[1]));
    expect(expectBounded(t)).toContain(0); // the lookup loaded the oldest segment's index

    // Every closed segment in turn: each lookup may unload another, and each answers from its reloaded index.
    for (const offset of probes) expect(valueAt(t, offset), `offset ${offset}`).toBe(expectedValue(offset));
    expectBounded(t);
  });

  it('answers a time lookup in an unloaded segment from its index file', () => {
    t = manySegments();
    t.log.close();
    t.reopen({ cleanShutdown: true });
    const segs = t.log.segments();
    expect(segs[1].indexMemoryBytes).toBe(0);
    const target = segs[1].baseOffset + 37;
    expect(t.log.offsetForTimestamp(target * 1000 - 1)).toEqual({ offset: target, timestamp: target * 1000 });
    expect(loaded(t.log.segments())).toContain(segs[1].baseOffset);
    expectBounded(t);
  });

  it('refuses an index file that changed on disk while unloaded: a storage error, not a wrong position', () => {
    t = manySegments();
    const old = t.log.segments()[1];
    expect(old.indexMemoryBytes).toBe(0);
    const indexPath = old.path.replace(/\.log$/, '.index');
    const bytes = fs.readFileSync(indexPath);
    expect(bytes.length).toBeGreaterThan(16);
    bytes.writeInt32BE(bytes.readInt32BE(12) + 61, 12); // the second entry's position now points inside a batch
    fs.writeFileSync(indexPath, bytes);
    let error: unknown = null;
    try {
      t.log.read(old.baseOffset + 20, MiB);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CopylessError);
    expect((error as CopylessError).errorName).toBe('KAFKA_STORAGE_ERROR');
    expect((error as CopylessError).message).toMatch(/changed on disk/);
  });
});
