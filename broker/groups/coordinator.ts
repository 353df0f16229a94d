// The consumer-group coordinator of the broker core: Kafka's classic group
// protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) over the Group state
// machine in group.ts, committed offsets in lmdb (offset-store.ts) and the lag
// reports the CLI, HTTP API and metrics read (describe.ts). This broker is the
// coordinator of every group.
//
// Requests that must wait (a JoinGroup until every member has rejoined, a
// SyncGroup until the leader's assignment arrives) return promises that the
// state machine settles later. Deadlines (rebalance timeouts, session
// timeouts, MEMBER_ID_REQUIRED members that never come back) are checked by
// tick(), which one timer calls at the earliest deadline; the clock is
// injectable so tests drive it by hand.
//
// Failures are CopylessErrors carrying Kafka's group error codes; the Kafka
// handlers turn them into response error codes.

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CopylessError, type ErrorName } from '../../src/errors.ts';
import {
  GROUP_MEMBERS_MAX,
  GROUP_OFFSET_METADATA_BYTES_MAX,
  GROUP_SESSION_TIMEOUT_MS_MAX,
  GROUP_SESSION_TIMEOUT_MS_MIN,
} from '../../src/limits.ts';
import type { Broker } from '../broker.ts';
import type { MetaStore } from '../meta-store.ts';
import { Group, GroupState, Member, type GroupStateName, type JoinResult, type MemberProtocol, type Waiter } from './group.ts';
import { OffsetStore, type OffsetWrite } from './offset-store.ts';
import { describeGroup, type GroupDescription, type GroupSummary } from './describe.ts';

export type { GroupDescription, GroupLagPartition, GroupSummary } from './describe.ts';
export type { JoinResult, MemberProtocol } from './group.ts';

/** setTimeout's longest delay; a later deadline is re-armed when this one fires. */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/** Bounds a member's sessionTimeoutMs must fall within (Kafka group.min/max.session.timeout.ms). Tests may lower them. */
export interface GroupSettings {
  sessionTimeoutMsMin: number;
  sessionTimeoutMsMax: number;
}

export interface JoinGroupInput {
  groupId: string;
  /** '' for a member joining for the first time. */
  memberId: string;
  /** Static membership (KIP-345) is not supported: recorded and reported, otherwise treated as dynamic. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means the session timeout. */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  /** JoinGroup v4+ (KIP-394): a member without an id first gets one back with MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
}

export interface MemberRef {
  groupId: string;
  generationId: number;
  memberId: string;
}

export interface SyncGroupInput extends MemberRef {
  /** The leader's assignment per member; empty from every other member. */
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface CommitInput extends MemberRef {
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[] }[];
}

export interface CommitResultTopic {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface FetchedOffsetsTopic {
  name: string;
  partitions: { partitionIndex: number; committedOffset: number; metadata: string; errorCode: number }[];
}

/** A group as Kafka's DescribeGroups reports it. */
export interface GroupView {
  state: GroupStateName;
  protocolType: string;
  protocol: string | null;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

export interface ResetOffsetsInput {
  topic: string;
  partitions?: number[];
  to: 'earliest' | 'latest' | 'offset';
  offset?: number;
}

export class GroupCoordinator {
  readonly settings: GroupSettings;
  private readonly broker: Broker;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly offsets: OffsetStore;
  private readonly groups = new Map<string, Group>();
  private timer: NodeJS.Timeout | null = null;
  private timerDueMs = Infinity;
  private closed = false;
  private readonly onTopicsChanged = () => this.purgeDeletedTopics();

  constructor(o: {
    broker: Broker;
    meta: MetaStore;
    logger: Logger;
    now?: () => number;
    sessionTimeoutMsMin?: number;
    sessionTimeoutMsMax?: number;
  }) {
    this.broker = o.broker;
    this.logger = o.logger.child({ component: 'groups' });
    this.now = o.now ?? Date.now;
    this.settings = {
      sessionTimeoutMsMin: o.sessionTimeoutMsMin ?? GROUP_SESSION_TIMEOUT_MS_MIN,
      sessionTimeoutMsMax: o.sessionTimeoutMsMax ?? GROUP_SESSION_TIMEOUT_MS_MAX,
    };
    if (this.settings.sessionTimeoutMsMin > this.settings.sessionTimeoutMsMax) {
      throw new CopylessError('INVALID_CONFIG', `sessionTimeoutMsMin ${this.settings.sessionTimeoutMsMin} is above sessionTimeoutMsMax ${this.settings.sessionTimeoutMsMax}`, {
        field: 'sessionTimeoutMsMin',
      });
    }
    this.offsets = new OffsetStore(o.meta);
    this.broker.on('topics-changed', this.onTopicsChanged);
  }

  // ------------------------------------------------------------ membership

  /** JoinGroup: resolves when the join round completes (or at once for a rejoin that changes nothing). */
  joinGroup(req: JoinGroupInput): Promise<JoinResult> {
    try {
      this.assertOpen();
      requireGroupId(req.groupId);
      this.validateSessionTimeout(req.sessionTimeoutMs);
      const names = req.protocols.map((p) => p.name);
      let group = this.groups.get(req.groupId);
      if (!group && req.memberId !== '') throw groupError('UNKNOWN_MEMBER_ID', req.groupId, `member ${req.memberId} is not in group ${req.groupId} (the group has no members)`);
      if (!(group ?? new Group(req.groupId)).supportsProtocols(req.protocolType, names)) {
        throw groupError('INCONSISTENT_GROUP_PROTOCOL', req.groupId, `protocolType ${req.protocolType} with protocols [${names.join(', ')}] is not supported by every member of group ${req.groupId}`);
      }
      if (!group) this.groups.set(req.groupId, (group = new Group(req.groupId)));
      return req.memberId === '' ? this.joinNewMember(group, req) : this.joinKnownMember(group, req);
    } catch (e) {
      return Promise.reject(e);
    } finally {
      this.arm();
    }
  }

  /** SyncGroup: the member's assignment, once the leader has sent the generation's assignments. */
  syncGroup(req: SyncGroupInput): Promise<Buffer> {
    try {
      this.assertOpen();
      const { group, member } = this.currentMember(req);
      member.lastHeartbeatMs = this.now();
      switch (group.state) {
        case GroupState.PreparingRebalance:
          throw groupError('REBALANCE_IN_PROGRESS', group.groupId, `group ${group.groupId} is rebalancing: rejoin`);
        case GroupState.Stable:
          return Promise.resolve(member.assignment);
        case GroupState.CompletingRebalance:
          return this.awaitAssignment(group, member, req.assignments);
        default:
          throw groupError('UNKNOWN_MEMBER_ID', group.groupId, `member ${req.memberId} is not in group ${group.groupId}`);
      }
    } catch (e) {
      return Promise.reject(e);
    } finally {
      this.arm();
    }
  }

  /** Heartbeat: keeps the session alive; REBALANCE_IN_PROGRESS tells the member to rejoin. */
  heartbeat(req: MemberRef): void {
    this.assertOpen();
    const { group, member } = this.currentMember(req);
    member.lastHeartbeatMs = this.now();
    this.arm();
    if (group.state === GroupState.PreparingRebalance) {
      throw groupError('REBALANCE_IN_PROGRESS', group.groupId, `group ${group.groupId} is rebalancing: rejoin`);
    }
  }

  /** LeaveGroup: each member's own error code (0 when it left). */
  leaveGroup(groupId: string, memberIds: string[]): { memberId: string; errorCode: number }[] {
    this.assertOpen();
    requireGroupId(groupId);
    const group = this.groups.get(groupId);
    const out = memberIds.map((memberId) => ({ memberId, errorCode: group ? this.leave(group, memberId) : errorCodeOf('UNKNOWN_MEMBER_ID') }));
    this.arm();
    return out;
  }

  private leave(group: Group, memberId: string): number {
    if (group.pendingMembers.delete(memberId)) {
      this.tryCompleteJoin(group);
      return 0;
    }
    const member = group.members.get(memberId);
    if (!member) return errorCodeOf('UNKNOWN_MEMBER_ID');
    this.removeMember(group, member, 'left the group');
    return 0;
  }

  private joinNewMember(group: Group, req: JoinGroupInput): Promise<JoinResult> {
    if (group.members.size + group.pendingMembers.size >= GROUP_MEMBERS_MAX) {
      throw new CopylessError('GROUP_MAX_SIZE_REACHED', `group ${group.groupId} has ${GROUP_MEMBERS_MAX} members, the most allowed (GROUP_MEMBERS_MAX)`, {
        groupId: group.groupId,
        limit: 'GROUP_MEMBERS_MAX',
        max: GROUP_MEMBERS_MAX,
      });
    }
    const memberId = `${req.clientId}-${randomUUID()}`;
    if (req.requireKnownMemberId) {
      group.pendingMembers.set(memberId, this.now() + req.sessionTimeoutMs);
      throw new CopylessError('MEMBER_ID_REQUIRED', `join group ${group.groupId} again with memberId ${memberId}`, { groupId: group.groupId, memberId });
    }
    return this.addMemberAndRebalance(group, memberId, req);
  }

  private joinKnownMember(group: Group, req: JoinGroupInput): Promise<JoinResult> {
    if (group.pendingMembers.delete(req.memberId)) return this.addMemberAndRebalance(group, req.memberId, req);
    const member = group.members.get(req.memberId);
    if (!member) throw groupError('UNKNOWN_MEMBER_ID', group.groupId, `member ${req.memberId} is not in group ${group.groupId}`);
    const unchanged = member.sameProtocols(req.protocols);
    switch (group.state) {
      case GroupState.CompletingRebalance:
        // The member lost its JoinGroup response: answer again from the current generation.
        if (unchanged) return Promise.resolve(group.joinResultFor(member));
        break;
      case GroupState.Stable:
        // A follower rejoining unchanged needs no rebalance; a leader rejoins to make one (new topics, say).
        if (unchanged && member.memberId !== group.leaderId) return Promise.resolve(group.joinResultFor(member));
        break;
    }
    return this.updateMemberAndRebalance(group, member, req);
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupInput): Promise<JoinResult> {
    const member = new Member({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: rebalanceTimeoutOf(req),
      protocols: req.protocols,
      nowMs: this.now(),
    });
    const joined = this.parkJoin(member);
    group.add(member, req.protocolType);
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
    this.tryCompleteJoin(group);
    return joined;
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupInput): Promise<JoinResult> {
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(req);
    member.joinWaiter?.reject(groupError('REBALANCE_IN_PROGRESS', group.groupId, `superseded by a newer JoinGroup from member ${member.memberId}`));
    const joined = this.parkJoin(member);
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    this.tryCompleteJoin(group);
    return joined;
  }

  private parkJoin(member: Member): Promise<JoinResult> {
    return new Promise<JoinResult>((resolve, reject) => {
      member.joinWaiter = { resolve, reject };
    });
  }

  private awaitAssignment(group: Group, member: Member, assignments: SyncGroupInput['assignments']): Promise<Buffer> {
    member.syncWaiter?.reject(groupError('REBALANCE_IN_PROGRESS', group.groupId, `superseded by a newer SyncGroup from member ${member.memberId}`));
    const synced = new Promise<Buffer>((resolve, reject) => {
      member.syncWaiter = { resolve, reject };
    });
    if (member.memberId === group.leaderId) {
      const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? Buffer.alloc(0);
      group.state = GroupState.Stable;
      for (const m of group.members.values()) settleSync(m, (w) => w.resolve(m.assignment));
      this.logger.info({ groupId: group.groupId, generationId: group.generationId, members: group.members.size }, 'group stable');
    }
    return synced;
  }

  /** The group and member a request names, validated as Kafka does (member first, then generation). */
  private currentMember(req: MemberRef): { group: Group; member: Member } {
    requireGroupId(req.groupId);
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    if (!group || !member) throw groupError('UNKNOWN_MEMBER_ID', req.groupId, `member ${req.memberId} is not in group ${req.groupId}`);
    if (req.generationId !== group.generationId) {
      throw groupError('ILLEGAL_GENERATION', req.groupId, `generationId ${req.generationId} is not group ${req.groupId}'s current generation ${group.generationId}`);
    }
    return { group, member };
  }

  // ------------------------------------------------------------ rebalance

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.state === GroupState.PreparingRebalance) return;
    if (group.state === GroupState.CompletingRebalance) {
      // The assignment being completed is void: members waiting for it rejoin.
      for (const m of group.members.values()) {
        m.assignment = Buffer.alloc(0);
        settleSync(m, (w) => w.reject(groupError('REBALANCE_IN_PROGRESS', group.groupId, `group ${group.groupId} is rebalancing again: ${reason}`)));
      }
    }
    group.state = GroupState.PreparingRebalance;
    group.joinDeadlineMs = this.now() + group.rebalanceTimeoutMs();
    this.logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'rebalance started');
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state === GroupState.PreparingRebalance && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  /** End the join round: drop members that did not rejoin, start the next generation, answer every JoinGroup. */
  private completeJoin(group: Group): void {
    for (const m of [...group.members.values()]) {
      if (!m.joinWaiter) {
        group.remove(m.memberId);
        this.logger.info({ groupId: group.groupId, memberId: m.memberId }, 'member removed: did not rejoin within the rebalance timeout');
      }
    }
    group.generationId++;
    group.joinDeadlineMs = Infinity;
    if (group.members.size === 0) {
      group.state = GroupState.Empty;
      group.protocol = null;
      this.forgetIfUnused(group);
      this.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group empty');
      return;
    }
    group.protocol = group.selectProtocol();
    group.state = GroupState.CompletingRebalance;
    const nowMs = this.now();
    for (const m of group.members.values()) {
      m.lastHeartbeatMs = nowMs;
      const result = group.joinResultFor(m);
      settleJoin(m, (w) => w.resolve(result));
    }
    this.logger.info(
      { groupId: group.groupId, generationId: group.generationId, protocol: group.protocol, leader: group.leaderId, members: group.members.size },
      'join round complete',
    );
  }

  /** A member leaves (LeaveGroup, session timeout): its parked requests fail and the others rebalance. */
  private removeMember(group: Group, member: Member, reason: string): void {
    const gone = groupError('UNKNOWN_MEMBER_ID', group.groupId, `member ${member.memberId} was removed from group ${group.groupId}: ${reason}`);
    settleJoin(member, (w) => w.reject(gone));
    settleSync(member, (w) => w.reject(gone));
    group.remove(member.memberId);
    this.logger.info({ groupId: group.groupId, memberId: member.memberId, reason }, 'member removed');
    if (group.state === GroupState.Stable || group.state === GroupState.CompletingRebalance) {
      this.maybePrepareRebalance(group, `member ${member.memberId} ${reason}`);
    }
    this.tryCompleteJoin(group);
  }

  /** Drop an empty group object once nothing refers to it (its committed offsets keep it listed). */
  private forgetIfUnused(group: Group): void {
    if (group.state === GroupState.Empty && group.members.size === 0 && group.pendingMembers.size === 0 && !this.offsets.hasGroup(group.groupId)) {
      this.groups.delete(group.groupId);
    }
  }

  // ------------------------------------------------------------ deadlines

  /** Expire whatever is due at the current time: sessions, MEMBER_ID_REQUIRED members, join rounds. Called by the timer (or by tests with a fake clock). */
  tick(): void {
    if (this.closed) return;
    const nowMs = this.now();
    for (const group of [...this.groups.values()]) {
      for (const [memberId, dueMs] of [...group.pendingMembers]) {
        if (nowMs >= dueMs) group.pendingMembers.delete(memberId);
      }
      for (const m of [...group.members.values()]) {
        if (group.members.get(m.memberId) === m && nowMs >= m.sessionDeadlineMs()) this.removeMember(group, m, 'session timed out');
      }
      if (group.state === GroupState.PreparingRebalance && (nowMs >= group.joinDeadlineMs || group.hasAllMembersJoined())) this.completeJoin(group);
      this.forgetIfUnused(group);
    }
    this.arm();
  }

  /** One timer for the whole coordinator, due at the earliest deadline of any group. */
  private arm(): void {
    if (this.closed) return;
    let dueMs = Infinity;
    for (const g of this.groups.values()) dueMs = Math.min(dueMs, g.nextDeadlineMs());
    if (this.timer && dueMs === this.timerDueMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDueMs = dueMs;
    if (dueMs === Infinity) return;
    const delayMs = Math.min(Math.max(0, dueMs - this.now()), TIMER_DELAY_MS_MAX);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDueMs = Infinity;
      this.tick();
    }, delayMs);
    this.timer.unref();
  }

  // ------------------------------------------------------------- offsets

  /**
   * OffsetCommit: group-level refusals (unknown member, stale generation,
   * rebalance completing) throw; per-partition refusals are error codes. The
   * accepted partitions are stored in one lmdb transaction before this resolves.
   */
  async commitOffsets(req: CommitInput): Promise<CommitResultTopic[]> {
    this.assertOpen();
    if (typeof req.groupId !== 'string') throw new CopylessError('INVALID_GROUP_ID', 'groupId is required', { field: 'groupId' });
    this.validateCommitter(req);
    const writes: OffsetWrite[] = [];
    const results = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const errorCode = this.commitProblem(t.name, p.partitionIndex, p.committedMetadata);
        if (errorCode === 0) writes.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? '' });
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
    await this.offsets.commit(req.groupId, writes, this.now());
    return results;
  }

  /** Kafka's rules for who may commit: members of the current generation, or anyone (an admin, a standalone consumer) while the group has no members. */
  private validateCommitter(req: MemberRef): void {
    const group = this.groups.get(req.groupId);
    if (!group || group.members.size === 0) {
      if (req.generationId < 0) return;
      if (!group) throw groupError('ILLEGAL_GENERATION', req.groupId, `group ${req.groupId} has no generation ${req.generationId}; commit with generationId -1 outside a group`);
    }
    const g = group!;
    if (g.state === GroupState.CompletingRebalance) throw groupError('REBALANCE_IN_PROGRESS', g.groupId, `group ${g.groupId} is completing a rebalance: commit after SyncGroup`);
    const { member } = this.currentMember(req);
    member.lastHeartbeatMs = this.now();
  }

  private commitProblem(topic: string, partition: number, metadata: string | null): number {
    if (!(partition >= 0 && partition < this.broker.partitionCount(topic))) return errorCodeOf('UNKNOWN_TOPIC_OR_PARTITION');
    if (metadata !== null && Buffer.byteLength(metadata) > GROUP_OFFSET_METADATA_BYTES_MAX) return errorCodeOf('OFFSET_METADATA_TOO_LARGE');
    return 0;
  }

  /** OffsetFetch: committed offsets, -1 (and '') for partitions without one; `topics` null means every committed partition. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): FetchedOffsetsTopic[] {
    this.assertOpen();
    if (topics === null) {
      const byTopic = new Map<string, FetchedOffsetsTopic>();
      for (const c of this.offsets.partitions(groupId)) {
        let t = byTopic.get(c.topic);
        if (!t) byTopic.set(c.topic, (t = { name: c.topic, partitions: [] }));
        t.partitions.push({ partitionIndex: c.partition, committedOffset: c.offset, metadata: c.metadata, errorCode: 0 });
      }
      return [...byTopic.values()];
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const c = this.offsets.get(groupId, t.name, partitionIndex);
        return { partitionIndex, committedOffset: c?.offset ?? -1, metadata: c?.metadata ?? '', errorCode: 0 };
      }),
    }));
  }

  /** Move a group's committed offsets (CLI reset-offsets); only while no member could overwrite them. */
  async resetOffsets(groupId: string, o: ResetOffsetsInput): Promise<{ topic: string; partition: number; offset: number }[]> {
    this.assertOpen();
    requireGroupId(groupId);
    const group = this.groups.get(groupId);
    if (group && group.members.size > 0) {
      throw new CopylessError('NON_EMPTY_GROUP', `group ${groupId} has ${group.members.size} active members; stop them before resetting offsets`, { groupId });
    }
    const targets = resetTargets(this.broker, o);
    await this.offsets.commit(
      groupId,
      targets.map((t) => ({ ...t, metadata: '' })),
      this.now(),
    );
    this.logger.info({ groupId, topic: o.topic, to: o.to, partitions: targets.length }, 'offsets reset');
    return targets;
  }

  private purgeDeletedTopics(): void {
    this.offsets.removeTopicsExcept((t) => this.broker.hasTopic(t)).then(
      (n) => {
        if (n > 0) this.logger.info({ offsets: n }, 'committed offsets of deleted topics removed');
        for (const g of [...this.groups.values()]) this.forgetIfUnused(g);
      },
      (e) => this.logger.warn({ err: (e as Error).message }, 'could not remove committed offsets of deleted topics'),
    );
  }

  // ------------------------------------------------------------- reports

  /** Every group with members or committed offsets. */
  listGroups(): GroupSummary[] {
    const ids = new Set([...this.groups.keys(), ...this.offsets.groupIds()]);
    return [...ids].sort().map((groupId) => {
      const g = this.groups.get(groupId);
      return { groupId, state: g?.state ?? GroupState.Empty, protocolType: g?.protocolType ?? '', members: g?.members.size ?? 0 };
    });
  }

  /** Members, assignments and lag of a group; GROUP_ID_NOT_FOUND when it has neither members nor commits. */
  describeGroup(groupId: string): GroupDescription {
    const group = this.groups.get(groupId);
    const committed = this.offsets.partitions(groupId);
    if ((!group || group.members.size === 0) && committed.length === 0) {
      throw new CopylessError('GROUP_ID_NOT_FOUND', `group ${groupId} has no members and no committed offsets`, { groupId });
    }
    return describeGroup({ groupId, group, committed, broker: this.broker, nowMs: this.now() });
  }

  /** The group as Kafka's DescribeGroups shows it (metadata and assignments only while Stable), or null if unknown. */
  viewGroup(groupId: string): GroupView | null {
    const g = this.groups.get(groupId);
    if (!g) return this.offsets.hasGroup(groupId) ? { state: GroupState.Empty, protocolType: '', protocol: null, members: [] } : null;
    const stable = g.state === GroupState.Stable;
    return {
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocol: stable ? g.protocol : null,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(g.protocol ?? '') : Buffer.alloc(0),
        assignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  // ------------------------------------------------------------ lifecycle

  /** Answer every parked request with NOT_COORDINATOR (clients look for the coordinator again) and finish pending writes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.broker.off('topics-changed', this.onTopicsChanged);
    const moved = new CopylessError('NOT_COORDINATOR', 'the group coordinator is shutting down');
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) {
        settleJoin(m, (w) => w.reject(moved));
        settleSync(m, (w) => w.reject(moved));
      }
    }
    await this.offsets.drain();
  }

  private assertOpen(): void {
    if (this.closed) throw new CopylessError('NOT_COORDINATOR', 'the group coordinator is shutting down');
  }

  private validateSessionTimeout(ms: number): void {
    const { sessionTimeoutMsMin: min, sessionTimeoutMsMax: max } = this.settings;
    if (!(Number.isInteger(ms) && ms >= min && ms <= max)) {
      throw new CopylessError('INVALID_SESSION_TIMEOUT', `sessionTimeoutMs is ${ms}, must be ${min}..${max} (groupMinSessionTimeoutMs..groupMaxSessionTimeoutMs)`, {
        field: 'sessionTimeoutMs',
        limit: ms < min ? 'groupMinSessionTimeoutMs' : 'groupMaxSessionTimeoutMs',
        max,
        actual: ms,
      });
    }
  }
}

// ---------------------------------------------------------------- helpers

function groupError(name: ErrorName, groupId: string, message: string): CopylessError {
  return new CopylessError(name, message, { groupId });
}

function errorCodeOf(name: ErrorName): number {
  return new CopylessError(name).code;
}

/** Kafka refuses an empty group id on the membership APIs (OffsetCommit/Fetch still accept it). */
function requireGroupId(groupId: string): void {
  if (typeof groupId !== 'string' || groupId.length === 0) throw new CopylessError('INVALID_GROUP_ID', 'groupId must be a non-empty string', { field: 'groupId' });
}

function rebalanceTimeoutOf(req: JoinGroupInput): number {
  return req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
}

/** Take a member's parked JoinGroup and settle it (exactly once). */
function settleJoin(member: Member, fn: (w: Waiter<JoinResult>) => void): void {
  const w = member.joinWaiter;
  member.joinWaiter = null;
  if (w) fn(w);
}

/** Take a member's parked SyncGroup and settle it (exactly once). */
function settleSync(member: Member, fn: (w: Waiter<Buffer>) => void): void {
  const w = member.syncWaiter;
  member.syncWaiter = null;
  if (w) fn(w);
}

/** The offsets a reset moves each partition to; `offset` is clamped into [logStartOffset, logEndOffset] as Kafka's tool does. */
function resetTargets(broker: Broker, o: ResetOffsetsInput): { topic: string; partition: number; offset: number }[] {
  if (typeof o.topic !== 'string' || !broker.hasTopic(o.topic)) {
    throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${String(o.topic)} does not exist`, { topic: o.topic, field: 'topic' });
  }
  if (o.to !== 'earliest' && o.to !== 'latest' && o.to !== 'offset') {
    throw new CopylessError('INVALID_REQUEST', `to is ${JSON.stringify(o.to)}, must be earliest, latest or offset`, { field: 'to' });
  }
  if (o.to === 'offset' && !(Number.isSafeInteger(o.offset) && o.offset! >= 0)) {
    throw new CopylessError('INVALID_REQUEST', `offset is ${JSON.stringify(o.offset)}, must be an integer >= 0 when to is offset`, { field: 'offset' });
  }
  const count = broker.partitionCount(o.topic);
  const partitions = o.partitions ?? Array.from({ length: count }, (_, p) => p);
  if (!Array.isArray(partitions)) throw new CopylessError('INVALID_REQUEST', 'partitions must be an array of partition ids', { field: 'partitions' });
  return partitions.map((partition) => {
    const log = broker.partitionLog(o.topic, partition);
    const offset = o.to === 'earliest' ? log.logStartOffset : o.to === 'latest' ? log.logEndOffset : Math.min(Math.max(o.offset!, log.logStartOffset), log.logEndOffset);
    return { topic: o.topic, partition, offset };
  });
}
