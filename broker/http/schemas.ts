// JSON schemas shared by the routes: they validate requests (ajv, through
// fastify), serialize answers (fast-json-stringify drops any field not listed
// here, so every answer field is listed) and become /openapi.json.

import { FETCH_MODES } from '../../src/fetch/fetch-mode.ts';
import { TOPIC_NAME_LENGTH_MAX } from '../../src/limits.ts';
import { errorSchema } from './errors.ts';

/** Bytes in JSON: null, a UTF-8 string, or {"base64": "..."} (see json-records.ts). */
export const jsonBytesSchema = {
  type: ['string', 'null', 'object'],
  description: 'null, a UTF-8 string, or {"base64": "..."} for any bytes',
  required: ['base64'],
  properties: { base64: { type: 'string' } },
  additionalProperties: false,
} as const;

export const headerListSchema = {
  type: 'array',
  items: { type: 'object', required: ['key'], additionalProperties: false, properties: { key: { type: 'string' }, value: jsonBytesSchema } },
} as const;

export const recordInSchema = {
  type: 'object',
  required: ['value'],
  additionalProperties: false,
  properties: {
    key: jsonBytesSchema,
    value: jsonBytesSchema,
    headers: {
      description: 'a list of {key, value} (a key may repeat) or an object {key: value}',
      anyOf: [headerListSchema, { type: 'object', additionalProperties: jsonBytesSchema }],
    },
    partition: { type: 'integer', minimum: 0, description: 'this record goes to this partition (else the request partition, the key hash, or the sticky keyless partition)' },
    timestamp: { type: 'integer', minimum: 0, description: 'CreateTime in ms since the epoch (default: now)' },
  },
} as const;

export const recordOutSchema = {
  type: 'object',
  required: ['offset', 'timestamp', 'key', 'value', 'headers'],
  properties: {
    offset: { type: 'integer' },
    timestamp: { type: 'integer' },
    key: jsonBytesSchema,
    value: jsonBytesSchema,
    headers: headerListSchema,
  },
} as const;

export const accountingSchema = {
  type: ['object', 'null'],
  description: 'per-fetch accounting of the fetch mode (system calls, mode switches, CPU copies, DMA, page-cache hits...); null when counted after a native send',
  additionalProperties: { type: 'number' },
} as const;

export const fetchModeSchema = { type: 'string', enum: [...FETCH_MODES] } as const;

// The name rule itself is checked by validateTopicName in every handler, so a
// bad name gets INVALID_TOPIC_EXCEPTION (17) on every interface alike.
export const topicParam = {
  type: 'string',
  description: `Kafka's rule: [a-zA-Z0-9._-], at most ${TOPIC_NAME_LENGTH_MAX} characters, not . or ..`,
} as const;

export const topicParamsSchema = {
  type: 'object',
  required: ['topic'],
  properties: { topic: topicParam },
} as const;

export const partitionParamsSchema = {
  type: 'object',
  required: ['topic', 'partition'],
  properties: { topic: topicParam, partition: { type: 'integer', minimum: 0 } },
} as const;

/** Error answers of every route: 4xx and 5xx, both the shared error object. */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

/** An object whose fields are not all fixed (broker info, config, stats): serialized as it is. */
export const openObject = { type: 'object', additionalProperties: true } as const;

export const producedSchema = {
  type: 'object',
  required: ['topic', 'batches'],
  properties: {
    topic: { type: 'string' },
    acks: { type: 'integer' },
    batches: {
      type: 'array',
      items: {
        type: 'object',
        required: ['partition', 'baseOffset', 'lastOffset', 'records'],
        properties: {
          partition: { type: 'integer' },
          baseOffset: { type: 'integer' },
          lastOffset: { type: 'integer' },
          records: { type: 'integer' },
        },
      },
    },
    offsets: {
      type: 'array',
      description: 'one entry per record in request order (JSON produce)',
      items: { type: 'object', required: ['partition', 'offset'], properties: { partition: { type: 'integer' }, offset: { type: 'integer' } } },
    },
  },
} as const;

export const segmentSchema = {
  type: 'object',
  properties: {
    baseOffset: { type: 'integer' },
    sizeBytes: { type: 'integer' },
    residentPages: { type: 'integer' },
    dirtyPages: { type: 'integer' },
    active: { type: 'boolean' },
    indexEntries: { type: 'integer', description: 'offset-index entries' },
    timeIndexEntries: { type: 'integer', description: 'time-index entries' },
  },
} as const;

export const topicDescriptionSchema = {
  type: 'object',
  required: ['name', 'topicId', 'partitions'],
  properties: {
    name: { type: 'string' },
    topicId: { type: 'string' },
    config: openObject,
    partitions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          partition: { type: 'integer' },
          logStartOffset: { type: 'integer' },
          logEndOffset: { type: 'integer' },
          sizeBytes: { type: 'integer' },
          residentPages: { type: 'integer' },
          residentBytes: { type: 'integer' },
          segments: { type: 'array', items: segmentSchema },
        },
      },
    },
  },
} as const;
