// Proves an unmodified kafkajs 2.2.4 works against copyless and agrees with our SDK byte for byte: kafkajs creates a topic and sends 10,000 keyed messages with headers; our SDK reads back the same keys, values, headers and partitions (kafkajs's default partitioner and ours are both Kafka's murmur2).
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Copyless } from '../../client/index.ts';
import type { ConsumedMessage } from '../../client/fetcher.ts';
import { partitionForKey } from '../../src/record/partitioner.ts';
import { type BrokerFixture, startTestBroker } from './broker-fixture.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;
const TOPIC = 'from-kafkajs';
const PARTITIONS = 3;
const COUNT = 10_000;

let fx: BrokerFixture;
beforeAll(async () => {
  fx = await startTestBroker();
});
afterAll(async () => {
  await fx.close();
});

it('reads back what kafkajs produced, byte for byte and on the partitions murmur2 picks', async () => {
  const kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [fx.address()], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const admin = kafka.admin();
  await admin.connect();
  expect(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] })).toBe(true);
  await admin.disconnect();

  const sent = Array.from({ length: COUNT }, (_, i) => ({
    key: Buffer.from(`key-${i % 211}`),
    value: randomBytes(1 + (i % 300)),
    headers: { id: Buffer.from(String(i)), bin: randomBytes(i % 5) },
  }));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const metadata = await producer.send({ topic: TOPIC, messages: sent });
  await producer.disconnect();
  expect(metadata.map((m) => m.errorCode)).toEqual(metadata.map(() => 0));

  const consumer = new Copyless({ brokers: [fx.address()] }).consumer({ maxWaitMs: 200 });
  await consumer.connect();
  await consumer.assign([{ topic: TOPIC, offset: 'earliest' }]);
  const read: ConsumedMessage[] = [];
  for await (const m of consumer.messages()) {
    read.push(m);
    if (read.length === COUNT) break;
  }
  await consumer.disconnect();

  expect(read).toHaveLength(COUNT);
  const lastIdByPartition = new Map<number, number>();
  for (const m of read) {
    const idHeader = m.headers.find((h) => h.key === 'id');
    const i = Number(idHeader!.value!.toString());
    const want = sent[i];
    expect(m.key!.equals(want.key)).toBe(true);
    expect(m.value!.equals(want.value)).toBe(true);
    expect(m.headers).toEqual([
      { key: 'id', value: want.headers.id },
      { key: 'bin', value: want.headers.bin },
    ]);
    expect(m.partition).toBe(partitionForKey(want.key, PARTITIONS));
    // kafkajs's send order survives within each partition.
    expect(i).toBeGreaterThan(lastIdByPartition.get(m.partition) ?? -1);
    lastIdByPartition.set(m.partition, i);
  }
  expect(new Set(read.map((m) => m.headers[0].value!.toString())).size).toBe(COUNT);
});
