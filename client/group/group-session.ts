// The consumer-group layer of a Consumer: what `consumer({ groupId })` adds
// on top of a plain consumer. It turns the group's assignment into the
// consumer's positions (committed offset, else earliest/latest as
// `subscribe({ fromBeginning })` says), commits the processed positions
// (every autoCommitIntervalMs, before each rejoin and at the end of the run)
// and calls the rebalance callbacks. The Consumer keeps the fetch loops; this
// file never touches them, it only talks to the Consumer through `owner`.
//
// Commits are serialised so an older commit never lands after a newer one.

import { CopylessError, toCopylessError } from '../../src/errors.ts';
import {
  CONSUMER_AUTO_COMMIT_INTERVAL_MS_DEFAULT,
  CONSUMER_HEARTBEAT_INTERVAL_MS_DEFAULT,
  CONSUMER_REBALANCE_TIMEOUT_MS_DEFAULT,
  CONSUMER_SESSION_TIMEOUT_MS_DEFAULT,
} from '../../src/limits.ts';
import type { Cluster } from '../cluster.ts';
import { type AssignorName, resolveAssignors } from './assignors.ts';
import type { TopicPartitions } from '../../src/protocol/consumer-protocol.ts';
import { GroupClient } from './group-client.ts';
import { type Generation, GroupMember, type GroupMemberSettings, isRejoinError, type OffsetToCommit } from './group-member.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionsAssignedEvent {
  partitions: TopicPartition[];
  groupId: string;
  generationId: number;
  memberId: string;
  isLeader: boolean;
  /** The assignor the group chose. */
  protocol: string;
  /** From the start of this (re)join to positions ready: JoinGroup, SyncGroup, OffsetFetch, ListOffsets. */
  durationMs: number;
}

export interface PartitionsRevokedEvent {
  partitions: TopicPartition[];
  groupId: string;
  generationId: number;
  memberId: string;
  /** Why the partitions are given up: a rebalance, or the end of run(). */
  reason: 'rebalance' | 'stop';
}

/** The group options of `consumer({ ... })`. */
export interface GroupOptions {
  /** Join this consumer group: partitions come from the group (`subscribe` + `run`), positions from its committed offsets. */
  groupId?: string;
  /** Default 30000 (kafkajs); the broker accepts 6000..300000 unless configured otherwise. */
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to rejoin; default 60000. */
  rebalanceTimeoutMs?: number;
  /** Default 3000; must be below sessionTimeoutMs. */
  heartbeatIntervalMs?: number;
  /** Commit processed positions every autoCommitIntervalMs, before each rejoin and when run() ends (default true). */
  autoCommit?: boolean;
  /** Default 5000. */
  autoCommitIntervalMs?: number;
  /** Offered in this order of preference; default ['range', 'roundrobin', 'RoundRobinAssigner']. */
  assignors?: AssignorName[];
  /** After each join, once the positions of the new partitions are known (before any of them is fetched). */
  onPartitionsAssigned?: (e: PartitionsAssignedEvent) => Promise<void> | void;
  /** Before the partitions are given up (a rebalance, or the end of run()), after the automatic commit; commitOffsets() still works here. */
  onPartitionsRevoked?: (e: PartitionsRevokedEvent) => Promise<void> | void;
}

export interface GroupSettings extends GroupMemberSettings {
  autoCommit: boolean;
  autoCommitIntervalMs: number;
  onPartitionsAssigned: GroupOptions['onPartitionsAssigned'];
  onPartitionsRevoked: GroupOptions['onPartitionsRevoked'];
}

/** What the session needs of its Consumer. */
export interface PositionsOwner {
  /** Replaces the assignment and resolves its positions. */
  setAssignment(specs: { topic: string; partition: number; offset: number | 'earliest' | 'latest' }[]): Promise<void>;
  /** Processed positions: the next offset to read, for each partition whose position is known. */
  processedPositions(): OffsetToCommit[];
  clearAssignment(): void;
}

const GROUP_ONLY_FIELDS = ['sessionTimeoutMs', 'rebalanceTimeoutMs', 'heartbeatIntervalMs', 'autoCommit', 'autoCommitIntervalMs', 'assignors', 'onPartitionsAssigned', 'onPartitionsRevoked'] as const;

/** Null without a groupId; INVALID_CONFIG naming the field for a bad value. */
export function resolveGroupOptions(o: GroupOptions): GroupSettings | null {
  if (o.groupId === undefined) {
    const stray = GROUP_ONLY_FIELDS.find((f) => o[f] !== undefined);
    if (stray) throw new CopylessError('INVALID_CONFIG', `${stray} is a consumer-group option: it needs groupId`, { field: stray });
    return null;
  }
  if (typeof o.groupId !== 'string' || o.groupId === '') throw new CopylessError('INVALID_GROUP_ID', 'groupId must be a non-empty string', { field: 'groupId' });
  const s: GroupSettings = {
    groupId: o.groupId,
    sessionTimeoutMs: positiveInt(o.sessionTimeoutMs ?? CONSUMER_SESSION_TIMEOUT_MS_DEFAULT, 'sessionTimeoutMs'),
    rebalanceTimeoutMs: positiveInt(o.rebalanceTimeoutMs ?? CONSUMER_REBALANCE_TIMEOUT_MS_DEFAULT, 'rebalanceTimeoutMs'),
    heartbeatIntervalMs: positiveInt(o.heartbeatIntervalMs ?? CONSUMER_HEARTBEAT_INTERVAL_MS_DEFAULT, 'heartbeatIntervalMs'),
    autoCommit: o.autoCommit ?? true,
    autoCommitIntervalMs: positiveInt(o.autoCommitIntervalMs ?? CONSUMER_AUTO_COMMIT_INTERVAL_MS_DEFAULT, 'autoCommitIntervalMs'),
    assignors: resolveAssignors(o.assignors),
    onPartitionsAssigned: o.onPartitionsAssigned,
    onPartitionsRevoked: o.onPartitionsRevoked,
  };
  if (s.heartbeatIntervalMs >= s.sessionTimeoutMs) {
    throw new CopylessError('INVALID_CONFIG', `heartbeatIntervalMs (${s.heartbeatIntervalMs}) must be below sessionTimeoutMs (${s.sessionTimeoutMs})`, {
      field: 'heartbeatIntervalMs',
    });
  }
  if (typeof s.autoCommit !== 'boolean') throw new CopylessError('INVALID_CONFIG', 'autoCommit must be true or false', { field: 'autoCommit' });
  for (const f of ['onPartitionsAssigned', 'onPartitionsRevoked'] as const) {
    if (s[f] !== undefined && typeof s[f] !== 'function') throw new CopylessError('INVALID_CONFIG', `${f} must be a function`, { field: f });
  }
  return s;
}

export class GroupSession {
  readonly s: GroupSettings;
  readonly member: GroupMember;
  private readonly client: GroupClient;
  private readonly owner: PositionsOwner;
  private subscription: { topics: string[]; fromBeginning: boolean } | null = null;
  /** The generation whose partitions the owner holds; null between revoke and the next assignment. */
  private held: Generation | null = null;
  private readonly lastCommitted = new Map<string, number>();
  private commitChain: Promise<unknown> = Promise.resolve();
  private autoCommitTimer: NodeJS.Timeout | null = null;

  /** `allowAutoTopicCreation`: the leader's metadata request may create subscribed topics that do not exist yet. */
  constructor(cluster: Cluster, s: GroupSettings, allowAutoTopicCreation: boolean, owner: PositionsOwner) {
    this.s = s;
    this.owner = owner;
    this.client = new GroupClient(cluster.o);
    this.member = new GroupMember({
      client: this.client,
      settings: s,
      partitionCounts: (topics) => partitionCounts(cluster, topics, allowAutoTopicCreation),
    });
  }

  /** True while the owner holds a generation's partitions (the assignment is final until the next rebalance). */
  get assigned(): boolean {
    return this.held !== null;
  }

  get topics(): string[] | null {
    return this.subscription?.topics ?? null;
  }

  subscribe(o: { topics: string[]; fromBeginning?: boolean }): void {
    if (!o || !Array.isArray(o.topics) || o.topics.length === 0 || o.topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new CopylessError('INVALID_REQUEST', 'subscribe() takes { topics: [non-empty topic names], fromBeginning? }', { field: 'topics' });
    }
    const changed = this.subscription !== null && [...this.subscription.topics].sort().join('\u0000') !== [...new Set(o.topics)].sort().join('\u0000');
    this.subscription = { topics: [...new Set(o.topics)], fromBeginning: o.fromBeginning === true };
    if (changed && this.held !== null) this.member.requestRejoin('the subscription changed');
  }

  /** Joins, then seeds the owner's positions from the committed offsets; false when leave() interrupted the join. */
  async joinAndAssign(): Promise<boolean> {
    const sub = this.subscription;
    if (sub === null) throw new CopylessError('INVALID_REQUEST', 'run() of a group consumer needs subscribe({ topics }) first', { field: 'subscribe' });
    const startedMs = performance.now();
    const g = await this.member.join(sub.topics);
    if (g === null) return false;
    const committed = await this.member.committed(g.assignment);
    const reset: 'earliest' | 'latest' = sub.fromBeginning ? 'earliest' : 'latest';
    const specs = g.assignment.flatMap((t) =>
      t.partitions.map((partition) => {
        const offset = committed.get(t.topic)?.get(partition) ?? -1;
        return { topic: t.topic, partition, offset: offset >= 0 ? offset : reset };
      }),
    );
    await this.owner.setAssignment(specs);
    this.lastCommitted.clear();
    for (const s of specs) if (typeof s.offset === 'number') this.lastCommitted.set(key(s), s.offset);
    this.held = g;
    await this.s.onPartitionsAssigned?.({
      partitions: flatten(g.assignment),
      groupId: this.s.groupId,
      generationId: g.generationId,
      memberId: g.memberId,
      isLeader: g.leaderId === g.memberId,
      protocol: g.protocol,
      durationMs: Math.round(performance.now() - startedMs),
    });
    return true;
  }

  /** Commits the processed positions (with autoCommit), tells onPartitionsRevoked, and clears the owner's assignment. */
  async revoke(reason: PartitionsRevokedEvent['reason']): Promise<void> {
    this.stopAutoCommit();
    const g = this.held;
    if (g === null) return;
    // A member that lost its generation cannot commit; the next owner re-reads from the last commit.
    if (this.s.autoCommit) await this.commitProcessed().catch(() => undefined);
    try {
      const e = { partitions: flatten(g.assignment), groupId: this.s.groupId, generationId: g.generationId, memberId: g.memberId, reason };
      await this.s.onPartitionsRevoked?.(e);
    } finally {
      this.held = null;
      this.owner.clearAssignment();
    }
  }

  /** Commits explicit offsets (commitOffsets()). */
  commit(offsets: OffsetToCommit[]): Promise<void> {
    return this.serialize(async () => {
      await this.member.commit(offsets);
      for (const o of offsets) this.lastCommitted.set(key(o), o.offset);
    });
  }

  /** Commits every processed position that moved since its last commit. */
  commitProcessed(): Promise<void> {
    return this.serialize(async () => {
      const moved = this.owner.processedPositions().filter((p) => this.lastCommitted.get(key(p)) !== p.offset);
      await this.member.commit(moved);
      for (const o of moved) this.lastCommitted.set(key(o), o.offset);
    });
  }

  /**
   * Commits every autoCommitIntervalMs while the run fetches. Rejoin errors
   * already asked for a rejoin and retriable ones wait for the next tick; any
   * other failure goes to `onError`.
   */
  startAutoCommit(onError: (e: CopylessError) => void): void {
    this.stopAutoCommit();
    if (!this.s.autoCommit) return;
    const tick = () => {
      this.commitProcessed().then(
        () => this.autoCommitTimer !== null && arm(),
        (e) => {
          const err = toCopylessError(e);
          if (isRejoinError(err) || err.retriable) {
            if (this.autoCommitTimer !== null) arm();
          } else onError(err);
        },
      );
    };
    const arm = () => {
      this.autoCommitTimer = setTimeout(tick, this.s.autoCommitIntervalMs);
      this.autoCommitTimer.unref();
    };
    arm();
  }

  stopAutoCommit(): void {
    if (this.autoCommitTimer !== null) clearTimeout(this.autoCommitTimer);
    this.autoCommitTimer = null;
  }

  /** Leaves the group; also interrupts a join in progress. */
  async leave(): Promise<void> {
    this.stopAutoCommit();
    await this.member.leave();
  }

  async close(): Promise<void> {
    await this.leave();
    await this.client.close();
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const next = this.commitChain.then(fn);
    this.commitChain = next.catch(() => undefined);
    return next;
  }
}

/** Partition counts of the topics that exist (auto-created where the broker does so); others are left out, as Java's leader does. */
async function partitionCounts(cluster: Cluster, topics: string[], allowAutoTopicCreation: boolean): Promise<Map<string, number>> {
  await cluster.retry(() => cluster.refreshMetadata(topics, allowAutoTopicCreation), topics).catch(() => undefined);
  const out = new Map<string, number>();
  for (const t of topics) {
    const m = cluster.cachedTopic(t);
    if (m !== undefined && m.errorCode === 0 && m.partitions.length > 0) out.set(t, m.partitions.length);
  }
  return out;
}

function flatten(assignment: TopicPartitions[]): TopicPartition[] {
  return assignment.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

function key(p: TopicPartition): string {
  return `${p.partition}\u0000${p.topic}`;
}

function positiveInt(v: number, field: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new CopylessError('INVALID_CONFIG', `${field} must be a positive integer, got ${v}`, { field });
  return v;
}
