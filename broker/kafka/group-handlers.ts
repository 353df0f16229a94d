// Kafka API handlers for consumer groups: FindCoordinator, JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
// DescribeGroups, ListGroups, and the CopylessGroups / CopylessResetOffsets
// extension APIs. Each maps a decoded request onto the group coordinator
// (broker/groups) and its CopylessErrors onto Kafka error codes in the
// response; none of them throws (a thrown handler closes the connection).

import { CopylessError, isCopylessError, toCopylessError } from '../../src/errors.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { kafkaErrorCode, type Handler, type RequestContext } from './context.ts';
import { jsonApi } from './handlers.ts';
import { TRANSACTIONS_UNSUPPORTED } from './producer-handlers.ts';

/** FindCoordinator key types (KIP-98). */
const KeyType = { group: 0, transaction: 1 } as const;
/** DescribeGroups v3+: copyless has no ACLs, so operations are "not requested/unknown" (Kafka's INT32_MIN). */
const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

function coordinator(ctx: RequestContext): GroupCoordinator {
  const groups = ctx.groups;
  if (!groups || ctx.broker.closing) throw new CopylessError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator is not running');
  return groups;
}

/** The Kafka error code for a failure; failures that are not a client's mistake are logged. */
function errorCode(ctx: RequestContext, e: unknown): number {
  if (!isCopylessError(e)) ctx.logger.error({ apiKey: ctx.header.apiKey, err: (e as Error)?.message, stack: (e as Error)?.stack }, 'group request failed');
  return kafkaErrorCode(e);
}

/** Kafka reports a member's host as "/address". */
function clientHost(ctx: RequestContext): string {
  const remote = ctx.conn.remote;
  const colon = remote.lastIndexOf(':');
  return `/${colon > 0 ? remote.slice(0, colon) : remote}`;
}

const copy = (b: Buffer | null | undefined): Buffer => (b ? Buffer.from(b) : Buffer.alloc(0));

const findCoordinator: Handler = async (ctx, req) => {
  const body = { throttleTimeMs: 0, errorCode: 0, errorMessage: null as string | null, nodeId: -1, host: '', port: -1 };
  try {
    const keyType = ctx.header.apiVersion >= 1 ? req.keyType : KeyType.group;
    // Non-retriable, so a transactional producer fails at once instead of retrying a lookup that can never succeed.
    if (keyType === KeyType.transaction) throw new CopylessError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', TRANSACTIONS_UNSUPPORTED, { field: 'keyType' });
    if (keyType !== KeyType.group) throw new CopylessError('INVALID_REQUEST', `keyType is ${keyType}, must be 0 (group) or 1 (transaction)`, { field: 'keyType' });
    coordinator(ctx);
    const c = ctx.broker.config;
    Object.assign(body, { nodeId: c.brokerId, host: c.advertisedHost ?? c.host, port: ctx.broker.kafkaPort });
  } catch (e) {
    body.errorCode = errorCode(ctx, e);
    body.errorMessage = toCopylessError(e).message;
  }
  return { body };
};

const joinGroup: Handler = async (ctx, req) => {
  const v = ctx.header.apiVersion;
  try {
    const result = await coordinator(ctx).joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId ?? null,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHost(ctx),
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : -1,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p: { name: string; metadata: Buffer }) => ({ name: p.name, metadata: copy(p.metadata) })),
      requireKnownMemberId: v >= 4,
    });
    return { body: { throttleTimeMs: 0, errorCode: 0, ...result } };
  } catch (e) {
    // MEMBER_ID_REQUIRED carries the id the member must rejoin with.
    const assigned = isCopylessError(e) && typeof e.details.memberId === 'string' ? e.details.memberId : req.memberId;
    return {
      body: { throttleTimeMs: 0, errorCode: errorCode(ctx, e), generationId: -1, protocolName: '', leader: '', memberId: assigned, members: [] },
    };
  }
};

const syncGroup: Handler = async (ctx, req) => {
  try {
    const assignment = await coordinator(ctx).syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      assignments: req.assignments.map((a: { memberId: string; assignment: Buffer }) => ({ memberId: a.memberId, assignment: copy(a.assignment) })),
    });
    return { body: { throttleTimeMs: 0, errorCode: 0, assignment } };
  } catch (e) {
    return { body: { throttleTimeMs: 0, errorCode: errorCode(ctx, e), assignment: Buffer.alloc(0) } };
  }
};

const heartbeat: Handler = async (ctx, req) => {
  try {
    coordinator(ctx).heartbeat({ groupId: req.groupId, generationId: req.generationId, memberId: req.memberId });
    return { body: { throttleTimeMs: 0, errorCode: 0 } };
  } catch (e) {
    return { body: { throttleTimeMs: 0, errorCode: errorCode(ctx, e) } };
  }
};

/** v0-2 name one member and answer with its error; v3 (KIP-345) names several and answers each. */
const leaveGroup: Handler = async (ctx, req) => {
  const batch = ctx.header.apiVersion >= 3;
  const leaving: { memberId: string; groupInstanceId: string | null }[] = batch ? req.members : [{ memberId: req.memberId, groupInstanceId: null }];
  try {
    const results = coordinator(ctx).leaveGroup(req.groupId, leaving.map((m) => m.memberId));
    if (!batch) return { body: { throttleTimeMs: 0, errorCode: results[0].errorCode } };
    const members = results.map((r, i) => ({ memberId: r.memberId, groupInstanceId: leaving[i].groupInstanceId, errorCode: r.errorCode }));
    return { body: { throttleTimeMs: 0, errorCode: 0, members } };
  } catch (e) {
    return { body: { throttleTimeMs: 0, errorCode: errorCode(ctx, e), members: [] } };
  }
};

type CommitTopics = { name: string; partitions: { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[] }[];

const offsetCommit: Handler = async (ctx, req) => {
  const topics: CommitTopics = req.topics;
  try {
    const results = await coordinator(ctx).commitOffsets({
      groupId: req.groupId,
      generationId: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      topics,
    });
    return { body: { throttleTimeMs: 0, topics: results } };
  } catch (e) {
    const code = errorCode(ctx, e);
    const failed = topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) }));
    return { body: { throttleTimeMs: 0, topics: failed } };
  }
};

/** v1 has no top-level error code, so a group-level failure is reported on every partition asked for. */
const offsetFetch: Handler = async (ctx, req) => {
  const topics: { name: string; partitionIndexes: number[] }[] | null = req.topics;
  try {
    return { body: { throttleTimeMs: 0, topics: coordinator(ctx).fetchOffsets(req.groupId, topics), errorCode: 0 } };
  } catch (e) {
    const code = errorCode(ctx, e);
    const failed = (topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, metadata: '', errorCode: code })),
    }));
    return { body: { throttleTimeMs: 0, topics: failed, errorCode: code } };
  }
};

/** An unknown group is reported as Kafka does: no error, state Dead. */
const describeGroups: Handler = async (ctx, req) => {
  const groups = (req.groups as string[]).map((groupId) => {
    const base = { errorCode: 0, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] as unknown[], authorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN };
    try {
      const view = coordinator(ctx).viewGroup(groupId);
      if (!view) return base;
      const members = view.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      }));
      return { ...base, groupState: view.state, protocolType: view.protocolType, protocolData: view.protocol ?? '', members };
    } catch (e) {
      return { ...base, errorCode: errorCode(ctx, e) };
    }
  });
  return { body: { throttleTimeMs: 0, groups } };
};

const listGroups: Handler = async (ctx) => {
  try {
    const groups = coordinator(ctx).listGroups().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }));
    return { body: { throttleTimeMs: 0, errorCode: 0, groups } };
  } catch (e) {
    return { body: { throttleTimeMs: 0, errorCode: errorCode(ctx, e), groups: [] } };
  }
};

// ------------------------------------------------------ copyless extensions

/** `{ groupId?: string }`: without a group id every group's summary, with one its description and lag. */
const copylessGroups = jsonApi((ctx, input: { groupId?: unknown }) => {
  const groups = coordinator(ctx);
  if (input.groupId === undefined || input.groupId === null) return { groups: groups.listGroups() };
  return groups.describeGroup(requireString(input.groupId, 'groupId'));
});

/** `{ groupId, topic, partitions?, to: 'earliest'|'latest'|'offset', offset? }` -> `{ partitions: [{ topic, partition, offset }] }`. */
const copylessResetOffsets = jsonApi(async (ctx, input: { groupId?: unknown; topic?: unknown; partitions?: unknown; to?: unknown; offset?: unknown }) => {
  const partitions = input.partitions ?? undefined;
  if (partitions !== undefined && !(Array.isArray(partitions) && partitions.every((p) => Number.isInteger(p)))) {
    throw new CopylessError('INVALID_REQUEST', 'partitions must be an array of partition ids', { field: 'partitions' });
  }
  const reset = await coordinator(ctx).resetOffsets(requireString(input.groupId, 'groupId'), {
    topic: requireString(input.topic, 'topic'),
    partitions: partitions as number[] | undefined,
    to: input.to as 'earliest' | 'latest' | 'offset',
    offset: input.offset as number | undefined,
  });
  return { partitions: reset };
});

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new CopylessError('INVALID_REQUEST', `${field} must be a non-empty string`, { field });
  return value;
}

export const groupHandlers = new Map<number, Handler>([
  [ApiKey.OffsetCommit, offsetCommit],
  [ApiKey.OffsetFetch, offsetFetch],
  [ApiKey.FindCoordinator, findCoordinator],
  [ApiKey.JoinGroup, joinGroup],
  [ApiKey.Heartbeat, heartbeat],
  [ApiKey.LeaveGroup, leaveGroup],
  [ApiKey.SyncGroup, syncGroup],
  [ApiKey.DescribeGroups, describeGroups],
  [ApiKey.ListGroups, listGroups],
  [ApiKey.CopylessGroups, copylessGroups],
  [ApiKey.CopylessResetOffsets, copylessResetOffsets],
]);
