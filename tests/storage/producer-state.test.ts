// Proves idempotent-producer checks on a partition log: a resent batch among the last five is a duplicate answered with its original offsets and appends nothing, a gap or a reused old sequence is OUT_OF_ORDER_SEQUENCE_NUMBER, epochs fence, sequences wrap at INT32_MAX, random sends agree with a plain model, and the state survives a clean close (snapshot), a crash (snapshot from the last roll plus a replay of the log), a damaged snapshot, a truncated tail and expiry.
import fs from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';
import { incrementSequence, PRODUCER_BATCHES_RETAINED } from '../../src/storage/producer-state.ts';
import { MiB, openLog, readAllValues, tempDir, type TestLog } from './log-helpers.ts';

let root: string;
let t: TestLog;
beforeEach(() => {
  root = tempDir('producers');
});
afterEach(() => {
  t?.log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** An idempotent producer's batch of `count` records. */
function idem(producerId: number, producerEpoch: number, baseSequence: number, count = 1, tag = `p${producerId}e${producerEpoch}s${baseSequence}`): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ value: `${tag}-${i}`, timestamp: 1_000_000 + i }));
  return encodeRecordBatch(records, { producerId, producerEpoch, baseSequence });
}

function errorName(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    return (e as CopylessError).errorName;
  }
  return 'NONE';
}

function snapshots(): string[] {
  return fs.readdirSync(t.dir).filter((n) => n.endsWith('.snapshot')).sort();
}

describe('sequence checks', () => {
  it('answers a resent batch among the last five with its original offsets and appends nothing', () => {
    t = openLog(root);
    const firsts = [];
    for (let i = 0; i < 7; i++) firsts.push(t.log.append(idem(7, 0, i * 2, 2)));
    const end = t.log.logEndOffset;
    for (let i = 7 - PRODUCER_BATCHES_RETAINED; i < 7; i++) {
      const again = t.log.append(idem(7, 0, i * 2, 2));
      expect(again).toMatchObject({ duplicate: true, baseOffset: firsts[i].baseOffset, lastOffset: firsts[i].lastOffset, records: 0 });
    }
    expect(t.log.logEndOffset).toBe(end);
    // Older than the five retained: Kafka can no longer tell, and says out of order.
    expect(errorName(() => t.log.append(idem(7, 0, 2, 2)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(readAllValues(t)).toHaveLength(14);
  });

  it('refuses a gap, a repeat of a different range, and an older epoch; a newer epoch restarts at 0', () => {
    t = openLog(root);
    t.log.append(idem(1, 0, 0, 3));
    expect(errorName(() => t.log.append(idem(1, 0, 4)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(errorName(() => t.log.append(idem(1, 0, 1, 2)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(t.log.append(idem(1, 0, 3)).duplicate).toBeUndefined();
    expect(errorName(() => t.log.append(idem(1, 1, 5)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(t.log.append(idem(1, 1, 0)).baseOffset).toBe(4);
    expect(errorName(() => t.log.append(idem(1, 0, 4)))).toBe('INVALID_PRODUCER_EPOCH');
    // A producer id the partition has not seen may start anywhere (Kafka since KIP-360).
    expect(t.log.append(idem(2, 0, 500)).baseOffset).toBe(5);
    expect(t.log.logEndOffset).toBe(6);
  });

  it('wraps sequences from INT32_MAX to 0', () => {
    t = openLog(root);
    expect(incrementSequence(2 ** 31 - 2, 3)).toBe(1);
    t.log.append(idem(3, 0, 2 ** 31 - 2, 2));
    expect(t.log.append(idem(3, 0, 0, 2)).baseOffset).toBe(2);
    expect(t.log.append(idem(3, 0, 2 ** 31 - 2, 2)).duplicate).toBe(true);
  });

  it('refuses two batches of one producer in one payload, and transactional batches', () => {
    t = openLog(root);
    expect(errorName(() => t.log.append(Buffer.concat([idem(4, 0, 0), idem(4, 0, 1)])))).toBe('INVALID_RECORD');
    const txn = idem(4, 0, 0);
    txn.writeInt16BE(0x10, 21);
    txn.writeUInt32BE(crc32c(txn.subarray(21)) >>> 0, 17);
    expect(errorName(() => t.log.append(txn))).toBe('INVALID_TXN_STATE');
    expect(t.log.logEndOffset).toBe(0);
  });

  it('agrees with a plain model over random sends, retries, gaps and epoch bumps', () => {
    t = openLog(root, { segmentBytes: MiB });
    let seed = 11;
    const rand = (n: number): number => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    // model: per producer, epoch and the appended batches (seq range -> offsets)
    const model = new Map<number, { epoch: number; batches: { first: number; last: number; base: number; end: number }[] }>();
    for (let i = 0; i < 2000; i++) {
      const pid = rand(4);
      const m = model.get(pid);
      const next = m?.batches.at(-1) ? m.batches.at(-1)!.last + 1 : 0;
      const kind = rand(10);
      const count = 1 + rand(3);
      let epoch = m?.epoch ?? 0;
      let seq = next;
      if (kind === 0 && m) {
        epoch = m.epoch + 1; // bump
        seq = 0;
      } else if (kind === 1 && m && m.batches.length > 0) {
        // retry one of the retained
        const b = m.batches[m.batches.length - 1 - rand(Math.min(PRODUCER_BATCHES_RETAINED, m.batches.length))];
        const r = t.log.append(idem(pid, epoch, b.first, b.last - b.first + 1));
        expect(r).toMatchObject({ duplicate: true, baseOffset: b.base, lastOffset: b.end });
        continue;
      } else if (kind === 2 && m) seq = next + 1 + rand(3); // gap
      else if (kind === 3 && m && m.epoch > 0) epoch = m.epoch - 1; // fenced
      const before = t.log.logEndOffset;
      const name = errorName(() => t.log.append(idem(pid, epoch, seq, count)));
      const expected = kind === 2 && m ? 'OUT_OF_ORDER_SEQUENCE_NUMBER' : kind === 3 && m && m.epoch > 0 ? 'INVALID_PRODUCER_EPOCH' : 'NONE';
      expect(name, `send ${i}: pid ${pid} epoch ${epoch} seq ${seq}`).toBe(expected);
      if (name !== 'NONE') continue;
      const entry = m && epoch === m.epoch ? m : { epoch, batches: [] };
      entry.batches.push({ first: seq, last: seq + count - 1, base: before, end: before + count - 1 });
      if (entry.batches.length > PRODUCER_BATCHES_RETAINED) entry.batches.shift();
      model.set(pid, entry);
    }
    expect(t.log.producers.size).toBe(model.size);
  });
});

describe('producer state across restarts', () => {
  function produceAcross(n: number): { base: number; last: number }[] {
    const out = [];
    for (let i = 0; i < n; i++) {
      const r = t.log.append(idem(9, 0, i * 3, 3, `big${i}`.padEnd(60_000, 'x')));
      out.push({ base: r.baseOffset, last: r.lastOffset });
    }
    return out;
  }

  it('keeps every retained batch through a clean close (snapshot at the log end)', () => {
    t = openLog(root);
    const sent = [0, 1, 2, 3, 4, 5].map((i) => t.log.append(idem(5, 2, i)));
    t.log.close();
    expect(snapshots()).toEqual(['00000000000000000006.snapshot']);
    t.reopen({ cleanShutdown: true });
    for (let i = 1; i < 6; i++) expect(t.log.append(idem(5, 2, i))).toMatchObject({ duplicate: true, baseOffset: sent[i].baseOffset });
    expect(t.log.append(idem(5, 2, 6)).baseOffset).toBe(6);
  });

  it('rebuilds after a crash from the snapshot of the last roll plus a replay of the log after it', () => {
    t = openLog(root, { segmentBytes: MiB });
    const sent = produceAcross(40);
    expect(t.log.segments().length).toBeGreaterThan(1);
    expect(snapshots().length).toBeGreaterThan(0);
    const lastSnapshot = Number(snapshots().at(-1)!.slice(0, 20));
    expect(lastSnapshot).toBeLessThan(t.log.logEndOffset); // batches after it exist only in the log
    t.reopen({ cleanShutdown: false }); // no close: a crash
    for (const i of [35, 39]) expect(t.log.append(idem(9, 0, i * 3, 3, `big${i}`.padEnd(60_000, 'x')))).toMatchObject({ duplicate: true, baseOffset: sent[i].base });
    expect(errorName(() => t.log.append(idem(9, 0, 200)))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(t.log.append(idem(9, 0, 120)).baseOffset).toBe(sent[39].last + 1);
  });

  it('replays the whole log when every snapshot is damaged or gone', () => {
    t = openLog(root, { segmentBytes: MiB });
    const sent = produceAcross(30);
    for (const name of snapshots()) fs.writeFileSync(path.join(t.dir, name), Buffer.from('torn'));
    t.reopen({ cleanShutdown: false });
    expect(snapshots()).toEqual([]);
    expect(t.log.append(idem(9, 0, 29 * 3, 3, 'big29'.padEnd(60_000, 'x')))).toMatchObject({ duplicate: true, baseOffset: sent[29].base });
  });

  it('stops a replay at a header whose size cannot be right, instead of failing the open or looping', () => {
    t = openLog(root, { segmentBytes: MiB });
    produceAcross(30);
    t.log.close();
    for (const name of snapshots()) fs.rmSync(path.join(t.dir, name));
    // The second batch of the first (closed, trusted) segment: a clean start does not re-check it.
    const first = path.join(t.dir, '00000000000000000000.log');
    const fd = fs.openSync(first, 'r+');
    const length = Buffer.alloc(4);
    fs.readSync(fd, length, 0, 4, 8);
    const second = length.readInt32BE(0) + 12;
    fs.writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0xf4]), 0, 4, second + 8); // batchLength -12: a size of 0
    fs.closeSync(fd);
    t.reopen({ cleanShutdown: true });
    expect(t.log.logEndOffset).toBe(90);
  });

  it('forgets batches a recovery truncated away, and the snapshots above the new end', () => {
    t = openLog(root);
    t.log.append(idem(6, 0, 0));
    t.log.append(idem(6, 0, 1));
    t.log.close();
    t.reopen({ cleanShutdown: true });
    const log = path.join(t.dir, '00000000000000000000.log');
    const sizeAfterOne = idem(6, 0, 0).length;
    t.log.close();
    fs.truncateSync(log, sizeAfterOne + 10); // the second batch torn
    t.reopen({ cleanShutdown: false, recoveryPoint: 0 });
    expect(t.log.logEndOffset).toBe(1);
    expect(snapshots().every((n) => Number(n.slice(0, 20)) <= 1)).toBe(true);
    // Sequence 1 is new again: appended, not a duplicate of the lost batch.
    expect(t.log.append(idem(6, 0, 1))).toMatchObject({ baseOffset: 1 });
  });

  it('expires a producer whose last batch is older than producer.id.expiration.ms, on retention', () => {
    const clock = { now: 1_000_000 };
    t = openLog(root, {}, clock);
    t.log.append(idem(8, 0, 0));
    clock.now += 24 * 60 * 60 * 1000;
    t.log.applyRetention();
    expect(t.log.producers.entry(8)).toBeUndefined();
    expect(t.log.append(idem(8, 0, 5)).duplicate).toBeUndefined(); // unknown again: any sequence
  });
});
