// Topic routes: list, create, describe (offsets, segments, bytes and
// simulated page-cache residency), delete.

import type { FastifyInstance } from 'fastify';
import { PAGE_BYTES, PARTITIONS_MAX } from '../../../src/limits.ts';
import { validateTopicName } from '../../../src/topic-name.ts';
import type { TopicDescription } from '../../broker.ts';
import type { HttpContext } from '../context.ts';
import { errorResponses, topicDescriptionSchema, topicParam, topicParamsSchema } from '../schemas.ts';

const topicSummarySchema = {
  type: 'object',
  required: ['name', 'topicId', 'partitions'],
  properties: {
    name: { type: 'string' },
    topicId: { type: 'string' },
    partitions: { type: 'integer' },
    sizeBytes: { type: 'integer' },
    messages: { type: 'integer', description: 'sum over partitions of logEndOffset - logStartOffset' },
  },
} as const;

const createBodySchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: topicParam,
    partitions: { type: 'integer', minimum: 1, maximum: PARTITIONS_MAX, description: 'default: the broker defaultPartitions' },
    config: {
      type: 'object',
      description: 'Kafka topic configs ("retention.ms": "60000") or copyless LogConfig fields',
      additionalProperties: { type: ['string', 'number', 'null'] },
    },
  },
} as const;

interface CreateBody {
  name: string;
  partitions?: number;
  config?: Record<string, string | number | null>;
}

/** A topic description with each partition's resident bytes spelled out next to its page count. */
function describe(ctx: HttpContext, name: string): TopicDescription & { partitions: Array<TopicDescription['partitions'][number] & { residentBytes: number }> } {
  const [d] = ctx.broker.describeTopics([validateTopicName(name)]);
  return { ...d, partitions: d.partitions.map((p) => ({ ...p, residentBytes: p.residentPages * PAGE_BYTES })) };
}

export function topicRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(
    '/topics',
    {
      schema: {
        summary: 'List topics',
        tags: ['topics'],
        response: { 200: { type: 'object', required: ['topics'], properties: { topics: { type: 'array', items: topicSummarySchema } } }, ...errorResponses },
      },
    },
    async () => ({
      topics: ctx.broker.describeTopics().map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitions.length,
        sizeBytes: t.partitions.reduce((n, p) => n + p.sizeBytes, 0),
        messages: t.partitions.reduce((n, p) => n + p.logEndOffset - p.logStartOffset, 0),
      })),
    }),
  );

  app.post<{ Body: CreateBody }>(
    '/topics',
    {
      schema: {
        summary: 'Create a topic',
        tags: ['topics'],
        body: createBodySchema,
        response: { 201: topicDescriptionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, partitions, config } = request.body;
      validateTopicName(name);
      await ctx.broker.createTopic(name, { partitions, config: (config ?? {}) as Record<string, string | null> });
      return reply.code(201).send(describe(ctx, name));
    },
  );

  app.get<{ Params: { topic: string } }>(
    '/topics/:topic',
    {
      schema: {
        summary: 'Describe a topic: partitions, offsets, segments, bytes and page-cache residency',
        tags: ['topics'],
        params: topicParamsSchema,
        response: { 200: topicDescriptionSchema, ...errorResponses },
      },
    },
    async (request) => describe(ctx, request.params.topic),
  );

  app.delete<{ Params: { topic: string } }>(
    '/topics/:topic',
    {
      schema: {
        summary: 'Delete a topic and its data',
        tags: ['topics'],
        params: topicParamsSchema,
        response: { 200: { type: 'object', properties: { topic: { type: 'string' }, deleted: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request) => {
      await ctx.broker.deleteTopic(validateTopicName(request.params.topic));
      return { topic: request.params.topic, deleted: true };
    },
  );
}

