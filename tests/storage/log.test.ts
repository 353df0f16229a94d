// Proves the partition log: offsets assigned in place, rolls by size, time and full index, lookups by offset (a mid-batch read returns the whole batch) and by timestamp against a brute-force model, maxBytes bounds, retention that never deletes the active segment, out-of-range errors, all-or-nothing appends, group-commit flush and flush.messages.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { COMPRESSION_NAMES, decodeRecordBatch, decodeRecords, readBatchHeader } from '../../src/record/index.ts';
import { LOG_CONFIG_DEFAULTS, validateLogConfig } from '../../src/storage/log.ts';
import { batch, MiB, openLog, readAllValues, sliceBytes, tempDir, type TestLog } from './log-helpers.ts';
import { prng } from './page-cache-fixture.ts';

let root: string;
let t: TestLog | null;
beforeEach(() => {
  root = tempDir('log');
  t = null;
});
afterEach(() => {
  t?.log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function errorOf(fn: () => unknown): CopylessError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    return e as CopylessError;
  }
  throw new Error('expected a CopylessError');
}

describe('append and read', () => {
  it('assigns offsets by patching baseOffset in place and stores the bytes unchanged otherwise', () => {
    t = openLog(root);
    const first = batch(3, { tag: 'a' });
    const r1 = t.log.append(first, { leaderEpoch: 7 });
    expect(r1).toMatchObject({ baseOffset: 0, lastOffset: 2, records: 3, bytes: first.length, logStartOffset: 0 });
    const two = Buffer.concat([batch(2, { tag: 'b' }), batch(1, { tag: 'c' })]);
    expect(t.log.append(two)).toMatchObject({ baseOffset: 3, lastOffset: 5, records: 3 });
    expect(t.log.logEndOffset).toBe(6);
    const s = t.log.read(0, MiB)!;
    const bytes = sliceBytes(t.pageCache, s);
    s.release();
    expect(bytes.equals(Buffer.concat([first, two]))).toBe(true); // the payloads were patched in place
    expect(readBatchHeader(bytes, 0)).toMatchObject({ baseOffset: 0, partitionLeaderEpoch: 7 });
    expect(readBatchHeader(bytes, first.length)).toMatchObject({ baseOffset: 3, partitionLeaderEpoch: 0 });
    expect(readBatchHeader(bytes, first.length + two.readInt32BE(8) + 12)).toMatchObject({ baseOffset: 5 });
    expect(decodeRecords(bytes).map((r) => [r.offset, r.value?.toString()])).toEqual([
      [0, 'a-0'], [1, 'a-1'], [2, 'a-2'], [3, 'b-0'], [4, 'b-1'], [5, 'c-0'],
    ]);
    expect(fs.readdirSync(t.dir).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex']);
  });

  it('appends nothing when any batch of the payload is bad', () => {
    t = openLog(root);
    t.log.append(batch(2));
    const bad = batch(1);
    bad[bad.length - 1] ^= 1;
    const size = t.log.sizeBytes;
    expect(errorOf(() => t!.log.append(Buffer.concat([batch(1), bad]))).errorName).toBe('CORRUPT_MESSAGE');
    expect(errorOf(() => t!.log.append(Buffer.concat([batch(1), Buffer.from('junk')]))).errorName).toBe('CORRUPT_MESSAGE');
    expect(errorOf(() => t!.log.append(Buffer.alloc(0))).errorName).toBe('INVALID_RECORD');
    expect(t.log.logEndOffset).toBe(2);
    expect(t.log.sizeBytes).toBe(size);
  });

  it('refuses batches over messageBytesMax and payloads over segmentBytes, naming the limit', () => {
    t = openLog(root, { segmentBytes: MiB, messageBytesMax: 64 * 1024 });
    expect(errorOf(() => t!.log.append(batch(1, { valueBytes: 70 * 1024 }))).details).toMatchObject({ limit: 'messageBytesMax' });
    const many = Buffer.concat(Array.from({ length: 20 }, () => batch(1, { valueBytes: 60 * 1024 })));
    const e = errorOf(() => t!.log.append(many));
    expect(e).toMatchObject({ errorName: 'RECORD_LIST_TOO_LARGE', details: { limit: 'segmentBytes' } });
  });

  it('returns the whole batch for a read in the middle of it, for every offset', () => {
    t = openLog(root, { indexIntervalBytes: 200 });
    const bounds: [number, number][] = [];
    for (let i = 0; i < 60; i++) {
      const r = t.log.append(batch(1 + (i % 7), { valueBytes: 10 + ((i * 37) % 300) }));
      bounds.push([r.baseOffset, r.lastOffset]);
    }
    for (const [base, last] of bounds) {
      for (let offset = base; offset <= last; offset++) {
        const s = t.log.read(offset, 1)!;
        expect(s.firstOffset).toBe(base);
        const { header } = decodeRecordBatch(sliceBytes(t.pageCache, s));
        expect([header.baseOffset, header.lastOffset, s.length]).toEqual([base, last, header.totalBytes]);
        s.release();
      }
    }
  });

  it('bounds a read by maxBytes to whole batches, serves a larger first batch whole only with minOneBatch, and never crosses a segment', () => {
    t = openLog(root, { segmentBytes: MiB });
    for (let i = 0; i < 40; i++) t.log.append(batch(2, { valueBytes: 50_000 }));
    const segs = t.log.segments();
    expect(segs.length).toBeGreaterThan(1);
    const s = t.log.read(0, 10 * MiB)!;
    expect(s.position + s.length).toBe(segs[0].sizeBytes);
    expect(s.segmentBaseOffset).toBe(0);
    s.release();
    const batchBytes = readBatchHeader(sliceBytes(t.pageCache, t.log.read(0, 1)!)).totalBytes;
    const none = t.log.read(0, 1000, { minOneBatch: false })!;
    expect(none.length).toBe(0);
    none.release();
    const one = t.log.read(0, 1000)!;
    expect(one.length).toBe(batchBytes);
    one.release();
    const two = t.log.read(0, 3 * batchBytes - 1)!;
    expect(two.length).toBe(2 * batchBytes);
    two.release();
    const next = t.log.read(segs[1].baseOffset, 10 * MiB)!;
    expect([next.segmentBaseOffset, next.position]).toEqual([segs[1].baseOffset, 0]);
    next.release();
  });

  it('ends every read on a batch boundary: the longest run of whole batches within maxBytes (model test)', () => {
    t = openLog(root, { indexIntervalBytes: 1000 });
    const rnd = prng(7);
    const ends: number[] = []; // end position of every batch, in order
    const firstOffsets: number[] = [];
    for (let i = 0; i < 300; i++) {
      firstOffsets.push(t.log.logEndOffset);
      t.log.append(batch(1 + Math.floor(rnd() * 4), { valueBytes: 10 + Math.floor(rnd() * 3000) }));
      ends.push(t.log.sizeBytes);
    }
    for (let k = 0; k < 400; k++) {
      const b = Math.floor(rnd() * ends.length);
      const start = b === 0 ? 0 : ends[b - 1];
      const maxBytes = Math.floor(rnd() * 20_000);
      const minOneBatch = rnd() < 0.5;
      const slice = t.log.read(firstOffsets[b], maxBytes, { minOneBatch })!;
      let expected = 0;
      for (let e = b; e < ends.length && ends[e] - start <= maxBytes; e++) expected = ends[e] - start;
      if (expected === 0 && minOneBatch) expected = ends[b] - start;
      expect([slice.position, slice.length], `batch ${b}, maxBytes ${maxBytes}, minOneBatch ${minOneBatch}`).toEqual([start, expected]);
      slice.release();
    }
  });

  it('answers null at the log end and OFFSET_OUT_OF_RANGE beyond it', () => {
    t = openLog(root);
    expect(t.log.read(0, 100)).toBeNull();
    t.log.append(batch(2));
    expect(t.log.read(2, 100)).toBeNull();
    const e = errorOf(() => t!.log.read(3, 100));
    expect(e).toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE', details: { topic: 't', partition: 0, offset: 3 } });
    expect(errorOf(() => t!.log.read(-1, 100)).errorName).toBe('OFFSET_OUT_OF_RANGE');
    expect(errorOf(() => t!.log.read(0, -5)).errorName).toBe('INVALID_FETCH_SIZE');
  });

  it('serves correct lookups from a page cache too small to hold the log', () => {
    const clock = { now: 1_000_000 };
    t = openLog(root, { indexIntervalBytes: 1000 }, clock);
    t.log.close();
    // Reopen over the smallest cache (64 pages): frames are recycled, so headers straddle non-adjacent frames.
    t.reopen({ cachePages: 64 });
    const expected: { offset: number; value: string }[] = [];
    for (let i = 0; i < 400; i++) {
      const r = t.log.append(batch(3, { tag: `b${i}`, valueBytes: 30 + (i % 13) * 97 }));
      for (let j = 0; j < 3; j++) expected.push({ offset: r.baseOffset + j, value: `b${i}-${j}` });
    }
    expect(readAllValues(t, 5000)).toEqual(expected);
    expect(t.pageCache.stats().evictionsClean + t.pageCache.stats().evictionsDirty).toBeGreaterThan(0);
  });

  it('appends a batch larger than the whole page cache', () => {
    t = openLog(root, { messageBytesMax: 2 * MiB });
    t.log.close();
    t.reopen({ cachePages: 64 });
    const big = batch(1, { valueBytes: MiB, tag: 'big' });
    expect(big.length).toBeGreaterThan(64 * 4096);
    t.log.append(big);
    t.log.append(batch(1, { tag: 'small' }));
    expect(readAllValues(t, 100).map((r) => r.value)).toEqual(['big-0', 'small-0']);
  });
});

describe('rolling', () => {
  it('rolls by size: no segment passes segmentBytes and files are named by base offset', () => {
    t = openLog(root, { segmentBytes: MiB });
    for (let i = 0; i < 50; i++) t.log.append(batch(1, { valueBytes: 100_000 }));
    const segs = t.log.segments();
    expect(segs.length).toBeGreaterThan(4);
    for (const s of segs) expect(s.sizeBytes).toBeLessThanOrEqual(MiB);
    expect(segs.filter((s) => s.active).length).toBe(1);
    expect(segs[1].path.endsWith(`${String(segs[1].baseOffset).padStart(20, '0')}.log`)).toBe(true);
    expect(readAllValues(t).length).toBe(50);
  });

  it('rolls by time once the active segment is segmentMs old', () => {
    const clock = { now: 5_000_000 };
    t = openLog(root, { segmentMs: 1000 }, clock);
    t.log.append(batch(1));
    clock.now += 999;
    t.log.append(batch(1));
    expect(t.log.segments().length).toBe(1);
    clock.now += 1;
    t.log.append(batch(1));
    expect(t.log.segments().map((s) => s.baseOffset)).toEqual([0, 2]);
  });

  it('rolls when an index is full', () => {
    t = openLog(root, { indexIntervalBytes: 0, indexBytesMax: 24 });
    for (let i = 0; i < 10; i++) t.log.append(batch(1));
    expect(t.log.segments().length).toBeGreaterThan(2);
    expect(readAllValues(t).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('lookup by timestamp', () => {
  it('agrees with a brute-force scan for every timestamp, inside batches of every codec and batches sent with maxTimestamp -1', () => {
    t = openLog(root, { indexIntervalBytes: 300, segmentBytes: MiB });
    let seed = 3;
    const rand = (n: number): number => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    const batches: { records: { offset: number; ts: number }[]; maxTs: number }[] = [];
    for (let i = 0; i < 300; i++) {
      const n = 1 + rand(4);
      const timestamps = Array.from({ length: n }, () => 10_000 + i * 10 + rand(60) - 30);
      const big = rand(2) === 0; // big values stay uncompressed, so the log still spans several segments
      const compression = big ? 'none' : COMPRESSION_NAMES[i % COMPRESSION_NAMES.length];
      const r = t.log.append(batch(n, { timestamps, valueBytes: big ? 5000 : 20, compression, sentMaxTimestamp: rand(3) === 0 ? -1 : undefined }));
      batches.push({ records: timestamps.map((ts, j) => ({ offset: r.baseOffset + j, ts })), maxTs: Math.max(...timestamps) });
    }
    expect(t.log.segments().length).toBeGreaterThan(1);
    for (let ts = 9_900; ts <= 13_100; ts += 7) {
      const b = batches.find((x) => x.maxTs >= ts);
      const expected = b ? b.records.find((r) => r.ts >= ts)! : null;
      expect(t.log.offsetForTimestamp(ts), `ts ${ts}`).toEqual(expected ? { offset: expected.offset, timestamp: expected.ts } : null);
    }
  });

  it('stores a batch sent with maxTimestamp -1 with its records\' largest time, record bytes unchanged', () => {
    t = openLog(root);
    const sent = batch(3, { timestamps: [5000, 9000, 7000], compression: 'snappy', sentMaxTimestamp: -1 });
    const records = Buffer.from(sent.subarray(61));
    t.log.append(sent);
    const stored = sliceBytes(t.pageCache, t.log.read(0, MiB)!);
    expect(readBatchHeader(stored)).toMatchObject({ maxTimestamp: 9000, baseOffset: 0 });
    expect(stored.subarray(61).equals(records)).toBe(true);
    expect(decodeRecordBatch(stored).records.map((r) => r.timestamp)).toEqual([5000, 9000, 7000]);
    t.reopen({ cleanShutdown: false });
    expect(t.log.offsetForTimestamp(8000)).toEqual({ offset: 1, timestamp: 9000 });
  });
});

describe('retention', () => {
  it('deletes old segments by bytes and by age, never the active one, and reads below the start fail', () => {
    const clock = { now: 10_000_000 };
    t = openLog(root, { segmentBytes: MiB, retentionBytes: 2 * MiB, retentionMs: -1 }, clock);
    for (let i = 0; i < 60; i++) t.log.append(batch(1, { valueBytes: 100_000, timestamps: [clock.now] }));
    const before = t.log.segments().length;
    const held = t.log.read(0, 1000)!;
    const deleted = t.log.applyRetention();
    expect(deleted).toBeGreaterThan(0);
    expect(t.log.segments().length).toBe(before - deleted);
    expect(t.log.sizeBytes).toBeLessThanOrEqual(2 * MiB + MiB);
    expect(t.log.logStartOffset).toBe(t.log.segments()[0].baseOffset);
    expect(fs.existsSync(held.path)).toBe(false);
    // A slice taken before the deletion still reads: the fd and cached pages stay until release.
    expect(decodeRecords(sliceBytes(t.pageCache, held))[0].offset).toBe(0);
    held.release();
    expect(errorOf(() => t!.log.read(0, 100))).toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE', details: { offset: 0 } });

    t.log.config = validateLogConfig({ ...t.log.config, retentionBytes: -1, retentionMs: 1000 });
    clock.now += 1001;
    t.log.applyRetention();
    expect(t.log.segments().length).toBe(1);
    expect(t.log.segments()[0].active).toBe(true);
    t.log.config = validateLogConfig({ ...t.log.config, retentionBytes: 0, retentionMs: 0 });
    expect(t.log.applyRetention()).toBe(0);
    expect(t.log.logEndOffset).toBe(60);
    expect(t.log.append(batch(1)).baseOffset).toBe(60);
  });
});

describe('DeleteRecords', () => {
  it('moves the log start inside a segment, deletes closed segments wholly below it, and never moves it back', () => {
    t = openLog(root, { segmentBytes: MiB, retentionMs: -1 });
    for (let i = 0; i < 40; i++) t.log.append(batch(2, { valueBytes: 60_000, timestamps: [i * 10, i * 10 + 5] }));
    const segments = t.log.segments();
    expect(segments.length).toBeGreaterThan(2);
    const inside = segments[2].baseOffset + 1;
    expect(t.log.deleteRecordsBefore(inside)).toBe(inside);
    expect(t.log.segments()[0].baseOffset).toBe(segments[2].baseOffset);
    expect(t.log.logStartOffset).toBe(inside);
    expect(errorOf(() => t!.log.read(inside - 1, MiB)).errorName).toBe('OFFSET_OUT_OF_RANGE');
    expect(t.log.read(inside, MiB)!.firstOffset).toBe(inside - 1); // the whole batch holding it
    expect(t.log.offsetForTimestamp(0)).toMatchObject({ offset: inside });
    expect(t.log.deleteRecordsBefore(3)).toBe(inside);
    expect(errorOf(() => t!.log.deleteRecordsBefore(t!.log.logEndOffset + 1)).errorName).toBe('OFFSET_OUT_OF_RANGE');
    expect(t.log.deleteRecordsBefore(-1)).toBe(t.log.logEndOffset);
    expect(t.log.segments()).toHaveLength(1); // the active segment stays
  });
});

describe('flush', () => {
  it('shares one fsync between concurrent callers (group commit) and advances the recovery point', async () => {
    t = openLog(root);
    t.log.append(batch(5));
    const fsyncs = t.pageCache.stats().fsyncs;
    await Promise.all([t.log.flush(), t.log.flush(), t.log.flush()]);
    expect(t.pageCache.stats().fsyncs - fsyncs).toBe(1);
    expect(t.log.recoveryPoint).toBe(5);
    const first = t.log.flush(); // nothing new: resolves at once
    t.log.append(batch(1));
    const waiting = [t.log.flush(), t.log.flush()];
    t.log.append(batch(1));
    const later = t.log.flush();
    await Promise.all([first, ...waiting, later]);
    expect(t.pageCache.stats().fsyncs - fsyncs).toBeLessThanOrEqual(3);
    expect(t.log.recoveryPoint).toBe(7);
    expect(t.pageCache.stats().dirtyPages).toBe(0);
  });

  it('starts a flush off the event loop every flushIntervalMessages records, never a synchronous fsync', async () => {
    t = openLog(root, { flushIntervalMessages: 3 });
    const fdatasyncSync = vi.spyOn(fs, 'fdatasyncSync');
    const fdatasync = vi.spyOn(fs, 'fdatasync');
    t.log.append(batch(2));
    expect(fdatasync).not.toHaveBeenCalled();
    t.log.append(batch(1));
    expect(t.log.recoveryPoint).toBe(0); // the append returned before the fsync
    expect(fdatasync).toHaveBeenCalledTimes(1);
    await t.log.flush(); // shares the flush the append started
    expect(fdatasyncSync).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(t.log.recoveryPoint).toBe(3);
    expect(t.pageCache.stats()).toMatchObject({ fsyncs: 1, fsyncBytes: t.log.sizeBytes });
    expect(t.pageCache.fileResidency(t.log.segments()[0].fileId).dirtyPages).toBe(0);
  });

  it('flushes by age through flushIfDue', async () => {
    const clock = { now: 1_000 };
    t = openLog(root, { flushIntervalMs: 500 }, clock);
    t.log.append(batch(1));
    expect(t.log.flushIfDue()).toBeNull();
    clock.now += 500;
    await t.log.flushIfDue();
    expect(t.log.recoveryPoint).toBe(1);
  });
});

describe('config', () => {
  it('fills defaults and refuses out-of-range or unknown fields by name', () => {
    expect(validateLogConfig({})).toEqual(LOG_CONFIG_DEFAULTS);
    for (const [field, value] of [['segmentBytes', 1000], ['retentionMs', -2], ['flushIntervalMessages', 0], ['messageBytesMax', 10 ** 9], ['indexIntervalBytes', 1.5]] as const) {
      const e = errorOf(() => validateLogConfig({ [field]: value }));
      expect(e.errorName).toBe('INVALID_CONFIG');
      expect(e.message).toContain(field);
    }
    expect(errorOf(() => validateLogConfig({ bogus: 1 } as never)).message).toMatch(/unknown log config bogus/);
    expect(validateLogConfig({ flushIntervalMs: Infinity, retentionBytes: -1 }).flushIntervalMs).toBe(Infinity);
  });
});

describe('close and reopen', () => {
  it('keeps a full time index\'s final entry across a restart when a flush wrote the entry it replaced', async () => {
    t = openLog(root, { indexIntervalBytes: 0, indexBytesMax: 24 });
    // Five batches in one payload: the time index (2 entries) fills at the third, the offset index (3) at the fourth.
    t.log.append(Buffer.concat([100, 200, 300, 400, 500].map((ts) => batch(1, { timestamps: [ts] }))));
    await t.log.flush(); // writes both time entries, (200, 1) and (300, 2)
    t.log.append(batch(1, { timestamps: [600] })); // rolls: the final entry (500, 4) replaces (300, 2)
    expect(t.log.segments().map((s) => s.largestTimestamp)).toEqual([500, 600]);
    t.log.close();
    t.reopen({ cleanShutdown: true });
    expect(t.log.segments().map((s) => s.largestTimestamp)).toEqual([500, 600]);
  });

  it('keeps everything across a clean restart and continues at the right offset', () => {
    const clock = { now: 1_000_000 };
    t = openLog(root, { segmentBytes: MiB }, clock);
    for (let i = 0; i < 30; i++) t.log.append(batch(2, { tag: `x${i}`, valueBytes: 60_000 }));
    const before = readAllValues(t);
    const segs = t.log.segments().map((s) => [s.baseOffset, s.sizeBytes, s.largestTimestamp]);
    t.log.close();
    t.reopen({ cleanShutdown: true });
    expect(t.log.segments().map((s) => [s.baseOffset, s.sizeBytes, s.largestTimestamp])).toEqual(segs);
    expect(readAllValues(t)).toEqual(before);
    expect(t.log.append(batch(1)).baseOffset).toBe(60);
    expect(t.log.recoveryPoint).toBe(60);
  });
});
