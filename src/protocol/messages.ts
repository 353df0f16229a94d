// One TypeScript interface per request and response body, field for field
// the schemas in schemas/*.ts. Names are Apache Kafka 3.8's message JSON
// names in lowerCamelCase; int64 fields are JS numbers. A field absent at the
// version spoken is ignored when encoding (it may be omitted) and holds its
// Kafka default after decoding.
//
// `records` decodes to `Buffer | null` (a subarray of the frame). Bodies the
// broker encodes take `R = RecordsValue` so stored bytes can be passed as
// RecordsParts and spliced into the response without a copy.

import type { RecordsParts } from './chunk.ts';

export type RecordsValue = Buffer | RecordsParts | null;
type Decoded = Buffer | null;

// ---- Produce (0) ------------------------------------------------------------

export interface ProduceRequest<R extends RecordsValue = Decoded> {
  transactionalId: string | null;
  /** 0: no response at all; 1: leader; -1: all in-sync replicas. */
  acks: number;
  timeoutMs: number;
  topicData: TopicProduceData<R>[];
}
export interface TopicProduceData<R extends RecordsValue = Decoded> {
  name: string;
  partitionData: { index: number; records: R }[];
}
export interface ProduceResponse {
  responses: TopicProduceResponse[];
  throttleTimeMs?: number;
}
export interface TopicProduceResponse {
  name: string;
  partitionResponses: PartitionProduceResponse[];
}
export interface PartitionProduceResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  /** v2+; -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs?: number;
  /** v5+. */
  logStartOffset?: number;
}

// ---- Fetch (1) --------------------------------------------------------------

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** 0 READ_UNCOMMITTED, 1 READ_COMMITTED. */
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: FetchTopic[];
  forgottenTopicsData: { topic: string; partitions: number[] }[];
  rackId: string;
}
export interface FetchTopic {
  topic: string;
  partitions: FetchPartition[];
}
export interface FetchPartition {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  logStartOffset: number;
  partitionMaxBytes: number;
}
export interface FetchResponse<R extends RecordsValue = Decoded> {
  throttleTimeMs?: number;
  errorCode?: number;
  sessionId?: number;
  responses: FetchableTopicResponse<R>[];
}
export interface FetchableTopicResponse<R extends RecordsValue = Decoded> {
  topic: string;
  partitions: FetchPartitionData<R>[];
}
export interface FetchPartitionData<R extends RecordsValue = Decoded> {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset?: number;
  logStartOffset?: number;
  abortedTransactions?: { producerId: number; firstOffset: number }[] | null;
  preferredReadReplica?: number;
  records: R;
}

// ---- ListOffsets (2) --------------------------------------------------------

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  /** `maxNumOffsets` exists only in v0 (default 1). */
  topics: { name: string; partitions: { partitionIndex: number; timestamp: number; maxNumOffsets?: number }[] }[];
}
export interface ListOffsetsResponse {
  throttleTimeMs?: number;
  topics: { name: string; partitions: ListOffsetsPartitionResponse[] }[];
}
export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  /** v0 only: the offsets found, newest first. */
  oldStyleOffsets?: number[];
  timestamp: number;
  offset: number;
}

// ---- Metadata (3) -----------------------------------------------------------

export interface MetadataRequest {
  /** null (v1+) means every topic; so does [] at v0. */
  topics: { name: string }[] | null;
  allowAutoTopicCreation: boolean;
}
export interface MetadataResponse {
  throttleTimeMs?: number;
  brokers: MetadataResponseBroker[];
  clusterId?: string | null;
  controllerId?: number;
  topics: MetadataResponseTopic[];
}
export interface MetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  rack?: string | null;
}
export interface MetadataResponseTopic {
  errorCode: number;
  name: string;
  isInternal?: boolean;
  partitions: MetadataResponsePartition[];
}
export interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas?: number[];
}

// ---- OffsetCommit (8) -------------------------------------------------------

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  /** v2-4; -1 means the broker's retention. */
  retentionTimeMs: number;
  topics: { name: string; partitions: OffsetCommitRequestPartition[] }[];
}
export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  /** v1 only; -1 means now. */
  commitTimestamp?: number;
  committedMetadata: string | null;
}
export interface OffsetCommitResponse {
  throttleTimeMs?: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

// ---- OffsetFetch (9) --------------------------------------------------------

export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+) means every partition the group committed. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}
export interface OffsetFetchResponse {
  throttleTimeMs?: number;
  topics: { name: string; partitions: OffsetFetchResponsePartition[] }[];
  /** v2+. */
  errorCode?: number;
}
export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  metadata: string | null;
  errorCode: number;
}

// ---- FindCoordinator (10) ---------------------------------------------------

export interface FindCoordinatorRequest {
  key: string;
  /** 0 group, 1 transaction. */
  keyType: number;
}
export interface FindCoordinatorResponse {
  throttleTimeMs?: number;
  errorCode: number;
  errorMessage?: string | null;
  nodeId: number;
  host: string;
  port: number;
}

// ---- JoinGroup (11) ---------------------------------------------------------

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}
export interface JoinGroupResponse {
  throttleTimeMs?: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: JoinGroupResponseMember[];
}
export interface JoinGroupResponseMember {
  memberId: string;
  groupInstanceId?: string | null;
  metadata: Buffer;
}

// ---- Heartbeat (12) ---------------------------------------------------------

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}
export interface HeartbeatResponse {
  throttleTimeMs?: number;
  errorCode: number;
}

// ---- LeaveGroup (13) --------------------------------------------------------

export interface LeaveGroupRequest {
  groupId: string;
  /** v0-2: the one member leaving. */
  memberId: string;
  /** v3+: the members leaving. */
  members: { memberId: string; groupInstanceId: string | null }[];
}
export interface LeaveGroupResponse {
  throttleTimeMs?: number;
  errorCode: number;
  members?: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

// ---- SyncGroup (14) ---------------------------------------------------------

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** Empty unless the member is the group leader. */
  assignments: { memberId: string; assignment: Buffer }[];
}
export interface SyncGroupResponse {
  throttleTimeMs?: number;
  errorCode: number;
  assignment: Buffer;
}

// ---- DescribeGroups (15) ----------------------------------------------------

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}
export interface DescribeGroupsResponse {
  throttleTimeMs?: number;
  groups: DescribedGroup[];
}
export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations?: number;
}
export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId?: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

// ---- ListGroups (16) --------------------------------------------------------

export type ListGroupsRequest = Record<string, never>;
export interface ListGroupsResponse {
  throttleTimeMs?: number;
  errorCode: number;
  groups: { groupId: string; protocolType: string }[];
}

// ---- ApiVersions (18) -------------------------------------------------------

export type ApiVersionsRequest = Record<string, never>;
export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersion[];
  throttleTimeMs?: number;
}
export interface ApiVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

// ---- CreateTopics (19) ------------------------------------------------------

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}
export interface CreatableTopic {
  name: string;
  /** -1: the broker's default. */
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}
export interface CreateTopicsResponse {
  throttleTimeMs?: number;
  topics: { name: string; errorCode: number; errorMessage?: string | null }[];
}

// ---- DeleteTopics (20) ------------------------------------------------------

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}
export interface DeleteTopicsResponse {
  throttleTimeMs?: number;
  responses: { name: string; errorCode: number }[];
}

// ---- DeleteRecords (21) -----------------------------------------------------

export interface DeleteRecordsRequest {
  /** `offset` -1 means the high watermark. */
  topics: { name: string; partitions: { partitionIndex: number; offset: number }[] }[];
  timeoutMs: number;
}
export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; lowWatermark: number; errorCode: number }[] }[];
}

// ---- InitProducerId (22) ----------------------------------------------------

export interface InitProducerIdRequest {
  /** null for an idempotent (non-transactional) producer. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
}
export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

// ---- OffsetForLeaderEpoch (23) ----------------------------------------------

export interface OffsetForLeaderEpochRequest {
  /** v3+; -1 for a consumer, -2 (the default) for a debug client. */
  replicaId: number;
  topics: { topic: string; partitions: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[] }[];
}
export interface OffsetForLeaderEpochResponse {
  throttleTimeMs?: number;
  topics: { topic: string; partitions: { errorCode: number; partition: number; leaderEpoch?: number; endOffset: number }[] }[];
}

// ---- DescribeConfigs (32) ---------------------------------------------------

export interface DescribeConfigsRequest {
  /** resourceType 2 topic, 4 broker; configurationKeys null means all. */
  resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}
export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}
export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsEntry[];
}
export interface DescribeConfigsEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v0 only. */
  isDefault?: boolean;
  /** v1+: 1 dynamic topic config, 4 static broker config, 5 default. */
  configSource?: number;
  isSensitive: boolean;
  synonyms?: { name: string; value: string | null; source: number }[];
  /** v3+: 1 BOOLEAN, 2 STRING, 3 INT, 4 SHORT, 5 LONG, 6 DOUBLE, 7 LIST, 8 CLASS, 9 PASSWORD. */
  configType?: number;
  documentation?: string | null;
}

// ---- CreatePartitions (37) --------------------------------------------------

export interface CreatePartitionsRequest {
  /** `count` is the new total; `assignments` null lets the broker place them. */
  topics: { name: string; count: number; assignments: { brokerIds: number[] }[] | null }[];
  timeoutMs: number;
  validateOnly: boolean;
}
export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: { name: string; errorCode: number; errorMessage: string | null }[];
}

// ---- copyless extensions (10000+) ---------------------------------------------

/** Request of every Copyless* JSON API: the payload is one JSON document. */
export interface CopylessJsonRequest {
  json: string;
}
export interface CopylessJsonResponse {
  errorCode: number;
  errorMessage: string | null;
  json: string;
}
/** CopylessFetch's request is exactly FetchRequest v11. */
export type CopylessFetchRequest = FetchRequest;
/** FetchResponse v11 followed by the fetch-mode accounting of this fetch. */
export interface CopylessFetchResponse<R extends RecordsValue = Decoded> extends FetchResponse<R> {
  accounting: { name: string; value: number }[];
}

// ---- SaslHandshake (17), SaslAuthenticate (36) -------------------------------

export interface SaslHandshakeRequest {
  mechanism: string;
}
export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}
export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}
export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** v1+; 0: the session never needs re-authentication. */
  sessionLifetimeMs?: number;
}

// ---- bodies by API key (for typed wrappers around the untyped codec) ----------

export interface RequestBodyByKey {
  0: ProduceRequest;
  1: FetchRequest;
  2: ListOffsetsRequest;
  3: MetadataRequest;
  8: OffsetCommitRequest;
  9: OffsetFetchRequest;
  10: FindCoordinatorRequest;
  11: JoinGroupRequest;
  12: HeartbeatRequest;
  13: LeaveGroupRequest;
  14: SyncGroupRequest;
  15: DescribeGroupsRequest;
  16: ListGroupsRequest;
  17: SaslHandshakeRequest;
  18: ApiVersionsRequest;
  19: CreateTopicsRequest;
  20: DeleteTopicsRequest;
  21: DeleteRecordsRequest;
  22: InitProducerIdRequest;
  23: OffsetForLeaderEpochRequest;
  32: DescribeConfigsRequest;
  37: CreatePartitionsRequest;
  36: SaslAuthenticateRequest;
  10000: CopylessJsonRequest;
  10001: CopylessJsonRequest;
  10002: CopylessJsonRequest;
  10003: CopylessJsonRequest;
  10004: CopylessJsonRequest;
  10005: CopylessJsonRequest;
  10006: CopylessJsonRequest;
  10010: CopylessFetchRequest;
}

/** Decoded response bodies by key (`records` as `Buffer | null`). */
export interface ResponseBodyByKey {
  0: ProduceResponse;
  1: FetchResponse;
  2: ListOffsetsResponse;
  3: MetadataResponse;
  8: OffsetCommitResponse;
  9: OffsetFetchResponse;
  10: FindCoordinatorResponse;
  11: JoinGroupResponse;
  12: HeartbeatResponse;
  13: LeaveGroupResponse;
  14: SyncGroupResponse;
  15: DescribeGroupsResponse;
  16: ListGroupsResponse;
  17: SaslHandshakeResponse;
  18: ApiVersionsResponse;
  19: CreateTopicsResponse;
  20: DeleteTopicsResponse;
  21: DeleteRecordsResponse;
  22: InitProducerIdResponse;
  23: OffsetForLeaderEpochResponse;
  32: DescribeConfigsResponse;
  37: CreatePartitionsResponse;
  36: SaslAuthenticateResponse;
  10000: CopylessJsonResponse;
  10001: CopylessJsonResponse;
  10002: CopylessJsonResponse;
  10003: CopylessJsonResponse;
  10004: CopylessJsonResponse;
  10005: CopylessJsonResponse;
  10006: CopylessJsonResponse;
  10010: CopylessFetchResponse;
}
