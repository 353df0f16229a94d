// Proves the schemas agree with kafkajs 2.2.4 at every version kafkajs has
// inside copyless's supported ranges (not only the one kafkajs picks): its
// request bytes decode to the expected fields and re-encode byte for byte,
// and its response decoders read our responses back.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  ApiKey, SUPPORTED_VERSIONS, decodeRequest, decodeRequestHeader, encodeRequest, encodeResponse, type RequestHeader,
} from '../../src/protocol/index.ts';

const require = createRequire(import.meta.url);
const KJ = 'kafkajs/src/protocol';
const kjEncodeFrame: (o: object) => Promise<{ buffer: Buffer }> = require(`${KJ}/request.js`);

const KAFKAJS_VERSIONS_MAX: Record<string, number> = {
  produce: 7, fetch: 11, listOffsets: 3, metadata: 6, offsetCommit: 5, offsetFetch: 4, findCoordinator: 2, joinGroup: 5,
  heartbeat: 3, leaveGroup: 3, syncGroup: 3, describeGroups: 2, listGroups: 2, apiVersions: 2, createTopics: 3, deleteTopics: 1,
  deleteRecords: 1, initProducerId: 1, describeConfigs: 2, createPartitions: 1,
};
const KEYS: Record<string, number> = {
  produce: ApiKey.Produce, fetch: ApiKey.Fetch, listOffsets: ApiKey.ListOffsets, metadata: ApiKey.Metadata,
  offsetCommit: ApiKey.OffsetCommit, offsetFetch: ApiKey.OffsetFetch, findCoordinator: ApiKey.FindCoordinator,
  joinGroup: ApiKey.JoinGroup, heartbeat: ApiKey.Heartbeat, leaveGroup: ApiKey.LeaveGroup, syncGroup: ApiKey.SyncGroup,
  describeGroups: ApiKey.DescribeGroups, listGroups: ApiKey.ListGroups, apiVersions: ApiKey.ApiVersions,
  createTopics: ApiKey.CreateTopics, deleteTopics: ApiKey.DeleteTopics, deleteRecords: ApiKey.DeleteRecords,
  initProducerId: ApiKey.InitProducerId, describeConfigs: ApiKey.DescribeConfigs, createPartitions: ApiKey.CreatePartitions,
};

const meta = Buffer.from('0001abcd', 'hex');

/** [api, kafkajs request arguments, fields our decoder must produce at every version (or per version)] */
const REQUESTS: Array<[string, object, object | ((v: number) => object)]> = [
  ['produce', { acks: 1, timeout: 1000, compression: 0, topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: 'k', value: 'v', timestamp: '1700000000000' }] }] }] },
    { acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0 }] }] }],
  ['fetch', { replicaId: -1, maxWaitTime: 100, minBytes: 1, maxBytes: 1000, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: '7', maxBytes: 500 }] }] },
    { replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1000, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 7, partitionMaxBytes: 500 }] }] }],
  ['listOffsets', { replicaId: -1, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: -2 }] }] },
    { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -2 }] }] }],
  ['metadata', { topics: ['a'], allowAutoTopicCreation: false }, { topics: [{ name: 'a' }] }],
  ['offsetCommit', { groupId: 'g', groupGenerationId: 3, memberId: 'm', retentionTime: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, offset: '9' }] }] },
    // v0 has no generation or member: they decode as Kafka's defaults
    (v) => ({ groupId: 'g', generationIdOrMemberEpoch: v === 0 ? -1 : 3, memberId: v === 0 ? '' : 'm', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9, committedMetadata: null }] }] })],
  ['offsetFetch', { groupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0 }] }] }, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] }],
  ['findCoordinator', { groupId: 'g', coordinatorKey: 'g', coordinatorType: 0 }, { key: 'g', keyType: 0 }],
  ['joinGroup', { groupId: 'g', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: 'm', protocolType: 'consumer', groupProtocols: [{ name: 'rr', metadata: meta }] },
    { groupId: 'g', sessionTimeoutMs: 30000, memberId: 'm', protocolType: 'consumer', protocols: [{ name: 'rr', metadata: meta }] }],
  ['heartbeat', { groupId: 'g', groupGenerationId: 3, memberId: 'm' }, { groupId: 'g', generationId: 3, memberId: 'm' }],
  ['leaveGroup', { groupId: 'g', memberId: 'm', members: [{ memberId: 'm' }] }, { groupId: 'g' }],
  ['syncGroup', { groupId: 'g', generationId: 3, memberId: 'm', groupAssignment: [{ memberId: 'm', memberAssignment: meta }] },
    { groupId: 'g', generationId: 3, memberId: 'm', assignments: [{ memberId: 'm', assignment: meta }] }],
  ['describeGroups', { groupIds: ['g1', 'g2'] }, { groups: ['g1', 'g2'] }],
  ['listGroups', {}, {}],
  ['apiVersions', {}, {}],
  ['createTopics', { topics: [{ topic: 't', numPartitions: 2, replicationFactor: 1 }], timeout: 1000, validateOnly: true },
    { topics: [{ name: 't', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 }],
  ['deleteTopics', { topics: ['a', 'b'], timeout: 1000 }, { topicNames: ['a', 'b'], timeoutMs: 1000 }],
  ['deleteRecords', { topics: [{ topic: 't', partitions: [{ partition: 1, offset: '7' }] }], timeout: 1000 },
    { topics: [{ name: 't', partitions: [{ partitionIndex: 1, offset: 7 }] }], timeoutMs: 1000 }],
  ['initProducerId', { transactionalId: null, transactionTimeout: 30000 }, { transactionalId: null, transactionTimeoutMs: 30000 }],
  ['describeConfigs', { resources: [{ type: 2, name: 't', configNames: ['retention.ms'] }], includeSynonyms: true },
    (v) => ({ resources: [{ resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms'] }], includeSynonyms: v >= 1 })],
  ['createPartitions', { topicPartitions: [{ topic: 't', count: 4 }], timeout: 1000, validateOnly: true },
    { topics: [{ name: 't', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: true }],
];

/** [api, our response body, fields kafkajs's decoder must produce at every version (or per version)] */
const RESPONSES: Array<[string, object, object | ((v: number) => object)]> = [
  ['produce', { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 42 }] }] },
    // kafkajs names the field `offset` up to v2, the versions copyless refuses (message formats v0/v1)
    (v) => ({ topics: [{ topicName: 't', partitions: [{ partition: 0, errorCode: 0, [v < 3 ? 'offset' : 'baseOffset']: '42' }] }] })],
  ['fetch', { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 5, records: Buffer.alloc(0) }] }] },
    { responses: [{ topicName: 't', partitions: [{ partition: 0, errorCode: 0, highWatermark: '5', messages: [] }] }] }],
  ['listOffsets', { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [12], offset: 12 }] }] },
    (v) => ({ responses: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, ...(v === 0 ? { offsets: ['12'] } : { offset: '12' }) }] }] })],
  ['metadata', { brokers: [{ nodeId: 1, host: 'h', port: 9092 }], controllerId: 1, topics: [{ errorCode: 0, name: 't', partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }] },
    { brokers: [{ nodeId: 1, host: 'h', port: 9092 }], topicMetadata: [{ topicErrorCode: 0, topic: 't', partitionMetadata: [{ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1] }] }] }],
  ['offsetCommit', { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] }, { responses: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }] }],
  ['offsetFetch', { topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, metadata: null, errorCode: 0 }] }] },
    { responses: [{ topic: 't', partitions: [{ partition: 0, offset: '5', metadata: null, errorCode: 0 }] }] }],
  ['findCoordinator', { errorCode: 0, nodeId: 1, host: 'h', port: 9092 }, { errorCode: 0, coordinator: { nodeId: 1, host: 'h', port: 9092 } }],
  ['joinGroup', { errorCode: 0, generationId: 3, protocolName: 'rr', leader: 'm', memberId: 'm', members: [{ memberId: 'm', metadata: meta }] },
    { errorCode: 0, generationId: 3, groupProtocol: 'rr', leaderId: 'm', memberId: 'm', members: [{ memberId: 'm', memberMetadata: meta }] }],
  ['heartbeat', { errorCode: 0 }, { errorCode: 0 }],
  ['leaveGroup', { errorCode: 0, members: [] }, { errorCode: 0 }],
  ['syncGroup', { errorCode: 0, assignment: meta }, { errorCode: 0, memberAssignment: meta }],
  ['describeGroups', { groups: [{ errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'rr',
    members: [{ memberId: 'm', clientId: 'c', clientHost: '/h', memberMetadata: meta, memberAssignment: meta }] }] },
  { groups: [{ errorCode: 0, groupId: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'rr',
    members: [{ memberId: 'm', clientId: 'c', clientHost: '/h', memberMetadata: meta, memberAssignment: meta }] }] }],
  ['listGroups', { errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] }, { errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] }],
  ['apiVersions', { errorCode: 0, apiKeys: [{ apiKey: 1, minVersion: 4, maxVersion: 11 }] }, { errorCode: 0, apiVersions: [{ apiKey: 1, minVersion: 4, maxVersion: 11 }] }],
  ['createTopics', { topics: [{ name: 't', errorCode: 0 }] }, { topicErrors: [{ topic: 't', errorCode: 0 }] }],
  ['deleteTopics', { responses: [{ name: 't', errorCode: 0 }] }, { topicErrors: [{ topic: 't', errorCode: 0 }] }],
  ['deleteRecords', { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 1, lowWatermark: 7, errorCode: 0 }] }] },
    { topics: [{ topic: 't', partitions: [{ partition: 1, lowWatermark: 7n, errorCode: 0 }] }] }],
  ['initProducerId', { throttleTimeMs: 0, errorCode: 0, producerId: 2 ** 40, producerEpoch: 2 }, { errorCode: 0, producerId: String(2 ** 40), producerEpoch: 2 }],
  ['describeConfigs', { throttleTimeMs: 0, results: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 't', configs: [
    { name: 'retention.ms', value: '1000', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, synonyms: [] }] }] },
  { resources: [{ errorCode: 0, resourceType: 2, resourceName: 't', configEntries: [{ configName: 'retention.ms', configValue: '1000', readOnly: false, configSource: 1, isSensitive: false }] }] }],
  ['createPartitions', { throttleTimeMs: 0, results: [{ name: 't', errorCode: 0, errorMessage: null }] }, { topicErrors: [{ topic: 't', errorCode: 0, errorMessage: null }] }],
];

function versionsOf(api: string): number[] {
  const { min, max } = SUPPORTED_VERSIONS.get(KEYS[api]!)!;
  const out: number[] = [];
  for (let v = min; v <= Math.min(max, KAFKAJS_VERSIONS_MAX[api]!); v++) out.push(v);
  return out;
}

const requestCases = REQUESTS.flatMap(([api, args, fields]) => versionsOf(api).map((v) => ({ api, v, args, fields })));
const responseCases = RESPONSES.flatMap(([api, body, fields]) => versionsOf(api).map((v) => ({ api, v, body, fields })));

describe('every kafkajs version inside our ranges', () => {
  it.each(requestCases)('$api v$v request', async ({ api, v, args, fields }) => {
    const request = require(`${KJ}/requests/${api}/v${v}/request.js`)(args);
    expect(request.apiVersion).toBe(v);
    const bytes = (await kjEncodeFrame({ correlationId: 9, clientId: 'kj', request })).buffer;
    const frame = bytes.subarray(4);
    const { header, bodyOffset } = decodeRequestHeader(frame);
    const body = decodeRequest(header, frame, bodyOffset);
    expect(body).toMatchObject(typeof fields === 'function' ? fields(v) : fields);
    expect(encodeRequest(header, body).equals(bytes)).toBe(true);
  });

  it.each(responseCases)('$api v$v response', async ({ api, v, body, fields }) => {
    const header: RequestHeader = { apiKey: KEYS[api]!, apiVersion: v, correlationId: 9, clientId: null };
    const frame = Buffer.concat(encodeResponse(header, body) as Buffer[]);
    const module = require(`${KJ}/requests/${api}/v${v}/response.js`);
    const { decode } = typeof module === 'function' ? module({ topics: [] }) : module; // deleteRecords exports a factory
    expect(await decode(frame.subarray(8))).toMatchObject(typeof fields === 'function' ? fields(v) : fields);
  });
});
