// Proves the admin and group APIs real clients call, over real sockets: kafkajs's admin lists topics, describes topic and broker configs (the broker's real settings), adds partitions, deletes records and reads offsets by time; kcat lists the added partitions and reads from the new log start; and, at the wire, every advertised version of DescribeConfigs, CreatePartitions, DeleteRecords, OffsetForLeaderEpoch, ListOffsets v0, OffsetCommit v0-1 and InitProducerId answers as Kafka does.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { kcat, kcatFound } from '../../helpers/kcat.ts';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

let broker: TestBroker;
let raw: RawClient;

beforeAll(async () => {
  broker = await startTestBroker({ retentionMs: 3_600_000, defaultPartitions: 1 });
  raw = await RawClient.connect(broker.port);
});
afterAll(async () => {
  raw.close();
  await broker.destroy();
});

async function createTopic(name: string, partitions: number, configs: { name: string; value: string }[] = []): Promise<void> {
  const r = await raw.request(ApiKey.CreateTopics, 3, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs }], timeoutMs: 1000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
}

async function produce(topic: string, partition: number, values: string[], timestamps?: number[]): Promise<number> {
  const records = encodeRecordBatch(values.map((value, i) => ({ value, timestamp: timestamps?.[i] })));
  const r = await raw.request(ApiKey.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
  return r.responses[0].partitionResponses[0].baseOffset;
}

describe('kafkajs admin', () => {
  const kafka = () => new Kafka({ clientId: 'admin-test', brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 2 } });

  it('lists topics, describes configs from the real settings, adds partitions, deletes records and finds offsets by time', async () => {
    await createTopic('adm', 2, [{ name: 'retention.ms', value: '60000' }]);
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toContain('adm');

      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'adm' }, { type: ConfigResourceTypes.BROKER, name: '0' }],
        includeSynonyms: true,
      });
      const [topic, brokerRes] = described.resources;
      expect(topic).toMatchObject({ errorCode: 0, resourceName: 'adm' });
      const byName = new Map(topic.configEntries.map((e) => [e.configName, e]));
      expect(byName.get('retention.ms')).toMatchObject({ configValue: '60000', configSource: 1, readOnly: true, isDefault: false });
      expect(byName.get('segment.bytes')).toMatchObject({ configValue: String(broker.broker.config.segmentBytes), isDefault: true });
      expect(byName.get('cleanup.policy')?.configValue).toBe('delete');
      const brokerConfigs = new Map(brokerRes.configEntries.map((e) => [e.configName, e]));
      expect(brokerConfigs.get('log.retention.ms')).toMatchObject({ configValue: '3600000', configSource: 4 });
      expect(brokerConfigs.get('num.partitions')?.configValue).toBe('1');
      expect(brokerConfigs.get('copyless.fetch-mode')?.configValue).toBe(broker.broker.config.fetchMode);

      await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 5 }] });
      const meta = await admin.fetchTopicMetadata({ topics: ['adm'] });
      expect(meta.topics[0].partitions).toHaveLength(5);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 3 }] })).rejects.toThrow(/partition/i);

      await produce('adm', 4, ['a', 'b', 'c', 'd'], [1000, 2000, 3000, 4000]);
      expect(await admin.fetchTopicOffsetsByTimestamp('adm', 2500)).toContainEqual(expect.objectContaining({ partition: 4, offset: '2' }));
      await admin.deleteTopicRecords({ topic: 'adm', partitions: [{ partition: 4, offset: '3' }] });
      expect(await admin.fetchTopicOffsets('adm')).toContainEqual(expect.objectContaining({ partition: 4, low: '3', high: '4' }));
      expect(await admin.fetchTopicOffsetsByTimestamp('adm', 0)).toContainEqual(expect.objectContaining({ partition: 4, offset: '3' }));
    } finally {
      await admin.disconnect();
    }
  });

  it.skipIf(!kcatFound)('kcat sees the added partitions and reads from the new log start', async () => {
    const l = await kcat(broker.address, ['-L', '-t', 'adm']);
    expect(l.stdout).toMatch(/5 partitions/);
    const c = await kcat(broker.address, ['-C', '-t', 'adm', '-p', '4', '-o', 'beginning', '-e', '-q']);
    expect(c.stdout).toBe('d\n');
  });
});

describe('at the wire', () => {
  it('DescribeConfigs answers v0-3 with each version\'s fields, and errors per resource', async () => {
    await createTopic('dc', 1);
    for (const v of [0, 1, 2, 3]) {
      const r = await raw.request(ApiKey.DescribeConfigs, v, {
        resources: [
          { resourceType: 2, resourceName: 'dc', configurationKeys: ['max.message.bytes'] },
          { resourceType: 2, resourceName: 'nope', configurationKeys: null },
          { resourceType: 4, resourceName: '7', configurationKeys: null },
          { resourceType: 8, resourceName: 'x', configurationKeys: null },
        ],
        includeSynonyms: true,
        includeDocumentation: true,
      });
      const [dc, missing, otherBroker, logger] = r.results;
      expect(dc.configs).toHaveLength(1);
      expect(dc.configs[0]).toMatchObject({ name: 'max.message.bytes', value: String(broker.broker.config.messageBytesMax) });
      if (v === 0) expect(dc.configs[0].isDefault).toBe(true);
      if (v >= 1) expect(dc.configs[0].synonyms).toEqual([{ name: 'message.max.bytes', value: String(broker.broker.config.messageBytesMax), source: 5 }]);
      if (v === 3) expect(dc.configs[0]).toMatchObject({ configType: 3, documentation: expect.stringContaining('message.max.bytes') });
      expect(missing.errorCode).toBe(3);
      expect(otherBroker.errorCode).toBe(42);
      expect(logger).toMatchObject({ errorCode: 42, errorMessage: expect.stringContaining('resourceType 8') });
    }
  });

  it('CreatePartitions v0-1: grows, validates only, refuses shrinking and foreign brokers', async () => {
    await createTopic('cp', 1);
    const ask = (v: number, count: number, o: { validateOnly?: boolean; assignments?: { brokerIds: number[] }[] | null } = {}) =>
      raw.request(ApiKey.CreatePartitions, v, { topics: [{ name: 'cp', count, assignments: o.assignments ?? null }], timeoutMs: 1000, validateOnly: o.validateOnly ?? false });
    expect((await ask(0, 3, { validateOnly: true })).results[0].errorCode).toBe(0);
    expect(broker.broker.partitionCount('cp')).toBe(1);
    expect((await ask(1, 3)).results[0].errorCode).toBe(0);
    expect(broker.broker.partitionCount('cp')).toBe(3);
    expect((await ask(1, 2)).results[0]).toMatchObject({ errorCode: 37, errorMessage: expect.stringContaining('only be added') });
    expect((await ask(1, 4, { assignments: [{ brokerIds: [5] }] })).results[0].errorCode).toBe(39);
    await produce('cp', 2, ['new partition']);
  });

  it('DeleteRecords v0-1 moves the low watermark, -1 means the end, and out-of-range is per partition', async () => {
    await createTopic('dr', 2);
    await produce('dr', 0, ['a', 'b', 'c']);
    const r = await raw.request(ApiKey.DeleteRecords, 1, {
      topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 2 }, { partitionIndex: 1, offset: 5 }, { partitionIndex: 9, offset: 0 }] }],
      timeoutMs: 1000,
    });
    expect(r.topics[0].partitions).toEqual([
      { partitionIndex: 0, lowWatermark: 2, errorCode: 0 },
      { partitionIndex: 1, lowWatermark: -1, errorCode: 1 },
      { partitionIndex: 9, lowWatermark: -1, errorCode: 3 },
    ]);
    const all = await raw.request(ApiKey.DeleteRecords, 0, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: -1 }] }], timeoutMs: 1000 });
    expect(all.topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 3, errorCode: 0 });
    const earliest = await raw.request(ApiKey.ListOffsets, 1, { replicaId: -1, topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, timestamp: -2 }] }] });
    expect(earliest.topics[0].partitions[0].offset).toBe(3);
  });

  it('OffsetForLeaderEpoch v0-3: epoch 0 ends at the log end, other epochs are unknown or fenced', async () => {
    await createTopic('ofle', 1);
    await produce('ofle', 0, ['x', 'y']);
    for (const v of [0, 1, 2, 3]) {
      const r = await raw.request(ApiKey.OffsetForLeaderEpoch, v, {
        replicaId: -1,
        topics: [{ topic: 'ofle', partitions: [
          { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
          { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 3 },
          { partition: 0, currentLeaderEpoch: 4, leaderEpoch: 0 },
          { partition: 7, currentLeaderEpoch: -1, leaderEpoch: 0 },
        ] }],
      });
      const [current, later, future, missing] = r.topics[0].partitions;
      expect(current).toMatchObject({ errorCode: 0, endOffset: 2, leaderEpoch: v >= 1 ? 0 : -1 });
      expect(later).toMatchObject({ errorCode: 0, endOffset: -1 });
      expect(future.errorCode).toBe(v >= 2 ? 75 : 0); // currentLeaderEpoch exists from v2
      expect(missing.errorCode).toBe(3);
    }
  });

  it('ListOffsets v0 answers old-style offset arrays, newest first', async () => {
    await createTopic('lo0', 1);
    await produce('lo0', 0, ['a', 'b'], [1000, 2000]);
    const ask = (timestamp: number, maxNumOffsets: number) =>
      raw.request(ApiKey.ListOffsets, 0, { replicaId: -1, topics: [{ name: 'lo0', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] });
    expect((await ask(-1, 10)).topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [2, 0] });
    expect((await ask(-1, 1)).topics[0].partitions[0].oldStyleOffsets).toEqual([2]);
    expect((await ask(-2, 10)).topics[0].partitions[0].oldStyleOffsets).toEqual([0]);
    expect((await ask(500, 10)).topics[0].partitions[0].oldStyleOffsets).toEqual([]);
  });

  it('OffsetCommit v0-1 store offsets that OffsetFetch returns (a Go client commits with v1)', async () => {
    await createTopic('oc', 1);
    for (const v of [0, 1]) {
      const r = await raw.request(ApiKey.OffsetCommit, v, {
        groupId: `g${v}`, generationIdOrMemberEpoch: -1, memberId: '',
        topics: [{ name: 'oc', partitions: [{ partitionIndex: 0, committedOffset: 40 + v, commitTimestamp: -1, committedMetadata: 'm' }] }],
      });
      expect(r.topics[0].partitions[0]).toEqual({ partitionIndex: 0, errorCode: 0 });
      const f = await raw.request(ApiKey.OffsetFetch, 1, { groupId: `g${v}`, topics: [{ name: 'oc', partitionIndexes: [0] }] });
      expect(f.topics[0].partitions[0]).toMatchObject({ committedOffset: 40 + v, metadata: 'm' });
    }
  });

  it('InitProducerId v0-1 hands out distinct ids at epoch 0 and refuses a transactional id for good', async () => {
    const a = await raw.request(ApiKey.InitProducerId, 0, { transactionalId: null, transactionTimeoutMs: 60000 });
    const b = await raw.request(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60000 });
    expect(a).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(b.producerId).toBe(a.producerId + 1);
    const txn = await raw.request(ApiKey.InitProducerId, 1, { transactionalId: 'tx', transactionTimeoutMs: 60000 });
    expect(txn).toMatchObject({ errorCode: 53, producerId: -1 });
  });
});
