// Proves the producer's batching rules with a fake transport: records of one partition share a batch until batchBytes or linger closes it, offsets map back to each send() call, in-flight bytes never exceed maxInFlightBytes (send waits instead), a batch buffer is reused only after its batch was acknowledged, and records are stored in call order whatever a call waits for.
import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { RecordAccumulator, estimateRecordBytes } from '../../client/record-accumulator.ts';
import { decodeRecordBatch } from '../../src/record/index.ts';
import { prng } from '../storage/page-cache-fixture.ts';
import { FakeTransport } from './fake-transport.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('RecordAccumulator', () => {
  it('puts concurrent sends to one partition in one batch and maps offsets back to each call', async () => {
    const t = new FakeTransport();
    const acc = new RecordAccumulator(t, { lingerMs: 10 });
    const calls = [0, 1, 2].map((i) => acc.send({ topic: 'a', messages: [{ value: `v${i}`, partition: 1 }, { value: `w${i}`, partition: 1 }] }));
    const results = await Promise.all(calls);
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0].batches).toHaveLength(1);
    expect(decodeRecordBatch(t.requests[0].batches[0].bytes).records.map((r) => r.value?.toString())).toEqual(['v0', 'w0', 'v1', 'w1', 'v2', 'w2']);
    expect(results).toEqual([
      [{ topic: 'a', partition: 1, baseOffset: 0, count: 2 }],
      [{ topic: 'a', partition: 1, baseOffset: 2, count: 2 }],
      [{ topic: 'a', partition: 1, baseOffset: 4, count: 2 }],
    ]);
  });

  it('groups a send by partition (keys hash with murmur2) and reports each partition', async () => {
    const t = new FakeTransport(10);
    const acc = new RecordAccumulator(t, { lingerMs: 0 });
    const res = await acc.send({ topic: 'k', messages: [{ key: 'foobar', value: '1' }, { key: 'foobar', value: '2' }, { value: '3', partition: 0 }] });
    // toPositive(murmur2('foobar')) % 10 === 6 (Kafka's UtilsTest vector)
    expect(res.sort((a, b) => a.partition - b.partition)).toEqual([
      { topic: 'k', partition: 0, baseOffset: 0, count: 1 },
      { topic: 'k', partition: 6, baseOffset: 0, count: 2 },
    ]);
    expect(t.requests).toHaveLength(1);
  });

  it('closes a batch when it reaches batchBytes, without waiting for linger', async () => {
    const t = new FakeTransport();
    const value = Buffer.alloc(100, 1);
    const recordBytes = estimateRecordBytes({ value }, null);
    const acc = new RecordAccumulator(t, { lingerMs: 3_600_000, batchBytes: 1000 });
    const done = acc.send({ topic: 'a', messages: Array.from({ length: 50 }, () => ({ value, partition: 0 })) });
    await tick();
    const sent = t.requests.flatMap((r) => r.batches);
    expect(sent.length).toBeGreaterThanOrEqual(5);
    for (const b of sent) expect(61 + b.recordCount * recordBytes).toBeLessThanOrEqual(1000);
    expect(t.recordCount).toBeLessThan(50); // the tail batch is still lingering
    await acc.flush();
    const res = await done;
    expect(res).toEqual([{ topic: 'a', partition: 0, baseOffset: 0, count: 50 }]);
    expect(t.recordCount).toBe(50);
  });

  it('sends a lingering batch once lingerMs passes', async () => {
    const t = new FakeTransport();
    const acc = new RecordAccumulator(t, { lingerMs: 5 });
    const res = await acc.send({ topic: 'a', messages: [{ value: 'x', partition: 2 }] });
    expect(res).toEqual([{ topic: 'a', partition: 2, baseOffset: 0, count: 1 }]);
  });

  it('keeps in-flight bytes under maxInFlightBytes: send waits until acknowledgements free room', async () => {
    const t = new FakeTransport();
    t.hold = true;
    const value = Buffer.alloc(200);
    const recordBytes = estimateRecordBytes({ value }, null);
    const maxInFlightBytes = recordBytes * 5;
    const acc = new RecordAccumulator(t, { lingerMs: 1, batchBytes: recordBytes * 2 + 61, maxInFlightBytes });
    let settled = false;
    const done = acc.send({ topic: 'a', messages: Array.from({ length: 40 }, () => ({ value, partition: 0 })) }).then((r) => {
      settled = true;
      return r;
    });
    await tick();
    // Only what fits in the budget was accepted; the rest of the call is waiting.
    expect(t.recordCount * recordBytes).toBeLessThanOrEqual(maxInFlightBytes);
    expect(settled).toBe(false);
    let peak = 0;
    for (let round = 0; round < 2000 && !settled; round++) {
      peak = Math.max(peak, acc.bufferedBytes);
      expect(acc.bufferedBytes).toBeLessThanOrEqual(maxInFlightBytes);
      expect(t.heldRecords * recordBytes).toBeLessThanOrEqual(maxInFlightBytes);
      t.releaseAll();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await done).toEqual([{ topic: 'a', partition: 0, baseOffset: 0, count: 40 }]);
    expect(peak).toBeGreaterThan(0);
    expect(acc.bufferedBytes).toBe(0);
  });

  it('does not resolve send before the transport acknowledges', async () => {
    const t = new FakeTransport();
    t.hold = true;
    const acc = new RecordAccumulator(t, { lingerMs: 0 });
    let settled = false;
    const done = acc.send({ topic: 'a', messages: [{ value: 'x', partition: 0 }] }).then(() => (settled = true));
    await tick();
    expect(t.requests).toHaveLength(1);
    expect(settled).toBe(false);
    t.releaseAll();
    await done;
    expect(settled).toBe(true);
  });

  it('reports -1 offsets with acks=0', async () => {
    const t = new FakeTransport();
    const acc = new RecordAccumulator(t, { acks: 0, lingerMs: 0 });
    expect(await acc.send({ topic: 'a', messages: [{ value: 'x', partition: 0 }] })).toEqual([{ topic: 'a', partition: 0, baseOffset: -1, count: 1 }]);
    expect(t.requests[0].acks).toBe(0);
  });

  it('rejects send with the batch error from the transport', async () => {
    const t = new FakeTransport();
    t.failWith = new CopylessError('MESSAGE_TOO_LARGE', 'too big');
    const acc = new RecordAccumulator(t, { lingerMs: 0 });
    await expect(acc.send({ topic: 'a', messages: [{ value: 'x', partition: 0 }] })).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE' });
    expect(acc.bufferedBytes).toBe(0);
  });

  it('refuses client mistakes with typed errors naming the field', async () => {
    const t = new FakeTransport(3);
    expect(() => new RecordAccumulator(t, { acks: 2 as 1 })).toThrow(expect.objectContaining({ errorName: 'INVALID_REQUIRED_ACKS' }));
    expect(() => new RecordAccumulator(t, { lingerMs: -1 })).toThrow(/lingerMs/);
    const acc = new RecordAccumulator(t, { maxInFlightBytes: 1000, lingerMs: 0 });
    await expect(acc.send({ topic: 'a', messages: [{ value: 'x', partition: 3 }] })).rejects.toMatchObject({
      errorName: 'UNKNOWN_TOPIC_OR_PARTITION',
      details: { field: 'messages[0].partition' },
    });
    await expect(acc.send({ topic: 'a', messages: [{ value: Buffer.alloc(2000) }] })).rejects.toMatchObject({
      errorName: 'LIMIT_EXCEEDED',
      details: { limit: 'maxInFlightBytes' },
    });
    await expect(acc.send({ topic: '', messages: [] })).rejects.toMatchObject({ errorName: 'INVALID_TOPIC_EXCEPTION' });
    await expect(acc.send({ topic: 'a', messages: [{ value: 5 as unknown as string }] })).rejects.toMatchObject({ errorName: 'INVALID_RECORD' });
  });

  it('reuses an acknowledged batch buffer for a later batch, but never a failed one', async () => {
    const t = new FakeTransport();
    const acc = new RecordAccumulator(t, { lingerMs: 0, batchBytes: 2048 });
    const records = (tag: string) => Array.from({ length: 12 }, (_, i) => ({ value: Buffer.alloc(100, i), key: `${tag}${i}`, partition: 0 }));
    const batchBytes = (i: number) => t.requests[i].batches[0].bytes;
    const sameMemory = (x: Buffer, y: Buffer) => x.buffer === y.buffer && x.byteOffset === y.byteOffset;
    await acc.send({ topic: 'a', messages: records('a') });
    await acc.send({ topic: 'a', messages: records('b') });
    expect(sameMemory(batchBytes(1), batchBytes(0))).toBe(true);
    expect(decodeRecordBatch(batchBytes(1)).records.map((r) => r.key?.toString())).toEqual(records('b').map((m) => m.key));

    t.failWith = new CopylessError('REQUEST_TIMED_OUT', 'no answer');
    t.isClosed = true; // no retry: the batch fails at once
    await expect(acc.send({ topic: 'a', messages: records('c') })).rejects.toMatchObject({ errorName: 'REQUEST_TIMED_OUT' });
    t.failWith = null;
    t.isClosed = false;
    await acc.send({ topic: 'a', messages: records('d') });
    // The failed request may still be queued on a socket: its memory is left alone.
    expect(sameMemory(batchBytes(3), batchBytes(2))).toBe(false);
    expect(decodeRecordBatch(batchBytes(2)).records.map((r) => r.key?.toString())).toEqual(records('c').map((m) => m.key));
  });
});

describe('RecordAccumulator: records are stored in call order', () => {
  it('a send waiting for metadata is not overtaken by a later send that finds the topic cached', async () => {
    const t = new FakeTransport(1);
    t.cached = false;
    let answerMetadata!: () => void;
    t.metadataGate = new Promise<void>((resolve) => (answerMetadata = resolve));
    const acc = new RecordAccumulator(t, { lingerMs: 0 });
    const first = acc.send({ topic: 'a', messages: [{ value: 'first-1' }, { value: 'first-2' }] });
    t.cached = true; // another call's Metadata answer filled the cache meanwhile
    const second = acc.send({ topic: 'a', messages: [{ value: 'second' }] });
    await tick();
    expect(t.requests).toHaveLength(0);
    answerMetadata();
    await Promise.all([first, second]);
    expect(t.logs.get('a/0')).toEqual(['first-1', 'first-2', 'second']);
  });

  it('a send that runs out of room mid-call is not overtaken by a later, smaller send that would fit', async () => {
    const t = new FakeTransport(1);
    t.hold = true;
    const small = (v: string) => ({ value: v.padEnd(10, '.') });
    const big = { value: 'BIG'.padEnd(400, '.') };
    const smallBytes = estimateRecordBytes(small('x'), null);
    const bigBytes = estimateRecordBytes(big, null);
    // Two small records fit with the big one only once they are acknowledged; a third small one fits beside them.
    const acc = new RecordAccumulator(t, { lingerMs: 0, maxInFlightBytes: 2 * smallBytes + bigBytes - 1 });
    const first = acc.send({ topic: 'a', messages: [small('s1'), small('s2'), big] });
    await tick();
    const second = acc.send({ topic: 'a', messages: [small('s3')] });
    await tick();
    expect(t.recordCount).toBe(2);
    t.hold = false;
    t.releaseAll();
    await Promise.all([first, second]);
    expect(t.logs.get('a/0')!.map((v) => v.replace(/\.+$/, ''))).toEqual(['s1', 's2', 'BIG', 's3']);
  });

  it('property: concurrent senders, random sizes, back-pressure, metadata waits, dropped connections and leader changes keep per-partition call order', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = prng(seed);
      const partitions = 1 + Math.floor(random() * 3);
      const t = new FakeTransport(partitions);
      t.answerLater = true;
      t.chaos = { random, dropRate: 0.1 };
      t.cached = random() < 0.5;
      t.metadataGate = new Promise<void>((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
      const acc = new RecordAccumulator(
        t,
        { lingerMs: Math.floor(random() * 3), batchBytes: 200 + Math.floor(random() * 2000), maxInFlightBytes: 1000 + Math.floor(random() * 4000) },
        { retries: 1000, initialRetryTimeMs: 0, maxRetryTimeMs: 1 },
      );
      const expected = new Map<string, string[]>();
      const sends: Promise<unknown>[] = [];
      let n = 0;
      const sender = async (id: number) => {
        for (let call = 0; call < 12; call++) {
          const messages = Array.from({ length: 1 + Math.floor(random() * 20) }, () => {
            const value = `${id}:${n++}:`.padEnd(5 + Math.floor(random() * 150), 'x');
            const partition = Math.floor(random() * partitions);
            const id2 = `t/${partition}`;
            expected.set(id2, [...(expected.get(id2) ?? []), value]);
            return { value, partition };
          });
          sends.push(acc.send({ topic: 't', messages }));
          if (random() < 0.3) t.leaders.set(`t/${Math.floor(random() * partitions)}`, Math.floor(random() * 2));
          if (random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await Promise.all([0, 1, 2, 3].map(sender));
      const outcomes = await Promise.allSettled(sends);
      expect(outcomes.filter((o) => o.status === 'rejected'), `seed ${seed}`).toEqual([]);
      await acc.flush();
      for (let p = 0; p < partitions; p++) expect(t.logs.get(`t/${p}`) ?? [], `seed ${seed}, partition ${p}`).toEqual(expected.get(`t/${p}`) ?? []);
      expect(acc.bufferedBytes).toBe(0);
    }
  });
});
