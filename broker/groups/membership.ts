// Group membership, Kafka's classic group protocol: JoinGroup, SyncGroup,
// Heartbeat and LeaveGroup over the Group state machine in group.ts, the
// rebalances they start and complete, and the deadlines that end sessions
// and join rounds. This broker is the coordinator of every group.
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
import { CopylessError, ErrorCode, type ErrorName } from '../../src/errors.ts';
import { GROUP_MEMBERS_MAX, GROUP_SESSION_TIMEOUT_MS_MAX, GROUP_SESSION_TIMEOUT_MS_MIN } from '../../src/limits.ts';
import { Group, GroupState, Member, type JoinResult, type MemberProtocol, type Waiter } from './group.ts';

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

export class GroupMembership {
  readonly settings: GroupSettings;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** Whether a group has committed offsets, which keep an empty group listed. */
  private readonly hasCommits: (groupId: string) => boolean;
  private readonly groups = new Map<string, Group>();
  private timer: NodeJS.Timeout | null = null;
  private timerDueMs = Infinity;
  private closed = false;

  constructor(o: {
    logger: Logger;
    now: () => number;
    hasCommits: (groupId: string) => boolean;
    sessionTimeoutMsMin?: number;
    sessionTimeoutMsMax?: number;
  }) {
    this.logger = o.logger;
    this.now = o.now;
    this.hasCommits = o.hasCommits;
    this.settings = {
      sessionTimeoutMsMin: o.sessionTimeoutMsMin ?? GROUP_SESSION_TIMEOUT_MS_MIN,
      sessionTimeoutMsMax: o.sessionTimeoutMsMax ?? GROUP_SESSION_TIMEOUT_MS_MAX,
    };
    if (this.settings.sessionTimeoutMsMin > this.settings.sessionTimeoutMsMax) {
      throw new CopylessError('INVALID_CONFIG', `sessionTimeoutMsMin ${this.settings.sessionTimeoutMsMin} is above sessionTimeoutMsMax ${this.settings.sessionTimeoutMsMax}`, {
        field: 'sessionTimeoutMsMin',
      });
    }
  }

  /** The membership state of `groupId`, if the coordinator holds one. */
  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** JoinGroup: resolves when the join round completes (or at once for a rejoin that changes nothing). */
  joinGroup(req: JoinGroupInput): Promise<JoinResult> {
    try {
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
    const { group, member } = this.currentMember(req);
    member.lastHeartbeatMs = this.now();
    this.arm();
    if (group.state === GroupState.PreparingRebalance) {
      throw groupError('REBALANCE_IN_PROGRESS', group.groupId, `group ${group.groupId} is rebalancing: rejoin`);
    }
  }

  /** LeaveGroup: each member's own error code (0 when it left). */
  leaveGroup(groupId: string, memberIds: string[]): { memberId: string; errorCode: number }[] {
    requireGroupId(groupId);
    const group = this.groups.get(groupId);
    const out = memberIds.map((memberId) => ({ memberId, errorCode: group ? this.leave(group, memberId) : ErrorCode.UNKNOWN_MEMBER_ID }));
    this.arm();
    return out;
  }

  /** Kafka's rules for who may commit: members of the current generation, or anyone (an admin, a standalone consumer) while the group has no members. */
  checkCommitter(req: MemberRef): void {
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

  /** Reset-offsets moves committed offsets only while no member could overwrite them. */
  assertNoMembers(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group && group.members.size > 0) {
      throw new CopylessError('NON_EMPTY_GROUP', `group ${groupId} has ${group.members.size} active members; stop them before resetting offsets`, { groupId });
    }
  }

  /** Drop every empty group that nothing refers to any more (after committed offsets were removed). */
  forgetUnused(): void {
    for (const g of [...this.groups.values()]) this.forgetIfUnused(g);
  }

  private leave(group: Group, memberId: string): number {
    if (group.pendingMembers.delete(memberId)) {
      this.tryCompleteJoin(group);
      return 0;
    }
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
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
    if (group.state === GroupState.Empty && group.members.size === 0 && group.pendingMembers.size === 0 && !this.hasCommits(group.groupId)) {
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

  /** Answer every parked request with `reason` and stop the timer for good. */
  close(reason: CopylessError): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) {
        settleJoin(m, (w) => w.reject(reason));
        settleSync(m, (w) => w.reject(reason));
      }
    }
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

/** Kafka refuses an empty group id on the membership APIs (OffsetCommit/Fetch still accept it). */
export function requireGroupId(groupId: string): void {
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
