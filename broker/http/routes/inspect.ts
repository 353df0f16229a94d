// Log inspection routes (the dashboard's log inspector and page-cache detail
// read them; so can anyone with curl):
//   GET /topics/:topic/partitions/:partition/batches                   stored batches described field by field
//   GET /topics/:topic/partitions/:partition/segments/:baseOffset/pages one segment's pages in the simulated cache
// Reading batches is a fetch served with the copy mode (the bytes are decoded
// in user space) and counted as one, like the JSON fetch.

import type { FastifyInstance } from 'fastify';
import { CopylessError } from '../../../src/errors.ts';
import { INSPECT_BATCHES_MAX, INSPECT_BYTES_DEFAULT, PAGE_BYTES } from '../../../src/limits.ts';
import { PageState } from '../../../src/storage/page-cache.ts';
import { pageStateCode } from '../../dashboard/page-map.ts';
import { validateTopicName } from '../../../src/topic-name.ts';
import { CellState, PAGE_STATE_LETTERS } from '../../dashboard/messages.ts';
import type { HttpContext } from '../context.ts';
import { inspectBatches } from '../batch-inspect.ts';
import { fetchPartition, type OffsetSpec } from '../fetch.ts';
import { errorResponses, jsonBytesSchema, headerListSchema, partitionParamsSchema, topicParam } from '../schemas.ts';
import { requestSignal } from './records.ts';

const batchSchema = {
  type: 'object',
  properties: {
    baseOffset: { type: 'integer' },
    lastOffset: { type: 'integer' },
    filePosition: { type: 'integer', description: "the batch's byte position in its segment's .log file" },
    totalBytes: { type: 'integer' },
    partitionLeaderEpoch: { type: 'integer' },
    magic: { type: 'integer' },
    crc: { type: 'string', description: 'CRC-32C as stored (8 hex digits)' },
    crcComputed: { type: 'string', description: 'CRC-32C of the bytes now, over [attributes, end)' },
    crcValid: { type: 'boolean' },
    compression: { type: 'string' },
    timestampType: { type: 'string', enum: ['CreateTime', 'LogAppendTime'] },
    transactional: { type: 'boolean' },
    control: { type: 'boolean' },
    baseTimestamp: { type: 'integer' },
    maxTimestamp: { type: 'integer' },
    producerId: { type: 'integer' },
    producerEpoch: { type: 'integer' },
    baseSequence: { type: 'integer' },
    recordsCount: { type: 'integer' },
    records: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        properties: { offset: { type: 'integer' }, timestamp: { type: 'integer' }, key: jsonBytesSchema, value: jsonBytesSchema, headers: headerListSchema },
      },
    },
    recordsError: { type: ['string', 'null'] },
  },
} as const;

const batchesAnswerSchema = {
  type: 'object',
  required: ['topic', 'partition', 'batches'],
  properties: {
    topic: { type: 'string' },
    partition: { type: 'integer' },
    fetchOffset: { type: 'integer' },
    fetchMode: { type: 'string', enum: ['copy'] },
    highWatermark: { type: 'integer' },
    logStartOffset: { type: 'integer' },
    segmentBaseOffset: { type: ['integer', 'null'] },
    nextOffset: { type: ['integer', 'null'], description: 'offset to ask for to read on; null when no whole batch was read' },
    stopReason: { type: ['string', 'null'] },
    batches: { type: 'array', items: batchSchema },
  },
} as const;

const batchesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    offset: {
      anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['earliest', 'latest'] }],
      default: 'earliest',
      description: 'the first batch described is the one holding this offset',
    },
    maxBytes: { type: 'integer', minimum: 1, default: INSPECT_BYTES_DEFAULT, description: 'bytes read at most (one whole batch at least); limit fetchBytesMax' },
    limit: { type: 'integer', minimum: 1, maximum: INSPECT_BATCHES_MAX, default: 50, description: `batches described at most (INSPECT_BATCHES_MAX = ${INSPECT_BATCHES_MAX})` },
    records: { type: 'boolean', default: true, description: "decode each batch's records (keys, values, header values as base64)" },
  },
} as const;

const pagesAnswerSchema = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    partition: { type: 'integer' },
    baseOffset: { type: 'integer' },
    active: { type: 'boolean' },
    sizeBytes: { type: 'integer' },
    pageBytes: { type: 'integer' },
    pages: { type: 'integer' },
    states: { type: 'string', description: `one letter per page: ${PAGE_STATE_LETTERS_DOC()}` },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
    readAhead: {
      type: ['object', 'null'],
      properties: { startPage: { type: 'integer' }, pages: { type: 'integer' }, asyncPages: { type: 'integer' } },
    },
  },
} as const;

function PAGE_STATE_LETTERS_DOC(): string {
  const names = ['not cached', 'inactive', 'active', 'dirty', 'under write-back', 'pinned'];
  return names.map((n, i) => `${PAGE_STATE_LETTERS[i]} ${n}`).join(', ');
}

interface BatchesQuery {
  offset: OffsetSpec;
  maxBytes: number;
  limit: number;
  records: boolean;
}

export function inspectRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;
  const tags = ['inspect'];

  app.get<{ Params: { topic: string; partition: number }; Querystring: BatchesQuery }>(
    '/topics/:topic/partitions/:partition/batches',
    {
      schema: {
        summary: 'Stored record batches from an offset, described field by field (CRC checked), with their records; served with the copy mode',
        tags,
        params: partitionParamsSchema,
        querystring: batchesQuerySchema,
        response: { 200: batchesAnswerSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { topic, partition } = request.params;
      const q = request.query;
      const req = { topic, partition, offset: q.offset, maxBytes: q.maxBytes, maxWaitMs: 0 };
      const { result, fetchOffset } = await fetchPartition(broker, req, requestSignal(reply, ctx.closing));
      const p = result.partitions[0];
      const slice = p.slice;
      const served = await broker.serve(result, 'copy');
      try {
        const bytes = (served.records[0]?.parts[0] as Buffer | undefined) ?? Buffer.alloc(0);
        const inspected = inspectBatches(bytes, { filePosition: slice?.position ?? 0, limit: q.limit, records: q.records });
        return {
          topic,
          partition,
          fetchOffset,
          fetchMode: 'copy',
          highWatermark: p.highWatermark,
          logStartOffset: p.logStartOffset,
          segmentBaseOffset: slice?.segmentBaseOffset ?? null,
          ...inspected,
        };
      } finally {
        served.release();
      }
    },
  );

  app.get<{ Params: { topic: string; partition: number; baseOffset: number } }>(
    '/topics/:topic/partitions/:partition/segments/:baseOffset/pages',
    {
      schema: {
        summary: "One segment's pages in the simulated page cache (a letter per page) and its read-ahead window",
        tags,
        params: {
          type: 'object',
          required: ['topic', 'partition', 'baseOffset'],
          properties: { topic: topicParam, partition: { type: 'integer', minimum: 0 }, baseOffset: { type: 'integer', minimum: 0 } },
        },
        response: { 200: pagesAnswerSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { partition, baseOffset } = request.params;
      const topic = validateTopicName(request.params.topic);
      const segment = broker
        .partitionLog(topic, partition)
        .segments()
        .find((s) => s.baseOffset === baseOffset);
      if (!segment) {
        throw new CopylessError('NOT_FOUND', `${topic}-${partition} has no segment with base offset ${baseOffset}`, { topic, partition, offset: baseOffset });
      }
      const bits = broker.pageCache.pageStates(segment.fileId);
      const writeBackPages = Math.ceil(segment.writeBackBytes / PAGE_BYTES);
      const counts = { resident: 0, inactive: 0, active: 0, dirty: 0, writeBack: 0, pinned: 0 };
      let states = '';
      for (let page = 0; page < bits.length; page++) {
        const code = pageStateCode(bits[page], page, writeBackPages);
        states += PAGE_STATE_LETTERS[code];
        if (code !== CellState.NONE) counts.resident++;
        if (bits[page] & PageState.DIRTY) counts.dirty++;
        if (bits[page] & PageState.PINNED) counts.pinned++;
        if (bits[page] & PageState.ACTIVE) counts.active++;
        else if (bits[page] & PageState.RESIDENT) counts.inactive++;
        if (code === CellState.WRITEBACK) counts.writeBack++;
      }
      const window = broker.pageCache.snapshotFrames().readAhead.find((w) => w.fileId === segment.fileId) ?? null;
      return {
        topic,
        partition,
        baseOffset,
        active: segment.active,
        sizeBytes: segment.sizeBytes,
        pageBytes: PAGE_BYTES,
        pages: bits.length,
        states,
        counts,
        readAhead: window && { startPage: window.startPage, pages: window.pages, asyncPages: window.asyncPages },
      };
    },
  );
}
