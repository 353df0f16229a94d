// Proves the codec agrees with kafkajs 2.2.4's own protocol code at the
// versions kafkajs speaks: every request kafkajs encodes we decode field by
// field (and re-encode to the same bytes), and every response we encode
// kafkajs's response decoder reads back field by field.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  ApiKey, advertisedApiVersions, decodeRequest, decodeRequestHeader, encodeApiVersionsFallback, encodeRequest, encodeResponse,
  FrameDecoder, type RequestHeader,
} from '../../src/protocol/index.ts';

const require = createRequire(import.meta.url);
const KJ = 'kafkajs/src/protocol';
const kjEncodeFrame: (o: object) => Promise<{ buffer: Buffer }> = require(`${KJ}/request.js`);
const kjRequest = (api: string, version: number) => require(`${KJ}/requests/${api}/v${version}/request.js`);
const kjResponse = (api: string, version: number) => require(`${KJ}/requests/${api}/v${version}/response.js`);

const CLIENT_ID = 'kafkajs-compat';

/** kafkajs's whole request frame, then our header and body decode of it. */
async function kafkajsToOurs(request: { apiKey: number; apiVersion: number }, correlationId = 11) {
  const bytes = (await kjEncodeFrame({ correlationId, clientId: CLIENT_ID, request })).buffer;
  const [frame] = new FrameDecoder({ frameBytesMax: 1 << 20 }).push(bytes);
  const { header, bodyOffset } = decodeRequestHeader(frame!);
  expect(header).toEqual({ apiKey: request.apiKey, apiVersion: request.apiVersion, correlationId, clientId: CLIENT_ID });
  const body = decodeRequest(header, frame!, bodyOffset) as Record<string, any>;
  // The same body encoded by us is the same bytes kafkajs sent.
  expect(encodeRequest(header, body).equals(bytes)).toBe(true);
  return body;
}

/** Our response frame read by kafkajs's decoder (which takes the bytes after the correlationId), then its parse. */
async function oursToKafkajs(api: string, apiKey: number, apiVersion: number, body: unknown) {
  const header: RequestHeader = { apiKey, apiVersion, correlationId: 5, clientId: CLIENT_ID };
  const frame = Buffer.concat(encodeResponse(header, body) as Buffer[]);
  const { decode, parse } = kjResponse(api, apiVersion);
  return parse(await decode(frame.subarray(8)));
}

const kafkajsMessages = [
  { key: 'k1', value: 'v1', timestamp: '1700000000000', headers: { trace: 'abc' } },
  { key: null, value: 'v2', timestamp: '1700000000001' },
];

async function kafkajsProduceBody() {
  return kafkajsToOurs(kjRequest('produce', 7)({
    acks: -1, timeout: 30000, compression: 0,
    topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 0, messages: kafkajsMessages }] }],
  }));
}

describe('kafkajs requests decode field by field', () => {
  it('Produce v7', async () => {
    const body = await kafkajsProduceBody();
    expect(body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'orders', partitionData: [{ index: 2 }] }] });
    const records: Buffer = body.topicData[0].partitionData[0].records;
    expect(records.readInt8(16)).toBe(2); // RecordBatch magic v2
    expect(records.readInt32BE(57)).toBe(2); // record count
  });

  it('Fetch v11', async () => {
    const body = await kafkajsToOurs(kjRequest('fetch', 11)({
      replicaId: -1, maxWaitTime: 5000, minBytes: 1, maxBytes: 10485760, isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: '12345678901', maxBytes: 1048576 }] }],
    }));
    expect(body).toEqual({
      replicaId: -1, maxWaitMs: 5000, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 12345678901, logStartOffset: -1, partitionMaxBytes: 1048576 }] }],
      forgottenTopicsData: [], rackId: '',
    });
  });

  it('Metadata v6, all topics ([] -> -1) and named', async () => {
    expect(await kafkajsToOurs(kjRequest('metadata', 6)({ topics: [] }))).toEqual({ topics: null, allowAutoTopicCreation: true });
    expect(await kafkajsToOurs(kjRequest('metadata', 6)({ topics: ['a', 'b'], allowAutoTopicCreation: false })))
      .toEqual({ topics: [{ name: 'a' }, { name: 'b' }], allowAutoTopicCreation: false });
  });

  it('ListOffsets v3', async () => {
    const body = await kafkajsToOurs(kjRequest('listOffsets', 3)({
      replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 0, timestamp: -2 }, { partition: 1 }] }],
    }));
    expect(body).toEqual({ replicaId: -1, isolationLevel: 1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -2, maxNumOffsets: 1 }, { partitionIndex: 1, timestamp: -1, maxNumOffsets: 1 }] }] });
  });

  it('ApiVersions v2', async () => {
    expect(await kafkajsToOurs(kjRequest('apiVersions', 2)())).toEqual({});
  });

  it('CreateTopics v3', async () => {
    const body = await kafkajsToOurs(kjRequest('createTopics', 3)({
      topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 1, replicaAssignment: [{ partition: 0, replicas: [1] }],
        configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }],
      timeout: 5000, validateOnly: false,
    }));
    expect(body).toEqual({
      topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }],
        configs: [{ name: 'cleanup.policy', value: 'delete' }] }],
      timeoutMs: 5000, validateOnly: false,
    });
  });

  it('FindCoordinator v2', async () => {
    expect(await kafkajsToOurs(kjRequest('findCoordinator', 2)({ coordinatorKey: 'g1', coordinatorType: 0 }))).toEqual({ key: 'g1', keyType: 0 });
  });

  it('JoinGroup v5', async () => {
    const metadata = Buffer.from('00010000000100066f7264657273ffffffff', 'hex');
    const body = await kafkajsToOurs(kjRequest('joinGroup', 5)({
      groupId: 'g1', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata }],
    }));
    expect(body).toEqual({
      groupId: 'g1', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: '', groupInstanceId: null,
      protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata }],
    });
  });

  it('SyncGroup v3', async () => {
    const assignment = Buffer.from('0001000000010006', 'hex');
    const body = await kafkajsToOurs(kjRequest('syncGroup', 3)({
      groupId: 'g1', generationId: 4, memberId: 'm-1', groupAssignment: [{ memberId: 'm-1', memberAssignment: assignment }],
    }));
    expect(body).toEqual({ groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: null, assignments: [{ memberId: 'm-1', assignment }] });
  });

  it('Heartbeat v3', async () => {
    expect(await kafkajsToOurs(kjRequest('heartbeat', 3)({ groupId: 'g1', groupGenerationId: 4, memberId: 'm-1' })))
      .toEqual({ groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: null });
  });

  it('LeaveGroup v3', async () => {
    expect(await kafkajsToOurs(kjRequest('leaveGroup', 3)({ groupId: 'g1', members: [{ memberId: 'm-1' }] })))
      .toEqual({ groupId: 'g1', memberId: '', members: [{ memberId: 'm-1', groupInstanceId: null }] });
  });

  it('OffsetCommit v5', async () => {
    const body = await kafkajsToOurs(kjRequest('offsetCommit', 5)({
      groupId: 'g1', groupGenerationId: 4, memberId: 'm-1', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }],
    }));
    expect(body).toEqual({
      groupId: 'g1', generationIdOrMemberEpoch: 4, memberId: 'm-1', retentionTimeMs: -1,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, commitTimestamp: -1, committedMetadata: null }] }],
    });
  });

  it('OffsetFetch v4', async () => {
    expect(await kafkajsToOurs(kjRequest('offsetFetch', 4)({ groupId: 'g1', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] }] })))
      .toEqual({ groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] });
    expect(await kafkajsToOurs(kjRequest('offsetFetch', 4)({ groupId: 'g1', topics: [] }))).toEqual({ groupId: 'g1', topics: null });
  });
});

describe('our responses decode in kafkajs field by field', () => {
  it('Produce v7', async () => {
    const r = await oursToKafkajs('produce', ApiKey.Produce, 7, {
      responses: [{ name: 'orders', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 42, logStartOffset: 0 }] }], throttleTimeMs: 3,
    });
    expect(r.topics).toEqual([{ topicName: 'orders', partitions: [{ partition: 2, errorCode: 0, baseOffset: '42', logAppendTime: '-1', logStartOffset: '0' }] }]);
    expect(r.clientSideThrottleTime).toBe(3);
  });

  it('Fetch v11, records spliced from parts, read back as the messages kafkajs produced', async () => {
    const produced: Buffer = (await kafkajsProduceBody()).topicData[0].partitionData[0].records;
    const records = { byteLength: produced.length, parts: [produced.subarray(0, 61), produced.subarray(61)] };
    const r = await oursToKafkajs('fetch', ApiKey.Fetch, 11, {
      throttleTimeMs: 0, errorCode: 0, sessionId: 0,
      responses: [{ topic: 'orders', partitions: [{ partitionIndex: 2, errorCode: 0, highWatermark: 2, lastStableOffset: 2, logStartOffset: 0,
        abortedTransactions: [], preferredReadReplica: -1, records }] }],
    });
    const p = r.responses[0].partitions[0];
    expect(r.responses[0].topicName).toBe('orders');
    expect({ partition: p.partition, errorCode: p.errorCode, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, preferredReadReplica: p.preferredReadReplica })
      .toEqual({ partition: 2, errorCode: 0, highWatermark: '2', lastStableOffset: '2', preferredReadReplica: -1 });
    expect(p.messages.map((m: any) => [m.offset, m.key?.toString() ?? null, m.value.toString(), m.timestamp]))
      .toEqual([['0', 'k1', 'v1', '1700000000000'], ['1', null, 'v2', '1700000000001']]);
    expect(p.messages[0].headers.trace.toString()).toBe('abc');
  });

  it('Metadata v6', async () => {
    const r = await oursToKafkajs('metadata', ApiKey.Metadata, 6, {
      throttleTimeMs: 0, brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }], clusterId: 'copyless', controllerId: 1,
      topics: [{ errorCode: 0, name: 'orders', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
    });
    expect(r).toMatchObject({
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }], clusterId: 'copyless', controllerId: 1,
      topicMetadata: [{ topicErrorCode: 0, topic: 'orders', isInternal: false,
        partitionMetadata: [{ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] }] }],
    });
  });

  it('ListOffsets v3', async () => {
    const r = await oursToKafkajs('listOffsets', ApiKey.ListOffsets, 3, {
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 12 }] }],
    });
    expect(r.responses).toEqual([{ topic: 'orders', partitions: [{ partition: 0, errorCode: 0, timestamp: '-1', offset: '12' }] }]);
  });

  it('ApiVersions v2, and the v3 fallback reads as UNSUPPORTED_VERSION', async () => {
    const apiKeys = advertisedApiVersions();
    const r = await oursToKafkajs('apiVersions', ApiKey.ApiVersions, 2, { errorCode: 0, apiKeys, throttleTimeMs: 0 });
    expect(r.apiVersions).toEqual(apiKeys);
    const { decode } = kjResponse('apiVersions', 0);
    await expect(decode(encodeApiVersionsFallback(1).subarray(8))).rejects.toMatchObject({ type: 'UNSUPPORTED_VERSION' });
  });

  it('CreateTopics v3', async () => {
    const r = await oursToKafkajs('createTopics', ApiKey.CreateTopics, 3, { throttleTimeMs: 0, topics: [{ name: 'orders', errorCode: 0, errorMessage: null }] });
    expect(r.topicErrors).toEqual([{ topic: 'orders', errorCode: 0, errorMessage: null }]);
  });

  it('FindCoordinator v2', async () => {
    const r = await oursToKafkajs('findCoordinator', ApiKey.FindCoordinator, 2, { errorCode: 0, errorMessage: null, nodeId: 1, host: 'localhost', port: 9092 });
    expect(r).toMatchObject({ errorCode: 0, errorMessage: null, coordinator: { nodeId: 1, host: 'localhost', port: 9092 } });
  });

  it('JoinGroup v5', async () => {
    const metadata = Buffer.from('0001', 'hex');
    const r = await oursToKafkajs('joinGroup', ApiKey.JoinGroup, 5, {
      errorCode: 0, generationId: 4, protocolName: 'RoundRobinAssigner', leader: 'm-1', memberId: 'm-1',
      members: [{ memberId: 'm-1', groupInstanceId: null, metadata }],
    });
    expect(r).toMatchObject({ errorCode: 0, generationId: 4, groupProtocol: 'RoundRobinAssigner', leaderId: 'm-1', memberId: 'm-1',
      members: [{ memberId: 'm-1', groupInstanceId: null, memberMetadata: metadata }] });
  });

  it('SyncGroup v3', async () => {
    const assignment = Buffer.from('000100000001', 'hex');
    const r = await oursToKafkajs('syncGroup', ApiKey.SyncGroup, 3, { errorCode: 0, assignment });
    expect(r).toMatchObject({ errorCode: 0, memberAssignment: assignment });
  });

  it('Heartbeat v3', async () => {
    expect(await oursToKafkajs('heartbeat', ApiKey.Heartbeat, 3, { throttleTimeMs: 2, errorCode: 0 })).toMatchObject({ errorCode: 0, clientSideThrottleTime: 2 });
  });

  it('LeaveGroup v3', async () => {
    const r = await oursToKafkajs('leaveGroup', ApiKey.LeaveGroup, 3, { errorCode: 0, members: [{ memberId: 'm-1', groupInstanceId: null, errorCode: 0 }] });
    expect(r).toMatchObject({ errorCode: 0, members: [{ memberId: 'm-1', groupInstanceId: null, errorCode: 0 }] });
  });

  it('OffsetCommit v5', async () => {
    const r = await oursToKafkajs('offsetCommit', ApiKey.OffsetCommit, 5, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect(r.responses).toEqual([{ topic: 'orders', partitions: [{ partition: 0, errorCode: 0 }] }]);
  });

  it('OffsetFetch v4', async () => {
    const r = await oursToKafkajs('offsetFetch', ApiKey.OffsetFetch, 4, {
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: -1, metadata: null, errorCode: 0 }] }], errorCode: 0,
    });
    expect(r).toMatchObject({ errorCode: 0, responses: [{ topic: 'orders', partitions: [{ partition: 0, offset: '-1', metadata: null, errorCode: 0 }] }] });
  });
});
