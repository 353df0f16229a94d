// Proves the SDK against a real copyless broker over real sockets: produce and consume across several partitions (keys routed by murmur2), pipelined requests answered in order, a long-poll woken by a produce, everything read back after a broker restart, acks=0, the copyless extension APIs (fetch mode, accounting, describe, stats) and typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../client/connection.ts';
import type { ConsumedMessage } from '../../client/fetcher.ts';
import { Copyless } from '../../client/index.ts';
import { partitionForKey } from '../../src/record/partitioner.ts';
import type { Consumer } from '../../client/consumer.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import type { ProduceResponse } from '../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';
import { type BrokerFixture, startTestBroker } from './broker-fixture.ts';

let fx: BrokerFixture;
const RETRY = { retries: 5, initialRetryTimeMs: 50, maxRetryTimeMs: 500 };
const client = () => new Copyless({ brokers: [fx.address()], clientId: 'sdk-test', retry: RETRY });

beforeAll(async () => {
  fx = await startTestBroker();
});
afterAll(async () => {
  await fx.close();
});

async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  const admin = client().admin();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }] });
  } finally {
    await admin.disconnect();
  }
}

async function produce(topic: string, messages: { value: string; partition?: number }[]): Promise<void> {
  const producer = client().producer();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Reads until `count` messages arrived, then stops the consumer. */
async function take(consumer: Consumer, count: number): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = [];
  if (count === 0) return out;
  for await (const m of consumer.messages()) {
    out.push(m);
    if (out.length >= count) break;
  }
  return out;
}

async function readAll(topic: string, count: number): Promise<ConsumedMessage[]> {
  const consumer = client().consumer({ maxWaitMs: 200 });
  await consumer.connect();
  await consumer.assign([{ topic, offset: 'earliest' }]);
  try {
    return await take(consumer, count);
  } finally {
    await consumer.disconnect();
  }
}

describe('SDK against copyless', () => {
  it('produces keyed messages across partitions and consumes every one in order', async () => {
    const c = client();
    const admin = c.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'multi', numPartitions: 4 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'multi', numPartitions: 4 }] })).toBe(false);
    const producer = c.producer({ lingerMs: 2 });
    await producer.connect();
    const messages = Array.from({ length: 2000 }, (_, i) => ({ key: `user-${i % 37}`, value: `value-${i}`, headers: { n: String(i) } }));
    const results = await producer.send({ topic: 'multi', messages });
    expect(results.reduce((n, r) => n + r.count, 0)).toBe(2000);
    expect(results.every((r) => r.baseOffset === 0)).toBe(true);
    await producer.disconnect();

    const read = await readAll('multi', 2000);
    expect(read).toHaveLength(2000);
    const byPartition = new Map<number, ConsumedMessage[]>();
    for (const m of read) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
    expect(byPartition.size).toBeGreaterThan(1);
    for (const [partition, list] of byPartition) {
      expect(list.map((m) => m.offset)).toEqual(list.map((_, i) => i));
      const values = list.map((m) => Number(m.value!.toString().slice('value-'.length)));
      expect(values).toEqual([...values].sort((a, b) => a - b)); // per-partition order kept
      for (const m of list) {
        expect(partitionForKey(m.key!, 4)).toBe(partition);
        expect(m.headers).toEqual([{ key: 'n', value: Buffer.from(m.value!.toString().slice('value-'.length)) }]);
      }
    }
    expect(new Set(read.map((m) => m.value!.toString())).size).toBe(2000);
    await admin.disconnect();
  });

  it('answers pipelined requests on one connection in order', async () => {
    await createTopic('pipelined');
    const [host, port] = fx.address().split(':');
    const connection = new Connection({ host, port: Number(port), clientId: 'pipe', connectTimeoutMs: 1000, requestTimeoutMs: 10_000, retry: RETRY });
    try {
      const sends = Array.from({ length: 64 }, (_, i) =>
        connection.request<ProduceResponse>(ApiKey.Produce, 7, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: 'pipelined', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: `p${i}` }]) }] }],
        }),
      );
      const offsets = (await Promise.all(sends)).map((r) => r.responses[0].partitionResponses[0].baseOffset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    } finally {
      await connection.close();
    }
    const read = await readAll('pipelined', 64);
    expect(read.map((m) => m.value!.toString())).toEqual(Array.from({ length: 64 }, (_, i) => `p${i}`));
  });

  it('wakes a long-polling fetch when a message is produced', async () => {
    const c = client();
    await createTopic('longpoll');
    const maxWaitMs = 20_000;
    const consumer = c.consumer({ maxWaitMs });
    await consumer.connect();
    await consumer.assign([{ topic: 'longpoll', offset: 'latest' }]);
    const started = Date.now();
    const got = take(consumer, 1);
    await new Promise((r) => setTimeout(r, 200)); // the fetch is parked on the broker by now
    const producer = c.producer({ lingerMs: 0 });
    await producer.send({ topic: 'longpoll', messages: [{ value: 'wake up' }] });
    const [m] = await got;
    expect(m.value!.toString()).toBe('wake up');
    // Woken by the append, not by the 20 s long-poll running out.
    expect(Date.now() - started).toBeLessThan(maxWaitMs / 2);
    await producer.disconnect();
    await consumer.disconnect();
  });

  it('reads everything back after the broker restarts', async () => {
    await createTopic('durable', 3);
    const producer = client().producer();
    const values = Array.from({ length: 3000 }, (_, i) => `durable-${i}`);
    await producer.send({ topic: 'durable', messages: values.map((value) => ({ value })) });
    await producer.disconnect();
    await fx.restart();
    const read = await readAll('durable', 3000);
    expect(read.map((m) => m.value!.toString()).sort()).toEqual([...values].sort());
  });

  it('sends acks=0 without waiting for a response, and the messages arrive', async () => {
    await createTopic('fire', 2);
    const producer = client().producer({ acks: 0 });
    const results = await producer.send({ topic: 'fire', messages: Array.from({ length: 500 }, (_, i) => ({ value: `f${i}` })) });
    expect(results.every((r) => r.baseOffset === -1)).toBe(true);
    expect(results.reduce((n, r) => n + r.count, 0)).toBe(500);
    await producer.disconnect();
    const read = await readAll('fire', 500);
    expect(new Set(read.map((m) => m.value!.toString())).size).toBe(500);
  });

  it('knows it talks to copyless, sets the fetch mode and hands each batch its fetch accounting', async () => {
    const c = client();
    expect(c.isCopyless()).toBe(false);
    const admin = c.admin();
    const info = await admin.brokerInfo();
    expect(c.isCopyless()).toBe(true);
    expect(info.name).toBe('copyless');
    const mode = info.fetchModes.available.includes('copy') ? 'copy' : info.fetchModes.available[0];
    await produce('modes', [{ value: 'm1' }, { value: 'm2' }]);

    const consumer = c.consumer({ fetchMode: mode, maxWaitMs: 200 });
    await consumer.connect();
    await consumer.assign([{ topic: 'modes', offset: 'earliest' }]);
    let accounting: Record<string, number> | undefined;
    await consumer.run({
      eachBatch: (b) => {
        accounting = b.accounting;
        void consumer.stop();
      },
    });
    expect(accounting).toBeDefined();
    expect(Object.values(accounting!).every((v) => typeof v === 'number')).toBe(true);
    await consumer.disconnect();

    const stats = await admin.stats();
    expect(stats.modes[mode].fetches).toBeGreaterThan(0);
    expect(JSON.parse(await admin.statsJson())).toEqual(expect.objectContaining({ modes: expect.any(Object), pageCache: expect.any(Object) }));

    const bad = c.consumer({ fetchMode: 'no-such-mode' });
    await expect(bad.connect()).rejects.toMatchObject({ name: 'CopylessError' });
    await bad.disconnect();
    await admin.disconnect();
  });

  it('describes, lists and deletes topics', async () => {
    const admin = client().admin();
    await admin.createTopics({ topics: [{ topic: 'described', numPartitions: 2 }] });
    await produce('described', [{ value: 'x', partition: 1 }, { value: 'y', partition: 1 }]);
    const [d] = await admin.describeTopics(['described']);
    expect(d.name).toBe('described');
    expect(d.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset])).toEqual([
      [0, 0, 0],
      [1, 0, 2],
    ]);
    expect(d.partitions[1].sizeBytes).toBeGreaterThan(0);
    expect(d.partitions[1].segments[0]).toMatchObject({ baseOffset: 0, active: true });
    expect(await admin.listTopics()).toContain('described');
    await admin.deleteTopics(['described']);
    expect(await admin.listTopics()).not.toContain('described');
    await admin.disconnect();
  });

  it('reports mistakes as typed errors with Kafka codes', async () => {
    const c = new Copyless({ brokers: [fx.address()], retry: { retries: 1, initialRetryTimeMs: 10, maxRetryTimeMs: 20 } });
    const consumer = c.consumer({ allowAutoTopicCreation: false });
    await consumer.connect();
    await expect(consumer.assign([{ topic: 'never-created' }])).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3 });
    await consumer.disconnect();
    const admin = c.admin();
    await expect(admin.createTopics({ topics: [{ topic: 'bad/name' }] })).rejects.toMatchObject({ errorName: 'INVALID_TOPIC_EXCEPTION', code: 17 });
    await expect(admin.deleteTopics(['never-created'])).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await admin.disconnect();
    expect(() => new Copyless({ brokers: ['nohostport'] })).toThrow(expect.objectContaining({ errorName: 'INVALID_CONFIG' }));
  });
});

describe('SDK against copyless: order, offsets out of range and refused records', () => {
  it('stores every concurrent sender\'s records in call order under back-pressure', async () => {
    await createTopic('sdk-order', 2);
    const producer = client().producer({ lingerMs: 1, batchBytes: 2048, maxInFlightBytes: 8192 });
    await producer.connect();
    const expected: string[][] = [[], []];
    const sends: Promise<unknown>[] = [];
    let n = 0;
    await Promise.all(
      [0, 1, 2].map(async (id) => {
        for (let call = 0; call < 40; call++) {
          const messages = Array.from({ length: 1 + ((call * 7 + id) % 25) }, (_, i) => {
            const value = `${id}:${n++}:`.padEnd(10 + ((i * 37) % 300), 'x');
            const partition = (call + i) % 2;
            expected[partition].push(value);
            return { value, partition };
          });
          sends.push(producer.send({ topic: 'sdk-order', messages }));
          if (call % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    await Promise.all(sends);
    await producer.disconnect();
    const read = await readAll('sdk-order', expected[0].length + expected[1].length);
    for (const p of [0, 1]) expect(read.filter((m) => m.partition === p).map((m) => m.value!.toString())).toEqual(expected[p]);
  });

  it("autoOffsetReset 'none' ends run() with a typed OFFSET_OUT_OF_RANGE naming the log's range; 'earliest' and 'latest' move the position", async () => {
    await produce('sdk-range', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const consumer = client().consumer({ autoOffsetReset: 'none', maxWaitMs: 50 });
    await consumer.connect();
    try {
      await consumer.assign([{ topic: 'sdk-range', partition: 0, offset: 1000 }]);
      await expect(consumer.run({ eachMessage: () => undefined })).rejects.toMatchObject({
        errorName: 'OFFSET_OUT_OF_RANGE',
        message: expect.stringContaining('offset 1000 of sdk-range/0 is out of range: the log holds offsets 0..2'),
        details: { topic: 'sdk-range', partition: 0, offset: 1000, logStartOffset: 0, logEndOffset: 3 },
      });
    } finally {
      await consumer.disconnect();
    }
    const earliest = client().consumer({ autoOffsetReset: 'earliest', maxWaitMs: 50 });
    await earliest.connect();
    await earliest.assign([{ topic: 'sdk-range', partition: 0, offset: 1000 }]);
    expect((await take(earliest, 3)).map((m) => m.value!.toString())).toEqual(['a', 'b', 'c']);
    await earliest.disconnect();
    const latest = client().consumer({ autoOffsetReset: 'latest', maxWaitMs: 50 });
    await latest.connect();
    await latest.assign([{ topic: 'sdk-range', partition: 0, offset: 1000 }]);
    const seen: string[] = [];
    await latest.run({
      eachMessage: ({ message }) => void seen.push(message.value!.toString()),
      afterFetch: () => {
        if (latest.assignment()[0].offset === 3) void latest.stop();
      },
    });
    expect(seen).toEqual([]);
    await latest.disconnect();
  });

  it('MESSAGE_TOO_LARGE names the record size and the topic limit', async () => {
    const admin = client().admin();
    await admin.createTopics({ topics: [{ topic: 'sdk-small', configEntries: [{ name: 'max.message.bytes', value: '1024' }] }] });
    await admin.disconnect();
    const producer = client().producer({ lingerMs: 0 });
    try {
      await expect(producer.send({ topic: 'sdk-small', messages: [{ value: 'v'.repeat(3000) }] })).rejects.toMatchObject({
        errorName: 'MESSAGE_TOO_LARGE',
        message: expect.stringMatching(/^produce to sdk-small\/0: MESSAGE_TOO_LARGE: the record \(a batch of 1\) is 30\d\d bytes, over messageBytesMax=1024$/),
        details: { limit: 'messageBytesMax', max: 1024, topic: 'sdk-small', partition: 0, acknowledged: 0, firstFailedIndex: 0 },
      });
    } finally {
      await producer.disconnect();
    }
  });
});
