// Proves the consumer's prefetch keeps positions exact against a real broker: with small fetches (one or two batches each, so a prefetch is in flight while every handler runs) each offset arrives once and in order; a seek from a handler discards the prefetched response, for eachBatch and mid-batch for eachMessage; and stopping with a prefetch in flight ends cleanly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from '../../client/consumer.ts';
import { Copyless } from '../../client/index.ts';
import { type BrokerFixture, startTestBroker } from './broker-fixture.ts';

const BATCHES = 40;
const PER_BATCH = 10;
const RECORDS = BATCHES * PER_BATCH;
/** About one stored batch of PER_BATCH 20-byte records: each fetch returns one or two batches. */
const FETCH_BYTES = 400;

let fx: BrokerFixture;
const client = () => new Copyless({ brokers: [fx.address()], clientId: 'prefetch-test' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fx = await startTestBroker();
  const c = client();
  const admin = c.admin();
  await admin.createTopics({ topics: [{ topic: 'pf', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = c.producer({ lingerMs: 0 });
  for (let b = 0; b < BATCHES; b++) {
    await producer.send({ topic: 'pf', messages: Array.from({ length: PER_BATCH }, (_, i) => ({ value: `v${String(b * PER_BATCH + i).padStart(18, '0')}` })) });
  }
  await producer.disconnect();
});
afterAll(async () => {
  await fx.close();
});

async function consumerAt(offset: number): Promise<Consumer> {
  const consumer = client().consumer({ maxBytes: FETCH_BYTES, maxBytesPerPartition: FETCH_BYTES, maxWaitMs: 50 });
  await consumer.connect();
  await consumer.assign([{ topic: 'pf', partition: 0, offset }]);
  return consumer;
}

describe('consumer prefetch', () => {
  it('delivers every offset once, in order, while the next fetch is in flight', async () => {
    const consumer = await consumerAt(0);
    const seen: number[] = [];
    await consumer.run({
      eachBatch: async ({ messages }) => {
        await sleep(1); // the prefetched response arrives while this handler runs
        for (const m of messages) seen.push(m.offset);
        if (seen.length >= RECORDS) void consumer.stop();
      },
    });
    await consumer.disconnect();
    expect(seen).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
  });

  it('discards the prefetched response when eachBatch seeks', async () => {
    const consumer = await consumerAt(0);
    const seen: number[] = [];
    let seeked = false;
    let lastBeforeSeek = -1;
    await consumer.run({
      eachBatch: async ({ messages }) => {
        await sleep(2);
        for (const m of messages) seen.push(m.offset);
        const last = messages[messages.length - 1].offset;
        if (!seeked && last >= 100) {
          seeked = true;
          lastBeforeSeek = last;
          consumer.seek({ topic: 'pf', partition: 0, offset: 5 });
        }
        if (last === RECORDS - 1) void consumer.stop();
      },
    });
    await consumer.disconnect();
    const expected = [...Array.from({ length: lastBeforeSeek + 1 }, (_, i) => i), ...Array.from({ length: RECORDS - 5 }, (_, i) => 5 + i)];
    expect(seen).toEqual(expected);
  });

  it('discards the prefetched response and the rest of the batch when eachMessage seeks', async () => {
    const consumer = await consumerAt(0);
    const seen: number[] = [];
    let seeked = false;
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset);
        if (!seeked && message.offset === 37) {
          seeked = true;
          await sleep(5);
          consumer.seek({ topic: 'pf', partition: 0, offset: 300 });
        }
        if (message.offset === RECORDS - 1) void consumer.stop();
      },
    });
    await consumer.disconnect();
    expect(seen).toEqual([...Array.from({ length: 38 }, (_, i) => i), ...Array.from({ length: RECORDS - 300 }, (_, i) => 300 + i)]);
  });

  it('stops cleanly with a prefetch in flight', async () => {
    const consumer = await consumerAt(0);
    let batches = 0;
    await consumer.run({
      eachBatch: async () => {
        if (++batches === 3) await consumer.stop();
      },
    });
    expect(batches).toBe(3);
    const position = consumer.assignment()[0].offset!;
    expect(position).toBeGreaterThan(0);
    expect(position).toBeLessThan(RECORDS);
    await consumer.disconnect();
  });
});
