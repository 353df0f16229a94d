// Proves the Kafka listener over real sockets: version negotiation (incl. the
// KIP-511 fallback), pipelined in-order answers, byte-by-byte input, acks=0,
// long-poll wake-up, restart durability, and that bad frames, unknown APIs and
// malformed bodies close only the offending connection.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKey, FrameDecoder, encodeRequest } from '../../../src/protocol/index.ts';
import { decodeRecords, encodeRecordBatch } from '../../../src/record/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../../helpers/broker.ts';

let broker: TestBroker;
let client: RawClient;

beforeEach(async () => {
  broker = await startTestBroker();
  client = await RawClient.connect(broker.port);
});

afterEach(async () => {
  client.close();
  await broker.destroy();
});

async function createTopic(c: RawClient, name: string, partitions: number) {
  const r = await c.request(ApiKey.CreateTopics, 3, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(r.topics[0].errorCode).toBe(0);
}

function produceBody(topic: string, partition: number, values: string[], acks = 1) {
  const records = encodeRecordBatch(values.map((v) => ({ value: v })));
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

function fetchBody(topic: string, partition: number, offset: number, o: { maxWaitMs?: number; minBytes?: number } = {}) {
  return {
    replicaId: -1,
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: o.minBytes ?? 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

describe('kafka listener', () => {
  it('advertises exactly the implemented API versions', async () => {
    const r = await client.request(ApiKey.ApiVersions, 2, {});
    expect(r.errorCode).toBe(0);
    const byKey = new Map(r.apiKeys.map((k: any) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(byKey.get(ApiKey.Produce)).toEqual([0, 7]); // min 0 for librdkafka's compression check (KAFKA-18659)
    expect(byKey.get(ApiKey.Fetch)).toEqual([4, 11]);
    expect(byKey.get(ApiKey.ListOffsets)).toEqual([0, 3]);
    expect(byKey.get(ApiKey.InitProducerId)).toEqual([0, 1]); // v2 is the first flexible version
    expect(byKey.get(ApiKey.DescribeConfigs)).toEqual([0, 3]);
    expect(byKey.get(ApiKey.CreatePartitions)).toEqual([0, 1]);
    expect(byKey.get(ApiKey.DeleteRecords)).toEqual([0, 1]);
    expect(byKey.get(ApiKey.OffsetForLeaderEpoch)).toEqual([0, 3]);
    expect(byKey.get(ApiKey.CopylessFetch)).toEqual([0, 0]);
    const keys = r.apiKeys.map((k: any) => k.apiKey);
    expect(keys).toEqual([...keys].sort((a: number, b: number) => a - b));
  });

  it('refuses Produce v0-2 (message formats v0/v1) per partition with UNSUPPORTED_VERSION, appending nothing', async () => {
    await createTopic(client, 'old-produce', 1);
    for (const v of [0, 1, 2]) {
      const r = await client.request(ApiKey.Produce, v, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'old-produce', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'x' }]) }] }] });
      expect(r.responses[0].partitionResponses[0]).toMatchObject({ index: 0, errorCode: 35, baseOffset: -1 });
    }
    expect(broker.broker.partitionLog('old-produce', 0).logEndOffset).toBe(0);
  });

  it('answers ApiVersions v3 with a v0-format UNSUPPORTED_VERSION and the key list (KIP-511)', async () => {
    // A flexible v3 request body we do not parse: compact strings + tagged fields.
    const h = client.header(ApiKey.ApiVersions, 3);
    const clientId = Buffer.from(h.clientId!);
    const body = Buffer.from([0x08, ...Buffer.from('librdka'), 0x04, ...Buffer.from('2.0'), 0x00]);
    const head = Buffer.alloc(10);
    head.writeInt16BE(h.apiKey, 0);
    head.writeInt16BE(h.apiVersion, 2);
    head.writeInt32BE(h.correlationId, 4);
    head.writeInt16BE(clientId.length, 8);
    const frame = Buffer.concat([head, clientId, Buffer.from([0]), body]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(frame.length);
    client.socket.write(Buffer.concat([size, frame]));
    const resp = (await client.nextFrame())!;
    expect(resp.readInt32BE(0)).toBe(h.correlationId);
    expect(resp.readInt16BE(4)).toBe(35);
    const count = resp.readInt32BE(6);
    expect(count).toBeGreaterThan(5);
    expect(resp.length).toBe(10 + count * 6); // v0 body: no throttle time, no tagged fields
  });

  it('answers pipelined requests in order', async () => {
    const hs = [client.header(ApiKey.ApiVersions, 2), client.header(ApiKey.Metadata, 6), client.header(ApiKey.ApiVersions, 1)];
    const bodies = [{}, { topics: null, allowAutoTopicCreation: false }, {}];
    client.socket.write(Buffer.concat(hs.map((h, i) => encodeRequest(h, bodies[i]))));
    for (const h of hs) {
      const f = (await client.nextFrame())!;
      expect(f.readInt32BE(0)).toBe(h.correlationId);
    }
  });

  it('accepts a request fed one byte at a time', async () => {
    const h = client.header(ApiKey.Metadata, 1);
    const bytes = encodeRequest(h, { topics: null });
    for (const b of bytes) {
      client.socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const f = (await client.nextFrame())!;
    expect(f.readInt32BE(0)).toBe(h.correlationId);
  });

  it('produces and fetches stored batches byte for byte', async () => {
    await createTopic(client, 'wire', 2);
    const body = produceBody('wire', 1, ['a', 'bb', 'ccc']);
    const sent = Buffer.from(body.topicData[0].partitionData[0].records);
    const p = await client.request(ApiKey.Produce, 7, body);
    expect(p.responses[0].partitionResponses[0]).toMatchObject({ index: 1, errorCode: 0, baseOffset: 0 });
    const f = await client.request(ApiKey.Fetch, 11, fetchBody('wire', 1, 0));
    const part = f.responses[0].partitions[0];
    expect(part.errorCode).toBe(0);
    expect(part.highWatermark).toBe(3);
    // Only baseOffset (0..7) and partitionLeaderEpoch (12..15) may differ from what the producer sent.
    expect(part.records.subarray(16)).toEqual(sent.subarray(16));
    expect(decodeRecords(part.records).map((r) => r.value!.toString())).toEqual(['a', 'bb', 'ccc']);
  });

  it('sends no response for acks=0 and keeps correlation for the next request', async () => {
    await createTopic(client, 'fire', 1);
    const h0 = client.header(ApiKey.Produce, 7);
    client.send(h0, produceBody('fire', 0, ['x'], 0));
    const r = await client.request(ApiKey.ListOffsets, 3, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'fire', partitions: [{ partitionIndex: 0, timestamp: -1 }] }],
    });
    expect(r.topics[0].partitions[0].offset).toBe(1);
  });

  it('wakes a long-polling fetch when a produce arrives', async () => {
    await createTopic(client, 'poll', 1);
    const producer = await RawClient.connect(broker.port);
    const h = client.header(ApiKey.Fetch, 11);
    const started = Date.now();
    client.send(h, fetchBody('poll', 0, 0, { maxWaitMs: 10_000, minBytes: 1 }));
    const produced = new Promise((r) => setTimeout(r, 100)).then(() => producer.request(ApiKey.Produce, 7, produceBody('poll', 0, ['wake'])));
    const frame = (await client.nextFrame(9000))!;
    await produced;
    expect(Date.now() - started).toBeLessThan(9000);
    expect(frame.readInt32BE(0)).toBe(h.correlationId);
    producer.close();
  });

  it('closes only the connection that sent an oversized frame', async () => {
    const bad = await RawClient.connect(broker.port);
    const size = Buffer.alloc(4);
    size.writeInt32BE(broker.config.frameBytesMax + 1);
    bad.socket.write(size);
    expect(await bad.nextFrame()).toBeNull();
    const r = await client.request(ApiKey.ApiVersions, 2, {});
    expect(r.errorCode).toBe(0);
  });

  it('closes a connection that sends an unknown API key or version, and keeps serving others', async () => {
    for (const [key, version] of [
      [9999, 0],
      [ApiKey.Fetch, 3],
      [ApiKey.Produce, 9],
    ]) {
      const bad = await RawClient.connect(broker.port);
      const frame = Buffer.alloc(4 + 10);
      frame.writeInt32BE(10, 0);
      frame.writeInt16BE(key, 4);
      frame.writeInt16BE(version, 6);
      frame.writeInt32BE(7, 8);
      frame.writeInt16BE(-1, 12);
      bad.socket.write(frame);
      expect(await bad.nextFrame()).toBeNull();
    }
    expect((await client.request(ApiKey.ApiVersions, 2, {})).errorCode).toBe(0);
  });

  it('survives malformed bodies and random garbage', async () => {
    const decoder = new FrameDecoder({ frameBytesMax: 1 << 20 });
    for (let i = 0; i < 20; i++) {
      const bad = await RawClient.connect(broker.port);
      const garbage = Buffer.alloc(8 + ((i * 37) % 200));
      for (let j = 0; j < garbage.length; j++) garbage[j] = (j * 131 + i * 17) & 0xff;
      garbage.writeInt16BE(i % 2 === 0 ? ApiKey.Produce : ApiKey.Metadata, 0);
      garbage.writeInt16BE(i % 2 === 0 ? 7 : 6, 2);
      const size = Buffer.alloc(4);
      size.writeInt32BE(garbage.length);
      bad.socket.write(Buffer.concat([size, garbage]));
      const f = await bad.nextFrame();
      if (f) decoder.push(Buffer.alloc(0)); // an answer is fine too, as long as the broker lives
      bad.close();
    }
    expect((await client.request(ApiKey.ApiVersions, 2, {})).errorCode).toBe(0);
  });

  it('rejects a corrupt batch with CORRUPT_MESSAGE and appends nothing', async () => {
    await createTopic(client, 'crc', 1);
    const body = produceBody('crc', 0, ['good']);
    body.topicData[0].partitionData[0].records[body.topicData[0].partitionData[0].records.length - 1] ^= 0xff;
    const r = await client.request(ApiKey.Produce, 7, body);
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(2);
    const f = await client.request(ApiKey.Fetch, 11, fetchBody('crc', 0, 0));
    expect(f.responses[0].partitions[0].highWatermark).toBe(0);
  });

  it('keeps acknowledged data across a restart', async () => {
    await createTopic(client, 'durable', 1);
    for (let i = 0; i < 5; i++) await client.request(ApiKey.Produce, 7, produceBody('durable', 0, [`m${i}`]));
    client.close();
    await broker.close();
    const again = await startTestBroker({}, broker.dataDir);
    const c2 = await RawClient.connect(again.port);
    const f = await c2.request(ApiKey.Fetch, 11, fetchBody('durable', 0, 0));
    expect(decodeRecords(f.responses[0].partitions[0].records).map((r) => r.value!.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    c2.close();
    broker = again;
    client = await RawClient.connect(again.port);
  });
});
