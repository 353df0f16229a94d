// Sample request and response bodies for every API, every field set to a
// non-default value, shared by the protocol tests. Nullable fields hold
// values (not null) so one sample is valid at every supported version.

import { ApiKey } from '../../src/protocol/index.ts';

const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex');
const json = { json: '{"fetchMode":"sendfile","ünïcode":"✓"}' };
const jsonResponse = { errorCode: 3, errorMessage: 'no such topic', json: '{"ok":false}' };

const fetchRequest = {
  replicaId: -1, maxWaitMs: 5000, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 12, sessionEpoch: 3,
  topics: [
    { topic: 'orders', partitions: [
      { partition: 0, currentLeaderEpoch: 4, fetchOffset: 2 ** 40 + 5, logStartOffset: 7, partitionMaxBytes: 1048576 },
      { partition: 3, currentLeaderEpoch: 4, fetchOffset: 0, logStartOffset: 1, partitionMaxBytes: 100 },
    ] },
  ],
  forgottenTopicsData: [{ topic: 'old', partitions: [1, 2] }],
  rackId: 'rack-a',
};

const fetchResponse = {
  throttleTimeMs: 9, errorCode: 1, sessionId: 12,
  responses: [
    { topic: 'orders', partitions: [
      { partitionIndex: 0, errorCode: 0, highWatermark: 100, lastStableOffset: 99, logStartOffset: 5,
        abortedTransactions: [{ producerId: 77, firstOffset: 50 }], preferredReadReplica: 2, records: bytes('0102030405') },
      { partitionIndex: 3, errorCode: 1, highWatermark: -1, lastStableOffset: 8, logStartOffset: 6,
        abortedTransactions: [], preferredReadReplica: 1, records: bytes('') },
    ] },
  ],
};

export const REQUESTS: ReadonlyMap<number, Record<string, unknown>> = new Map<number, Record<string, unknown>>([
  [ApiKey.Produce, {
    transactionalId: 'tx-1', acks: -1, timeoutMs: 30000,
    topicData: [{ name: 'orders', partitionData: [{ index: 0, records: bytes('00112233') }, { index: 1, records: bytes('44') }] }],
  }],
  [ApiKey.Fetch, fetchRequest],
  [ApiKey.ListOffsets, {
    replicaId: -1, isolationLevel: 1,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -2, maxNumOffsets: 3 }, { partitionIndex: 1, timestamp: 1700000000000, maxNumOffsets: 1 }] }],
  }],
  [ApiKey.Metadata, { topics: [{ name: 'orders' }, { name: 'payments' }], allowAutoTopicCreation: false }],
  [ApiKey.OffsetCommit, {
    groupId: 'g1', generationIdOrMemberEpoch: 4, memberId: 'm-1', retentionTimeMs: 86400000,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, commitTimestamp: 1700000000000, committedMetadata: 'meta' }] }],
  }],
  [ApiKey.OffsetFetch, { groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }] }],
  [ApiKey.FindCoordinator, { key: 'g1', keyType: 1 }],
  [ApiKey.JoinGroup, {
    groupId: 'g1', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: 'm-1', groupInstanceId: 'static-1',
    protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata: bytes('000100000001') }],
  }],
  [ApiKey.Heartbeat, { groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: 'static-1' }],
  [ApiKey.LeaveGroup, { groupId: 'g1', memberId: 'm-1', members: [{ memberId: 'm-1', groupInstanceId: 'static-1' }] }],
  [ApiKey.SyncGroup, {
    groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: 'static-1',
    assignments: [{ memberId: 'm-1', assignment: bytes('0001') }],
  }],
  [ApiKey.DescribeGroups, { groups: ['g1', 'g2'], includeAuthorizedOperations: true }],
  [ApiKey.ListGroups, {}],
  [ApiKey.SaslHandshake, { mechanism: 'PLAIN' }],
  [ApiKey.ApiVersions, {}],
  [ApiKey.CreateTopics, {
    topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1,
      assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [{ name: 'retention.ms', value: '1000' }] }],
    timeoutMs: 5000, validateOnly: true,
  }],
  [ApiKey.DeleteTopics, { topicNames: ['orders', 'payments'], timeoutMs: 5000 }],
  [ApiKey.DeleteRecords, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 2 ** 40 }, { partitionIndex: 1, offset: -1 }] }], timeoutMs: 5000 }],
  [ApiKey.InitProducerId, { transactionalId: 'tx-1', transactionTimeoutMs: 60000 }],
  [ApiKey.OffsetForLeaderEpoch, { replicaId: -1, topics: [{ topic: 'orders', partitions: [{ partition: 2, currentLeaderEpoch: 3, leaderEpoch: 1 }] }] }],
  [ApiKey.DescribeConfigs, {
    resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms', 'segment.bytes'] }, { resourceType: 4, resourceName: '0', configurationKeys: [] }],
    includeSynonyms: true, includeDocumentation: true,
  }],
  [ApiKey.CreatePartitions, { topics: [{ name: 'orders', count: 6, assignments: [{ brokerIds: [0] }, { brokerIds: [0] }] }], timeoutMs: 5000, validateOnly: true }],
  [ApiKey.SaslAuthenticate, { authBytes: bytes('0075007077') }],
  [ApiKey.CopylessBrokerInfo, json],
  [ApiKey.CopylessSetFetchMode, json],
  [ApiKey.CopylessStats, json],
  [ApiKey.CopylessDescribeTopics, json],
  [ApiKey.CopylessGroups, json],
  [ApiKey.CopylessResetOffsets, json],
  [ApiKey.CopylessDropCaches, json],
  [ApiKey.CopylessFetch, fetchRequest],
]);

export const RESPONSES: ReadonlyMap<number, Record<string, unknown>> = new Map<number, Record<string, unknown>>([
  [ApiKey.Produce, {
    responses: [{ name: 'orders', partitionResponses: [
      { index: 0, errorCode: 0, baseOffset: 2 ** 45, logAppendTimeMs: 1700000000000, logStartOffset: 3 },
    ] }],
    throttleTimeMs: 8,
  }],
  [ApiKey.Fetch, fetchResponse],
  [ApiKey.ListOffsets, {
    throttleTimeMs: 1,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [12, 0], timestamp: 1700000000000, offset: 12 }] }],
  }],
  [ApiKey.Metadata, {
    throttleTimeMs: 2,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: 'rack-a' }],
    clusterId: 'copyless-cluster', controllerId: 1,
    topics: [{ errorCode: 0, name: 'orders', isInternal: true, partitions: [
      { errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [2] },
    ] }],
  }],
  [ApiKey.OffsetCommit, {
    throttleTimeMs: 3, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 3 }] }],
  }],
  [ApiKey.OffsetFetch, {
    throttleTimeMs: 4,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, metadata: 'meta', errorCode: 0 }] }],
    errorCode: 16,
  }],
  [ApiKey.FindCoordinator, { throttleTimeMs: 5, errorCode: 0, errorMessage: 'fine', nodeId: 1, host: 'localhost', port: 9092 }],
  [ApiKey.JoinGroup, {
    throttleTimeMs: 6, errorCode: 0, generationId: 4, protocolName: 'RoundRobinAssigner', leader: 'm-1', memberId: 'm-1',
    members: [{ memberId: 'm-1', groupInstanceId: 'static-1', metadata: bytes('00010203') }],
  }],
  [ApiKey.Heartbeat, { throttleTimeMs: 7, errorCode: 27 }],
  [ApiKey.LeaveGroup, {
    throttleTimeMs: 8, errorCode: 0, members: [{ memberId: 'm-1', groupInstanceId: 'static-1', errorCode: 25 }],
  }],
  [ApiKey.SyncGroup, { throttleTimeMs: 9, errorCode: 0, assignment: bytes('000100000001') }],
  [ApiKey.DescribeGroups, {
    throttleTimeMs: 10,
    groups: [{ errorCode: 0, groupId: 'g1', groupState: 'Stable', protocolType: 'consumer', protocolData: 'RoundRobinAssigner',
      members: [{ memberId: 'm-1', groupInstanceId: 'static-1', clientId: 'kafkajs', clientHost: '/127.0.0.1',
        memberMetadata: bytes('01'), memberAssignment: bytes('02') }],
      authorizedOperations: 8 }],
  }],
  [ApiKey.ListGroups, { throttleTimeMs: 11, errorCode: 0, groups: [{ groupId: 'g1', protocolType: 'consumer' }] }],
  [ApiKey.SaslHandshake, { errorCode: 33, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] }],
  [ApiKey.ApiVersions, {
    errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 1, minVersion: 4, maxVersion: 11 }], throttleTimeMs: 12,
  }],
  [ApiKey.CreateTopics, { throttleTimeMs: 13, topics: [{ name: 'orders', errorCode: 36, errorMessage: 'exists' }] }],
  [ApiKey.DeleteTopics, { throttleTimeMs: 14, responses: [{ name: 'orders', errorCode: 0 }] }],
  [ApiKey.DeleteRecords, { throttleTimeMs: 15, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, lowWatermark: 2 ** 40, errorCode: 1 }] }] }],
  [ApiKey.InitProducerId, { throttleTimeMs: 16, errorCode: 0, producerId: 2 ** 40 + 7, producerEpoch: 3 }],
  [ApiKey.OffsetForLeaderEpoch, { throttleTimeMs: 17, topics: [{ topic: 'orders', partitions: [{ errorCode: 0, partition: 2, leaderEpoch: 1, endOffset: 99 }] }] }],
  [ApiKey.DescribeConfigs, {
    throttleTimeMs: 18,
    results: [{ errorCode: 0, errorMessage: 'fine', resourceType: 2, resourceName: 'orders', configs: [
      { name: 'retention.ms', value: '1000', readOnly: false, isDefault: true, configSource: 1, isSensitive: true,
        synonyms: [{ name: 'log.retention.ms', value: '604800000', source: 4 }], configType: 5, documentation: 'how long' },
    ] }],
  }],
  [ApiKey.CreatePartitions, { throttleTimeMs: 19, results: [{ name: 'orders', errorCode: 37, errorMessage: 'too few' }] }],
  [ApiKey.SaslAuthenticate, { errorCode: 58, errorMessage: 'Authentication failed', authBytes: bytes('76'), sessionLifetimeMs: 0 }],
  [ApiKey.CopylessBrokerInfo, jsonResponse],
  [ApiKey.CopylessSetFetchMode, jsonResponse],
  [ApiKey.CopylessStats, jsonResponse],
  [ApiKey.CopylessDescribeTopics, jsonResponse],
  [ApiKey.CopylessGroups, jsonResponse],
  [ApiKey.CopylessResetOffsets, jsonResponse],
  [ApiKey.CopylessDropCaches, jsonResponse],
  [ApiKey.CopylessFetch, { ...fetchResponse, accounting: [{ name: 'cpuCopies', value: 2 }, { name: 'syscalls', value: 2 ** 33 }] }],
]);
