// Proves, against a real broker, that an eachMessage consumer decodes lazily, one record batch at a time as its handler reaches it: the records of the batches before a corrupt one are delivered (once) before the corruption is reported, where decoding the whole fetch first would deliver nothing; and a handler that returns no promise runs back to back with the next, without a microtask turn per message.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Copyless } from '../../client/index.ts';
import { CopylessError } from '../../src/errors.ts';
import { batchTotalBytes } from '../../src/record/index.ts';
import { type BrokerFixture, startTestBroker } from './broker-fixture.ts';

const PER_BATCH = 20;
const BATCHES = 3;
let fx: BrokerFixture;
const client = () => new Copyless({ brokers: [fx.address()], clientId: 'lazy-test', retry: { retries: 0 } });

beforeAll(async () => {
  fx = await startTestBroker();
  const c = client();
  const admin = c.admin();
  await admin.createTopics({ topics: [{ topic: 'lazy', numPartitions: 1 }, { topic: 'sync', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = c.producer({ acks: 1, lingerMs: 0 });
  for (const topic of ['lazy', 'sync']) {
    for (let b = 0; b < BATCHES; b++) await producer.send({ topic, messages: Array.from({ length: PER_BATCH }, () => ({ value: Buffer.alloc(400, 0x61) })) });
  }
  await producer.disconnect();
  // Flip one value byte inside the second batch of `lazy` (outside its header, inside its CRC), then restart on the files.
  await fx.broker.close();
  const dir = path.join(fx.dataDir, fs.readdirSync(fx.dataDir).find((d) => d.startsWith('lazy-'))!);
  const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.log'))!);
  const bytes = fs.readFileSync(file);
  const second = batchTotalBytes(bytes, 0);
  bytes[second + batchTotalBytes(bytes, second) - 10] ^= 0xff;
  fs.writeFileSync(file, bytes);
  await fx.restart();
});

afterAll(async () => {
  await fx.close();
});

describe('eachMessage consumer', () => {
  it('delivers the batches before a corrupt one, then reports the corruption', async () => {
    const consumer = client().consumer({});
    await consumer.connect();
    await consumer.assign([{ topic: 'lazy', partition: 0, offset: 0 }]);
    const seen: number[] = [];
    const run = consumer.run({ eachMessage: ({ message }) => void seen.push(message.offset) });
    const error = await run.then(() => null, (e: unknown) => e);
    await consumer.disconnect();
    expect(error).toBeInstanceOf(CopylessError);
    expect((error as CopylessError).errorName).toBe('CORRUPT_MESSAGE');
    expect(seen).toEqual(Array.from({ length: PER_BATCH }, (_, i) => i));
  });

  it('runs a synchronous handler back to back, without a microtask turn per message', async () => {
    const consumer = client().consumer({});
    await consumer.connect();
    await consumer.assign([{ topic: 'sync', partition: 0, offset: 0 }]);
    let count = 0;
    let countWhenMicrotaskRan = -1;
    await consumer.run({
      eachMessage: () => {
        if (count++ === 0) queueMicrotask(() => (countWhenMicrotaskRan = count));
        if (count === BATCHES * PER_BATCH) void consumer.stop();
      },
    });
    await consumer.disconnect();
    // The microtask queued by the first message ran only once the handler loop yielded: after a whole batch or more.
    expect(countWhenMicrotaskRan).toBeGreaterThanOrEqual(PER_BATCH);
  });
});
