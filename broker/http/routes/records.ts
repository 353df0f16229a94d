// Produce and fetch routes.
//   POST /topics/:topic/records                        JSON records or raw batches
//   POST /topics/:topic/partitions/:partition/records  the same, to one partition
//   GET  /topics/:topic/partitions/:partition/records  JSON records (copy mode) or,
//        with Accept: application/octet-stream, the stored batch bytes through a fetch mode

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CopylessError } from '../../../src/errors.ts';
import { HTTP_FETCH_BYTES_DEFAULT } from '../../../src/limits.ts';
import type { HttpContext } from '../context.ts';
import { parseOptionalFetchMode } from '../fetch.ts';
import { streamJsonFetch } from '../json-fetch.ts';
import { BYTES_ENCODINGS, parseJsonRecords, type BytesEncoding, type ParsedRecord } from '../json-records.ts';
import { parseAcks, PRODUCE_TIMEOUT_MS_DEFAULT } from '../produce.ts';
import { isRawAccept, RAW_BATCH_MEDIA_TYPES, sendRawFetch } from '../raw-fetch.ts';
import {
  accountingSchema,
  errorResponses,
  fetchModeSchema,
  partitionParamsSchema,
  producedSchema,
  recordInSchema,
  recordOutSchema,
  topicParamsSchema,
} from '../schemas.ts';

const rawBodySchema = { description: 'one or more RecordBatch v2 in the stored (wire) format, appended as they are' };

const produceBodySchema = {
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['records'],
        additionalProperties: false,
        properties: { records: { type: 'array', minItems: 1, items: recordInSchema } },
      },
    },
    ...Object.fromEntries(RAW_BATCH_MEDIA_TYPES.map((t) => [t, { schema: rawBodySchema }])),
  },
} as const;

const produceQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    partition: { type: 'integer', minimum: 0, description: 'partition for records that name none (raw bodies: default 0)' },
    acks: { type: 'string', enum: ['-1', '0', '1', 'all'], default: '1', description: '1: after the append; -1/all: after fsync; 0: as 1 (HTTP always answers)' },
    timeoutMs: { type: 'integer', minimum: 1, default: PRODUCE_TIMEOUT_MS_DEFAULT, description: 'acks=-1: how long to wait for fsync' },
  },
} as const;

const fetchQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    offset: {
      anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['earliest', 'latest'] }],
      default: 'earliest',
      description: 'first offset wanted; a fetch returns whole stored batches, the JSON answer drops records before it',
    },
    maxBytes: { type: 'integer', minimum: 1, default: HTTP_FETCH_BYTES_DEFAULT, description: 'record bytes at most (one whole batch at least); limit fetchBytesMax' },
    maxWaitMs: { type: 'integer', minimum: 0, default: 0, description: 'long-poll: wait this long for records at the log end; limit fetchWaitMsMax' },
    fetchMode: { ...fetchModeSchema, description: 'raw answers: the fetch mode (default: the broker default). JSON answers always use copy.' },
    encoding: { type: 'string', enum: [...BYTES_ENCODINGS], default: 'auto', description: 'auto: UTF-8 strings where the bytes allow, else {base64}; base64: always {base64}' },
  },
} as const;

const fetchJsonSchema = {
  type: 'object',
  required: ['topic', 'partition', 'fetchMode', 'highWatermark', 'logStartOffset', 'nextOffset', 'records'],
  properties: {
    topic: { type: 'string' },
    partition: { type: 'integer' },
    fetchMode: { type: 'string', enum: ['copy'] },
    requestedFetchMode: { type: ['string', 'null'] },
    note: { type: 'string' },
    highWatermark: { type: 'integer' },
    logStartOffset: { type: 'integer' },
    nextOffset: { type: 'integer' },
    records: { type: 'array', items: recordOutSchema },
    accounting: accountingSchema,
  },
} as const;

const rawAnswerSchema = { type: 'string', description: 'the stored batch bytes, unchanged; X-Copyless-* headers carry offsets and the fetch mode' };

interface ProduceQuery {
  partition?: number;
  acks: string;
  timeoutMs: number;
}

interface ProduceRoute {
  Params: { topic: string; partition?: number };
  Querystring: ProduceQuery;
  Body: unknown;
}

interface FetchQuery {
  offset: number | 'earliest' | 'latest';
  maxBytes: number;
  maxWaitMs: number;
  fetchMode?: string;
  encoding: BytesEncoding;
}

/**
 * Aborted when the client goes away or the server closes, so a long-poll stops
 * waiting. The response's own 'close' (answer finished, or connection lost)
 * ends it, so nothing accumulates on a keep-alive socket.
 */
export function requestSignal(reply: FastifyReply, closing: AbortSignal): AbortSignal {
  const ac = new AbortController();
  const abort = () => ac.abort();
  reply.raw.once('close', abort);
  closing.addEventListener('abort', abort, { once: true });
  ac.signal.addEventListener('abort', () => closing.removeEventListener('abort', abort), { once: true });
  return ac.signal;
}

export function recordRoutes(app: FastifyInstance, ctx: HttpContext): void {
  // JSON records are parsed before schema validation: ajv would coerce a number value into a string, and bytes must be what was sent.
  const parsed = new WeakMap<FastifyRequest, ParsedRecord[]>();
  const parseRecords = async (request: FastifyRequest) => {
    if (Buffer.isBuffer(request.body)) return;
    const body = request.body as { records?: unknown } | null;
    if (typeof body !== 'object' || body === null) throw new CopylessError('INVALID_REQUEST', 'the body must be {"records": [...]}', { field: 'body' });
    parsed.set(request, parseJsonRecords(body.records));
  };
  const produce = async (request: FastifyRequest<ProduceRoute>) => {
    const q = request.query;
    const partition = request.params.partition ?? q.partition;
    const o = { acks: parseAcks(q.acks), timeoutMs: q.timeoutMs, partition };
    const records = parsed.get(request);
    const out = records
      ? await ctx.producer.produceJson(request.params.topic, records, o)
      : await ctx.producer.produceRaw(request.params.topic, partition ?? 0, request.body as Buffer, o);
    return { ...out, acks: o.acks };
  };
  const produceSchema = (params: object, summary: string) => ({
    summary,
    tags: ['records'],
    params,
    querystring: produceQuerySchema,
    body: produceBodySchema,
    response: { 200: producedSchema, ...errorResponses },
  });
  app.post<ProduceRoute>('/topics/:topic/records', { schema: produceSchema(topicParamsSchema, 'Produce records (JSON, or raw RecordBatch bytes)'), preValidation: parseRecords }, produce);
  app.post<ProduceRoute>(
    '/topics/:topic/partitions/:partition/records',
    { schema: produceSchema(partitionParamsSchema, 'Produce records to one partition'), preValidation: parseRecords },
    produce,
  );

  app.get<{ Params: { topic: string; partition: number }; Querystring: FetchQuery }>(
    '/topics/:topic/partitions/:partition/records',
    {
      schema: {
        summary: 'Fetch records from an offset: decoded JSON (copy mode) or, with Accept: application/octet-stream, the stored batch bytes through a fetch mode',
        tags: ['records'],
        params: partitionParamsSchema,
        querystring: fetchQuerySchema,
        response: {
          200: {
            content: {
              'application/json': { schema: fetchJsonSchema },
              ...Object.fromEntries(RAW_BATCH_MEDIA_TYPES.map((t) => [t, { schema: rawAnswerSchema }])),
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const { topic, partition } = request.params;
      const fetchMode = parseOptionalFetchMode(q.fetchMode);
      const req = { topic, partition, offset: q.offset, maxBytes: q.maxBytes, maxWaitMs: q.maxWaitMs };
      const signal = requestSignal(reply, ctx.closing);
      if (isRawAccept(request.headers.accept)) {
        await sendRawFetch(ctx, request, reply, { ...req, fetchMode: fetchMode ?? ctx.broker.config.fetchMode }, signal);
        return reply;
      }
      await streamJsonFetch(ctx, reply, { ...req, encoding: q.encoding, requestedFetchMode: fetchMode }, signal);
      return reply;
    },
  );
}
