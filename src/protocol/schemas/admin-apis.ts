// Schemas of the admin and producer-id APIs, transcribed from Apache Kafka
// 3.8's message JSON (see topic-apis.ts for the conventions). Only the
// classic, non-flexible versions are here: DeleteRecords v0-1, InitProducerId
// v0-1, OffsetForLeaderEpoch v0-3, DescribeConfigs v0-3, CreatePartitions v0-1.

import { array, field, type Schema } from '../schema.ts';

// ---- DeleteRecords (21): v0-1 -------------------------------------------

export const DeleteRecordsRequestSchema: Schema = [
  array('topics', [
    field('name', 'string'),
    array('partitions', [
      field('partitionIndex', 'int32'),
      field('offset', 'int64'),
    ]),
  ]),
  field('timeoutMs', 'int32'),
];

export const DeleteRecordsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32'),
  array('topics', [
    field('name', 'string'),
    array('partitions', [
      field('partitionIndex', 'int32'),
      field('lowWatermark', 'int64'),
      field('errorCode', 'int16'),
    ]),
  ]),
];

// ---- InitProducerId (22): v0-1 (v2 is the first flexible version) -------

export const InitProducerIdRequestSchema: Schema = [
  field('transactionalId', 'string', '0+', { nullable: '0+' }),
  field('transactionTimeoutMs', 'int32'),
];

export const InitProducerIdResponseSchema: Schema = [
  field('throttleTimeMs', 'int32'),
  field('errorCode', 'int16'),
  field('producerId', 'int64', '0+', { default: -1 }),
  field('producerEpoch', 'int16'),
];

// ---- OffsetForLeaderEpoch (23): v0-3 ------------------------------------

export const OffsetForLeaderEpochRequestSchema: Schema = [
  field('replicaId', 'int32', '3+', { default: -2 }),
  array('topics', [
    field('topic', 'string'),
    array('partitions', [
      field('partition', 'int32'),
      field('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
      field('leaderEpoch', 'int32'),
    ]),
  ]),
];

export const OffsetForLeaderEpochResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '2+'),
  array('topics', [
    field('topic', 'string'),
    array('partitions', [
      field('errorCode', 'int16'),
      field('partition', 'int32'),
      field('leaderEpoch', 'int32', '1+', { default: -1 }),
      field('endOffset', 'int64', '0+', { default: -1 }),
    ]),
  ]),
];

// ---- DescribeConfigs (32): v0-3 -----------------------------------------

export const DescribeConfigsRequestSchema: Schema = [
  array('resources', [
    field('resourceType', 'int8'),
    field('resourceName', 'string'),
    // null lists every config of the resource
    array('configurationKeys', 'string', '0+', { nullable: '0+' }),
  ]),
  field('includeSynonyms', 'bool', '1+'),
  field('includeDocumentation', 'bool', '3+'),
];

export const DescribeConfigsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32'),
  array('results', [
    field('errorCode', 'int16'),
    field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    field('resourceType', 'int8'),
    field('resourceName', 'string'),
    array('configs', [
      field('name', 'string'),
      field('value', 'string', '0+', { nullable: '0+', default: null }),
      field('readOnly', 'bool'),
      field('isDefault', 'bool', '0'),
      field('configSource', 'int8', '1+', { default: -1 }),
      field('isSensitive', 'bool'),
      array('synonyms', [
        field('name', 'string'),
        field('value', 'string', '1+', { nullable: '0+', default: null }),
        field('source', 'int8'),
      ], '1+'),
      field('configType', 'int8', '3+'),
      field('documentation', 'string', '3+', { nullable: '0+', default: null }),
    ]),
  ]),
];

// ---- CreatePartitions (37): v0-1 ----------------------------------------

export const CreatePartitionsRequestSchema: Schema = [
  array('topics', [
    field('name', 'string'),
    field('count', 'int32'),
    // null: the broker assigns the new partitions (a single broker has only itself)
    array('assignments', [array('brokerIds', 'int32')], '0+', { nullable: '0+', default: null }),
  ]),
  field('timeoutMs', 'int32'),
  field('validateOnly', 'bool'),
];

export const CreatePartitionsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32'),
  array('results', [
    field('name', 'string'),
    field('errorCode', 'int16'),
    field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
  ]),
];
