// Proves the consumer's delivery rules without a broker: one fetch response at a time, in order; a partition whose position
// moved since its fetch is dropped; eachMessage advances the position message by message and stops when the run does; a batch
// that cannot be decoded ends the run after the batches before it, leaving the position at it; a partial batch doubles the
// partition's fetch size; partition errors are retried (retriable), reset (out of range) or end the run; and messages()'s
// one-slot hand-off.
import { describe, expect, it } from 'vitest';
import { BatchChannel, BatchSlot, type Batch, type DeliveryRun, type FetchedResponse } from '../../client/batch-channel.ts';
import { type ConsumerOptions, resolveConsumerOptions } from '../../client/consumer-options.ts';
import { Positions } from '../../client/consumer-positions.ts';
import { type ConsumedMessage, decodeMessages, type FetchedPartition, scanPartition } from '../../client/fetcher.ts';
import { CopylessError, ErrorCode } from '../../src/errors.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';
import { FakeCluster } from './fake-cluster.ts';

class FakeRun implements DeliveryRun {
  current = true;
  readonly failed: unknown[] = [];
  wakes = 0;
  isCurrent(): boolean {
    return this.current;
  }
  fail(e: unknown): void {
    this.failed.push(e);
    this.current = false;
  }
  wake(): void {
    this.wakes++;
  }
}

/** Two partitions of 't', both assigned from offset 0. */
async function setup(o: ConsumerOptions = {}) {
  const cluster = new FakeCluster();
  cluster.logs.set('t', [
    { leader: 1, start: 0, end: 100 },
    { leader: 1, start: 0, end: 100 },
  ]);
  const s = resolveConsumerOptions({ maxBytes: 4096, maxBytesPerPartition: 1024, ...o });
  const positions = new Positions(cluster, s);
  await positions.assign([{ topic: 't', offset: 0 }]);
  const run = new FakeRun();
  return { positions, run, channel: new BatchChannel(positions, run, s) };
}

const batch = (baseOffset: number, count: number): Buffer => encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ value: `v${baseOffset + i}` })), { baseOffset });

/** One partition of a response, records scanned (and decoded for eachBatch when `decode`). */
function fetched(partition: number, fetchOffset: number, records: Buffer | null, o: { errorCode?: number; decode?: boolean } = {}): FetchedPartition {
  const f = scanPartition('t', { partitionIndex: partition, errorCode: o.errorCode ?? 0, highWatermark: 100, logStartOffset: 0, records } as never, fetchOffset);
  if (o.decode) decodeMessages(f, true);
  return f;
}

/** A response whose positions had their current epochs when it was sent. */
function response(positions: Positions, partitions: FetchedPartition[]): FetchedResponse {
  return { partitions, accounting: undefined, epochs: new Map(positions.all().map((p) => [p, p.epoch])) };
}

const offsets = (positions: Positions) => positions.snapshot().map((p) => p.offset);

describe('BatchChannel', () => {
  it('delivers one response at a time, in order: the next waits until the handler of the one before has finished', async () => {
    const { positions, channel } = await setup();
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handlers = {
      eachBatch: async (b: Batch) => {
        calls.push(`start ${b.partition}`);
        if (b.partition === 0) await gate;
        calls.push(`end ${b.partition}`);
      },
    };
    const first = channel.deliver(1, response(positions, [fetched(0, 0, batch(0, 3), { decode: true })]), handlers);
    const second = channel.deliver(1, response(positions, [fetched(1, 0, batch(0, 2), { decode: true })]), handlers);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['start 0']);
    expect(channel.inHandler).toBe(true);
    expect(offsets(positions)).toEqual([0, 0]); // not processed until the handler resolves
    release();
    await Promise.all([first, second]);
    expect(calls).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
    expect(offsets(positions)).toEqual([3, 2]);
    expect(channel.inHandler).toBe(false);
  });

  it('drops a partition sought since its fetch (even to the same offset) or at another offset, and delivers the rest', async () => {
    const { positions, channel } = await setup();
    const r = response(positions, [fetched(0, 0, batch(0, 3), { decode: true }), fetched(1, 0, batch(0, 2), { decode: true })]);
    positions.seek({ topic: 't', partition: 0, offset: 0 }); // same offset, new epoch: the response predates the seek
    const seen: number[] = [];
    await channel.deliver(1, r, { eachBatch: (b) => void seen.push(b.partition) });
    expect(seen).toEqual([1]);
    expect(offsets(positions)).toEqual([0, 2]);
    await channel.deliver(1, response(positions, [fetched(1, 0, batch(0, 2), { decode: true })]), { eachBatch: (b) => void seen.push(b.partition) });
    expect(seen).toEqual([1]); // fetched from 0, but the position is at 2 now
  });

  it('eachMessage advances the position per message and stops delivering when the run stops', async () => {
    const { positions, run, channel } = await setup();
    const seen: number[] = [];
    await channel.deliver(1, response(positions, [fetched(0, 0, Buffer.concat([batch(0, 2), batch(2, 3)]))]), {
      eachMessage: ({ message }) => {
        seen.push(message.offset);
        if (message.offset === 2) run.current = false;
      },
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(offsets(positions)).toEqual([3, 0]);
  });

  it('a batch that cannot be decoded ends the run after the batches before it; the position stays at that batch', async () => {
    const { positions, run, channel } = await setup();
    const bad = batch(2, 2);
    bad[bad.length - 3] ^= 0xff; // a value byte, inside the CRC
    const seen: number[] = [];
    let afterFetch = 0;
    await channel.deliver(1, response(positions, [fetched(0, 0, Buffer.concat([batch(0, 2), bad, batch(4, 1)])), fetched(1, 0, batch(0, 1))]), {
      eachMessage: ({ partition, message }) => void seen.push(partition * 100 + message.offset),
      afterFetch: () => void afterFetch++,
    });
    expect(seen).toEqual([0, 1, 100]);
    expect(run.failed).toEqual([expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' })]);
    expect(offsets(positions)).toEqual([2, 1]);
    expect(afterFetch).toBe(1);
  });

  it('a partition that returned only part of a batch doubles its fetch size, up to maxBytes', async () => {
    const { positions, channel } = await setup();
    const partial = batch(0, 50).subarray(0, 100);
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await channel.deliver(1, response(positions, [fetched(0, 0, partial)]), { eachMessage: () => undefined });
      sizes.push(positions.get('t', 0)!.maxBytes);
    }
    expect(sizes).toEqual([2048, 4096, 4096]);
    expect(offsets(positions)).toEqual([0, 0]);
  });

  it('a retriable partition error rejects after the other partitions are delivered; a non-retriable one ends the run', async () => {
    const { positions, run, channel } = await setup();
    const seen: number[] = [];
    const handlers = { eachBatch: (b: Batch) => void seen.push(b.partition) };
    const stale = channel.deliver(1, response(positions, [fetched(0, 0, null, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }), fetched(1, 0, batch(0, 2), { decode: true })]), handlers);
    await expect(stale).rejects.toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER', retriable: true });
    expect(seen).toEqual([1]);
    expect(run.failed).toEqual([]);
    await channel.deliver(1, response(positions, [fetched(0, 0, null, { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })]), handlers);
    expect(run.failed).toEqual([expect.objectContaining({ errorName: 'TOPIC_AUTHORIZATION_FAILED' })]);
  });

  it("OFFSET_OUT_OF_RANGE resets the position and wakes the loops; with autoOffsetReset 'none' the run ends with the range error", async () => {
    const reset = await setup({ autoOffsetReset: 'earliest' });
    await reset.channel.deliver(1, response(reset.positions, [fetched(0, 0, null, { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })]), { eachMessage: () => undefined });
    expect(reset.positions.get('t', 0)).toMatchObject({ offset: null, reset: 'earliest' });
    expect([reset.run.wakes, reset.run.failed.length]).toEqual([1, 0]);
    const none = await setup({ autoOffsetReset: 'none' });
    await none.channel.deliver(1, response(none.positions, [fetched(0, 0, null, { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })]), { eachMessage: () => undefined });
    expect(none.positions.get('t', 0)).toMatchObject({ offset: 0, reset: null });
    expect(none.run.failed).toEqual([expect.objectContaining({ errorName: 'OFFSET_OUT_OF_RANGE', details: expect.objectContaining({ offset: 0, logStartOffset: 0, logEndOffset: 100 }) })]);
  });
});

describe('BatchSlot', () => {
  const msgs = (offset: number): ConsumedMessage[] => [{ topic: 't', partition: 0, offset, timestamp: 0, key: null, value: null, headers: [] }];

  it('a put waits until the batch before it was taken', async () => {
    const slot = new BatchSlot();
    await slot.put(msgs(0));
    let second = false;
    const put = slot.put(msgs(1)).then(() => (second = true));
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false);
    expect((await slot.take())![0].offset).toBe(0);
    await put;
    expect((await slot.take())![0].offset).toBe(1);
  });

  it('after close, take hands out what is queued, then null (or throws the error it was closed with); a waiting put returns', async () => {
    const slot = new BatchSlot();
    await slot.put(msgs(0));
    const waiting = slot.put(msgs(1));
    slot.close(null);
    await waiting;
    expect((await slot.take())![0].offset).toBe(0);
    expect(await slot.take()).toBeNull();
    const failed = new BatchSlot();
    const taking = failed.take();
    failed.close(new CopylessError('CORRUPT_MESSAGE', 'bad batch'));
    await expect(taking).rejects.toMatchObject({ errorName: 'CORRUPT_MESSAGE' });
  });
});
