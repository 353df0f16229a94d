// Consumer-group routes over the group coordinator (broker/groups): list,
// describe with lag per partition, reset committed offsets (only while the
// group has no active members, as Kafka's kafka-consumer-groups tool).

import type { FastifyInstance } from 'fastify';
import { CopylessError } from '../../../src/errors.ts';
import { validateTopicName } from '../../../src/topic-name.ts';
import type { GroupCoordinator } from '../../groups/coordinator.ts';
import type { HttpContext } from '../context.ts';
import { errorResponses, topicParam } from '../schemas.ts';

const groupStates = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

const groupSummaryProperties = {
  groupId: { type: 'string' },
  state: { type: 'string', enum: groupStates },
  protocolType: { type: 'string' },
  members: { type: 'integer' },
} as const;

const lagPartitionSchema = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    partition: { type: 'integer' },
    committedOffset: { type: 'integer', description: '-1 when nothing is committed' },
    logEndOffset: { type: 'integer' },
    logStartOffset: { type: 'integer' },
    lagMessages: { type: 'integer' },
    lagBytes: { type: 'integer' },
    oldestUnconsumedAgeMs: { type: ['integer', 'null'] },
    memberId: { type: ['string', 'null'] },
    metadata: { type: ['string', 'null'] },
    commitTimestamp: { type: ['integer', 'null'] },
  },
} as const;

const groupDescriptionSchema = {
  type: 'object',
  required: ['groupId', 'state', 'members', 'partitions', 'totalLag'],
  properties: {
    ...groupSummaryProperties,
    protocol: { type: ['string', 'null'] },
    generationId: { type: 'integer' },
    memberList: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          memberId: { type: 'string' },
          clientId: { type: 'string' },
          clientHost: { type: 'string' },
          assignment: {
            type: 'array',
            items: { type: 'object', properties: { topic: { type: 'string' }, partitions: { type: 'array', items: { type: 'integer' } } } },
          },
        },
      },
    },
    partitions: { type: 'array', items: lagPartitionSchema },
    totalLag: { type: 'integer' },
  },
} as const;

const groupParamsSchema = {
  type: 'object',
  required: ['group'],
  properties: { group: { type: 'string', minLength: 1 } },
} as const;

const resetBodySchema = {
  type: 'object',
  required: ['topic', 'to'],
  additionalProperties: false,
  properties: {
    topic: topicParam,
    partitions: { type: 'array', items: { type: 'integer', minimum: 0 }, description: 'default: every partition of the topic' },
    to: { type: 'string', enum: ['earliest', 'latest', 'offset'] },
    offset: { type: 'integer', minimum: 0, description: 'required with to=offset' },
  },
} as const;

interface ResetBody {
  topic: string;
  partitions?: number[];
  to: 'earliest' | 'latest' | 'offset';
  offset?: number;
}

/** The coordinator, or COORDINATOR_NOT_AVAILABLE while the broker runs without one. */
export function coordinatorOf(groups: GroupCoordinator | null): GroupCoordinator {
  if (!groups) throw new CopylessError('COORDINATOR_NOT_AVAILABLE', 'this broker has no group coordinator running');
  return groups;
}

export function groupRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(
    '/groups',
    {
      schema: {
        summary: 'List consumer groups',
        tags: ['groups'],
        response: {
          200: {
            type: 'object',
            required: ['groups'],
            properties: { groups: { type: 'array', items: { type: 'object', properties: groupSummaryProperties } } },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ groups: coordinatorOf(ctx.groups).listGroups() }),
  );

  app.get<{ Params: { group: string } }>(
    '/groups/:group',
    {
      schema: {
        summary: 'Describe a group: members, assignment, committed offsets and lag per partition',
        tags: ['groups'],
        params: groupParamsSchema,
        response: { 200: groupDescriptionSchema, ...errorResponses },
      },
    },
    async (request) => coordinatorOf(ctx.groups).describeGroup(request.params.group),
  );

  app.post<{ Params: { group: string }; Body: ResetBody }>(
    '/groups/:group/reset-offsets',
    {
      schema: {
        summary: 'Reset committed offsets of an inactive group (earliest, latest or a given offset)',
        tags: ['groups'],
        params: groupParamsSchema,
        body: resetBodySchema,
        response: {
          200: {
            type: 'object',
            required: ['partitions'],
            properties: {
              groupId: { type: 'string' },
              partitions: {
                type: 'array',
                items: { type: 'object', properties: { topic: { type: 'string' }, partition: { type: 'integer' }, offset: { type: 'integer' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const b = request.body;
      validateTopicName(b.topic);
      if (b.to === 'offset' && b.offset === undefined) {
        throw new CopylessError('INVALID_REQUEST', 'offset is required when to is "offset"', { field: 'offset' });
      }
      const partitions = await coordinatorOf(ctx.groups).resetOffsets(request.params.group, {
        topic: b.topic,
        partitions: b.partitions,
        to: b.to,
        offset: b.offset,
      });
      return { groupId: request.params.group, partitions };
    },
  );
}
