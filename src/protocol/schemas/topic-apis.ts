// Schemas of the topic and data APIs, transcribed from Apache Kafka 3.8's
// clients/src/main/resources/common/message/<Name>Request.json and
// <Name>Response.json. Field names are the JSON names in lowerCamelCase;
// version strings and defaults are the JSON's. Fields that exist only in
// versions copyless never speaks (below its minimum, or flexible-only) are
// left out.

import { array, field, type Schema } from '../schema.ts';

const INT32_MAX = 0x7fffffff;

// ---- Produce (0): v0-7 (v0-2 decoded only to be refused) ----------------

export const ProduceRequestSchema: Schema = [
  field('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
  field('acks', 'int16'),
  field('timeoutMs', 'int32'),
  array('topicData', [
    field('name', 'string'),
    array('partitionData', [
      field('index', 'int32'),
      field('records', 'records', '0+', { nullable: '0+' }),
    ]),
  ]),
];

export const ProduceResponseSchema: Schema = [
  array('responses', [
    field('name', 'string'),
    array('partitionResponses', [
      field('index', 'int32'),
      field('errorCode', 'int16'),
      field('baseOffset', 'int64'),
      field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
      field('logStartOffset', 'int64', '5+', { default: -1 }),
    ]),
  ]),
  field('throttleTimeMs', 'int32', '1+'),
];

// ---- Fetch (1): v4-11 ---------------------------------------------------

export const FetchRequestSchema: Schema = [
  field('replicaId', 'int32'),
  field('maxWaitMs', 'int32'),
  field('minBytes', 'int32'),
  field('maxBytes', 'int32', '3+', { default: INT32_MAX }),
  field('isolationLevel', 'int8', '4+'),
  field('sessionId', 'int32', '7+'),
  field('sessionEpoch', 'int32', '7+', { default: -1 }),
  array('topics', [
    field('topic', 'string'),
    array('partitions', [
      field('partition', 'int32'),
      field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
      field('fetchOffset', 'int64'),
      field('logStartOffset', 'int64', '5+', { default: -1 }),
      field('partitionMaxBytes', 'int32'),
    ]),
  ]),
  array('forgottenTopicsData', [
    field('topic', 'string'),
    array('partitions', 'int32'),
  ], '7+'),
  field('rackId', 'string', '11+'),
];

/** The per-topic responses of FetchResponse; CopylessFetch reuses them. */
export const FetchResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '7+'),
  field('sessionId', 'int32', '7+'),
  array('responses', [
    field('topic', 'string'),
    array('partitions', [
      field('partitionIndex', 'int32'),
      field('errorCode', 'int16'),
      field('highWatermark', 'int64'),
      field('lastStableOffset', 'int64', '4+', { default: -1 }),
      field('logStartOffset', 'int64', '5+', { default: -1 }),
      array('abortedTransactions', [
        field('producerId', 'int64'),
        field('firstOffset', 'int64'),
      ], '4+', { nullable: '4+' }),
      field('preferredReadReplica', 'int32', '11+', { default: -1 }),
      field('records', 'records', '0+', { nullable: '0+' }),
    ]),
  ]),
];

// ---- ListOffsets (2): v0-3 ----------------------------------------------

export const ListOffsetsRequestSchema: Schema = [
  field('replicaId', 'int32'),
  field('isolationLevel', 'int8', '2+'),
  array('topics', [
    field('name', 'string'),
    array('partitions', [
      field('partitionIndex', 'int32'),
      field('timestamp', 'int64'),
      field('maxNumOffsets', 'int32', '0', { default: 1 }),
    ]),
  ]),
];

export const ListOffsetsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '2+'),
  array('topics', [
    field('name', 'string'),
    array('partitions', [
      field('partitionIndex', 'int32'),
      field('errorCode', 'int16'),
      array('oldStyleOffsets', 'int64', '0'),
      field('timestamp', 'int64', '1+', { default: -1 }),
      field('offset', 'int64', '1+', { default: -1 }),
    ]),
  ]),
];

// ---- Metadata (3): v0-6 -------------------------------------------------

export const MetadataRequestSchema: Schema = [
  // null (v1+) asks for every topic; v0 asks for every topic with an empty array
  array('topics', [field('name', 'string')], '0+', { nullable: '1+' }),
  field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
];

export const MetadataResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '3+'),
  array('brokers', [
    field('nodeId', 'int32'),
    field('host', 'string'),
    field('port', 'int32'),
    field('rack', 'string', '1+', { nullable: '1+', default: null }),
  ]),
  field('clusterId', 'string', '2+', { nullable: '2+', default: null }),
  field('controllerId', 'int32', '1+', { default: -1 }),
  array('topics', [
    field('errorCode', 'int16'),
    field('name', 'string'),
    field('isInternal', 'bool', '1+', { default: false }),
    array('partitions', [
      field('errorCode', 'int16'),
      field('partitionIndex', 'int32'),
      field('leaderId', 'int32'),
      array('replicaNodes', 'int32'),
      array('isrNodes', 'int32'),
      array('offlineReplicas', 'int32', '5+'),
    ]),
  ]),
];

// ---- ApiVersions (18): v0-2 ---------------------------------------------

export const ApiVersionsRequestSchema: Schema = [];

export const ApiVersionsResponseSchema: Schema = [
  field('errorCode', 'int16'),
  array('apiKeys', [
    field('apiKey', 'int16'),
    field('minVersion', 'int16'),
    field('maxVersion', 'int16'),
  ]),
  field('throttleTimeMs', 'int32', '1+'),
];

// ---- CreateTopics (19): v0-3 --------------------------------------------

export const CreateTopicsRequestSchema: Schema = [
  array('topics', [
    field('name', 'string'),
    field('numPartitions', 'int32'),
    field('replicationFactor', 'int16'),
    array('assignments', [
      field('partitionIndex', 'int32'),
      array('brokerIds', 'int32'),
    ]),
    array('configs', [
      field('name', 'string'),
      field('value', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
  field('timeoutMs', 'int32', '0+', { default: 60000 }),
  field('validateOnly', 'bool', '1+', { default: false }),
];

export const CreateTopicsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '2+'),
  array('topics', [
    field('name', 'string'),
    field('errorCode', 'int16'),
    field('errorMessage', 'string', '1+', { nullable: '0+', default: null }),
  ]),
];

// ---- DeleteTopics (20): v0-3 --------------------------------------------

export const DeleteTopicsRequestSchema: Schema = [
  array('topicNames', 'string', '0-5'),
  field('timeoutMs', 'int32'),
];

export const DeleteTopicsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  array('responses', [
    field('name', 'string'),
    field('errorCode', 'int16'),
  ]),
];
