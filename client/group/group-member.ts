// One consumer's membership of a group (Kafka's classic "eager" protocol, as
// the Java ConsumerCoordinator and kafkajs ConsumerGroup run it):
//
//   join: JoinGroup (again with the id MEMBER_ID_REQUIRED hands back) until
//         the round completes; the leader decodes every member's
//         subscription, runs the chosen assignor and sends all assignments in
//         SyncGroup; every member gets its own from SyncGroup.
//   member: heartbeats every heartbeatIntervalMs on the coordinator
//         connection. REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION and
//         UNKNOWN_MEMBER_ID (in a heartbeat or a commit) mean "rejoin": the
//         owner (the Consumer) is told once, stops fetching, commits what it
//         processed (the generation is still valid while the group prepares
//         the rebalance), and calls join again. Heartbeats go on until then,
//         so a slow handler does not cost the member its session.
//   leave: LeaveGroup, so the others rebalance at once instead of after a
//         session timeout.
//
// While no generation is held nothing runs but a join (and commits the
// caller asks for, sent as a non-member).

import { CopylessError, ErrorCode, toCopylessError } from '../../src/errors.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from '../../src/protocol/consumer-protocol.ts';
import type {
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from '../../src/protocol/index.ts';
import { kafkaError } from '../kafka-error.ts';
import type { Assignor, AssignorMember } from './assignors.ts';
import type { GroupClient } from './group-client.ts';

export interface GroupMemberSettings {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** In preference order. */
  assignors: Assignor[];
}

/** A completed join: what this member holds until the next rebalance. */
export interface Generation {
  generationId: number;
  memberId: string;
  leaderId: string;
  protocol: string;
  /** This member's partitions, sorted by topic then partition. */
  assignment: TopicPartitions[];
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  /** The next offset to read (Kafka semantics). */
  offset: number;
  metadata?: string | null;
}

/** Errors that mean "this member's generation is over: rejoin". */
const REJOIN_CODES: ReadonlySet<number> = new Set([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]);

export function isRejoinError(e: unknown): boolean {
  return e instanceof CopylessError && REJOIN_CODES.has(e.code);
}

export class GroupMember {
  readonly s: GroupMemberSettings;
  private readonly client: GroupClient;
  /** Partition counts of the topics the group subscribes to, for the leader's assignment (topics that do not exist are left out). */
  private readonly partitionCounts: (topics: string[]) => Promise<Map<string, number>>;
  private memberId = '';
  private generation: Generation | null = null;
  private joining = false;
  private aborted = false;
  private rejoin = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Told once per generation when the member must rejoin. */
  onRejoinNeeded: ((reason: string) => void) | null = null;

  constructor(o: { client: GroupClient; settings: GroupMemberSettings; partitionCounts: (topics: string[]) => Promise<Map<string, number>> }) {
    this.client = o.client;
    this.s = o.settings;
    this.partitionCounts = o.partitionCounts;
  }

  /** The generation held, or null while out of the group or joining. */
  get current(): Generation | null {
    return this.generation;
  }

  get rejoinNeeded(): boolean {
    return this.rejoin;
  }

  /** Asks the owner to rejoin (e.g. the subscription changed). */
  requestRejoin(reason: string): void {
    if (this.rejoin) return;
    this.rejoin = true;
    this.onRejoinNeeded?.(reason);
  }

  /** Joins (or rejoins) with `topics` as the subscription; null when `leave()` interrupted it. */
  async join(topics: string[]): Promise<Generation | null> {
    this.stopHeartbeats();
    this.generation = null;
    this.joining = true;
    this.aborted = false;
    this.rejoin = false;
    try {
      for (;;) {
        try {
          const generation = await this.joinOnce(topics);
          if (this.aborted) return null;
          this.generation = generation;
          this.scheduleHeartbeat();
          return generation;
        } catch (e) {
          if (this.aborted) return null;
          if (!isRejoinError(e)) throw e;
          if ((e as CopylessError).code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        }
      }
    } finally {
      this.joining = false;
    }
  }

  /** Leaves the group (best effort: a failed LeaveGroup ends in a session timeout instead); interrupts a join in progress. */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.joining) this.aborted = true;
    const memberId = this.memberId;
    this.memberId = '';
    this.generation = null;
    if (memberId === '') return;
    const body = { groupId: this.s.groupId, memberId, members: [{ memberId, groupInstanceId: null }] };
    await this.client.call<LeaveGroupResponse>(this.s.groupId, ApiKey.LeaveGroup, body, (r) => r.errorCode, { retry: false }).catch(() => undefined);
  }

  /**
   * OffsetCommit under the current generation (or as a non-member, generation
   * -1, while none is held). A rejoin error also asks the owner to rejoin.
   */
  async commit(offsets: OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const g = this.generation;
    const body = {
      groupId: this.s.groupId,
      generationIdOrMemberEpoch: g?.generationId ?? -1,
      memberId: g?.memberId ?? '',
      retentionTimeMs: -1,
      topics: byTopic(offsets).map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedMetadata: o.metadata ?? null })),
      })),
    };
    const res = await this.client.call<OffsetCommitResponse>(this.s.groupId, ApiKey.OffsetCommit, body, firstCommitError);
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) continue;
        const e = kafkaError(p.errorCode, `commit offset of ${t.name}/${p.partitionIndex} for group ${JSON.stringify(this.s.groupId)}`, {
          topic: t.name,
          partition: p.partitionIndex,
          groupId: this.s.groupId,
        });
        if (isRejoinError(e) && g !== null && this.generation === g) this.requestRejoin(`commit: ${e.errorName}`);
        throw e;
      }
    }
  }

  /** Committed offsets (-1 where none), keyed by `topic/partition` in a Map per topic. */
  async committed(partitions: TopicPartitions[]): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>(partitions.map((t) => [t.topic, new Map()]));
    if (partitions.length === 0) return out;
    const body = { groupId: this.s.groupId, topics: partitions.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) };
    const res = await this.client.call<OffsetFetchResponse>(this.s.groupId, ApiKey.OffsetFetch, body, firstFetchError);
    const code = firstFetchError(res);
    if (code !== 0) throw kafkaError(code, `fetch committed offsets of group ${JSON.stringify(this.s.groupId)}`, { groupId: this.s.groupId });
    for (const t of res.topics) for (const p of t.partitions) out.get(t.name)?.set(p.partitionIndex, p.committedOffset);
    return out;
  }

  // ---- join and sync ------------------------------------------------------

  private async joinOnce(topics: string[]): Promise<Generation> {
    const joined = await this.joinGroup(topics);
    const isLeader = joined.leader === joined.memberId;
    const assignments = isLeader ? await this.assign(joined) : [];
    const body = { groupId: this.s.groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, assignments };
    const synced = await this.client.call<SyncGroupResponse>(this.s.groupId, ApiKey.SyncGroup, body, (r) => r.errorCode, {
      extraTimeoutMs: this.s.rebalanceTimeoutMs,
    });
    if (synced.errorCode !== 0) throw kafkaError(synced.errorCode, `sync group ${JSON.stringify(this.s.groupId)}`, { groupId: this.s.groupId });
    let assignment: TopicPartitions[];
    try {
      assignment = decodeAssignment(synced.assignment).assignment;
    } catch (e) {
      throw new CopylessError('INCONSISTENT_GROUP_PROTOCOL', `the assignment from the leader of group ${JSON.stringify(this.s.groupId)} is not a consumer-protocol assignment: ${toCopylessError(e).message}`, {
        groupId: this.s.groupId,
      });
    }
    // A leader may hand out topics this member did not subscribe to (kafkajs drops them too).
    const wanted = assignment.filter((t) => topics.includes(t.topic) && t.partitions.length > 0);
    return {
      generationId: joined.generationId,
      memberId: joined.memberId,
      leaderId: joined.leader,
      protocol: joined.protocolName,
      assignment: normalize(wanted),
    };
  }

  /** JoinGroup, answering MEMBER_ID_REQUIRED (v4+) with the id it carries. */
  private async joinGroup(topics: string[]): Promise<JoinGroupResponse> {
    const metadata = encodeSubscription({ topics });
    for (;;) {
      const body = {
        groupId: this.s.groupId,
        sessionTimeoutMs: this.s.sessionTimeoutMs,
        rebalanceTimeoutMs: this.s.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: this.s.assignors.map((a) => ({ name: a.name, metadata })),
      };
      const res = await this.client.call<JoinGroupResponse>(this.s.groupId, ApiKey.JoinGroup, body, (r) => r.errorCode, {
        extraTimeoutMs: this.s.rebalanceTimeoutMs,
      });
      if (this.aborted) throw new CopylessError('CONNECTION_CLOSED', `joining group ${JSON.stringify(this.s.groupId)} was interrupted by leave()`);
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED && this.memberId !== res.memberId) {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, `join group ${JSON.stringify(this.s.groupId)}`, { groupId: this.s.groupId });
      this.memberId = res.memberId;
      return res;
    }
  }

  /** The leader's part: every member's assignment under the protocol the coordinator chose. */
  private async assign(joined: JoinGroupResponse): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.s.assignors.find((a) => a.name === joined.protocolName);
    if (assignor === undefined) {
      throw new CopylessError('INCONSISTENT_GROUP_PROTOCOL', `group ${JSON.stringify(this.s.groupId)} chose assignor ${JSON.stringify(joined.protocolName)}, which this consumer does not offer`, {
        groupId: this.s.groupId,
      });
    }
    const members: AssignorMember[] = joined.members.map((m) => ({ memberId: m.memberId, topics: subscribedTopics(m.metadata) }));
    const counts = await this.partitionCounts([...new Set(members.flatMap((m) => m.topics))].sort());
    const plan = assignor.assign(members, counts);
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment({ assignment: plan.get(m.memberId) ?? [] }) }));
  }

  // ---- heartbeats ---------------------------------------------------------

  private scheduleHeartbeat(): void {
    this.stopHeartbeats();
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(), this.s.heartbeatIntervalMs);
    // The member's sockets keep the process alive while it consumes.
    this.heartbeatTimer.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Retriable failures (coordinator moved, connection lost) wait for the next beat; any other error asks for a rejoin, which reports what is fatal. */
  private async heartbeat(): Promise<void> {
    this.heartbeatTimer = null;
    const g = this.generation;
    if (g === null) return;
    const body = { groupId: this.s.groupId, generationId: g.generationId, memberId: g.memberId, groupInstanceId: null };
    let code: number;
    try {
      code = (await this.client.call<HeartbeatResponse>(this.s.groupId, ApiKey.Heartbeat, body, (r) => r.errorCode, { retry: false })).errorCode;
    } catch (e) {
      code = toCopylessError(e).code;
    }
    if (this.generation !== g) return;
    const e = code === 0 ? null : kafkaError(code, 'heartbeat');
    if (e !== null && !e.retriable) {
      if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      this.requestRejoin(`heartbeat: ${e.errorName}`);
    }
    if (this.heartbeatTimer === null) this.scheduleHeartbeat();
  }
}

function subscribedTopics(metadata: Buffer): string[] {
  try {
    return decodeSubscription(metadata).topics;
  } catch {
    // A member whose subscription cannot be read is given nothing rather than failing the whole group.
    return [];
  }
}

function byTopic(offsets: OffsetToCommit[]): [string, OffsetToCommit[]][] {
  const out = new Map<string, OffsetToCommit[]>();
  for (const o of offsets) out.set(o.topic, [...(out.get(o.topic) ?? []), o]);
  return [...out];
}

function normalize(assignment: TopicPartitions[]): TopicPartitions[] {
  return [...assignment]
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
    .map((t) => ({ topic: t.topic, partitions: [...new Set(t.partitions)].sort((a, b) => a - b) }));
}

function firstCommitError(res: OffsetCommitResponse): number {
  for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) return p.errorCode;
  return 0;
}

/** OffsetFetch v1 has no group-level error code: a group-level failure is repeated on every partition. */
function firstFetchError(res: OffsetFetchResponse): number {
  if (res.errorCode !== undefined && res.errorCode !== 0) return res.errorCode;
  for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) return p.errorCode;
  return 0;
}
