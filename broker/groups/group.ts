// One consumer group's membership state, as Kafka's classic group protocol
// (GroupMetadata.scala) defines it. Pure state and rules, no timers and no
// I/O: the coordinator drives the transitions and owns the clock.
//
//   Empty ──join──► PreparingRebalance ──all joined / rebalance timeout──► CompletingRebalance
//     ▲                 ▲        │                                              │ leader's SyncGroup
//     │                 │        └──no member left──► Empty                     ▼
//     └─last member─────┴──── join, leave, session timeout ◄──────────────── Stable
//
// A generation is one completed join round: its id, the protocol chosen for
// it and the leader that computes the assignment. Protocol metadata and
// assignments are opaque bytes passed between members.

import { CopylessError } from '../../src/errors.ts';

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupStateName = (typeof GroupState)[keyof typeof GroupState];

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

/** What a JoinGroup answers once the join round completes. `members` is filled for the leader only. */
export interface JoinResult {
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** A request parked until the group moves on: settled exactly once. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: CopylessError): void;
}

const EMPTY = Buffer.alloc(0);

export class Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: MemberProtocol[];
  assignment: Buffer = EMPTY;
  joinWaiter: Waiter<JoinResult> | null = null;
  syncWaiter: Waiter<Buffer> | null = null;
  /** Last heartbeat (or join, sync, commit): the session expires sessionTimeoutMs after it. */
  lastHeartbeatMs: number;

  constructor(o: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    sessionTimeoutMs: number;
    rebalanceTimeoutMs: number;
    protocols: MemberProtocol[];
    nowMs: number;
  }) {
    this.memberId = o.memberId;
    this.groupInstanceId = o.groupInstanceId;
    this.clientId = o.clientId;
    this.clientHost = o.clientHost;
    this.sessionTimeoutMs = o.sessionTimeoutMs;
    this.rebalanceTimeoutMs = o.rebalanceTimeoutMs;
    this.protocols = o.protocols;
    this.lastHeartbeatMs = o.nowMs;
  }

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** Same protocols, same order, same bytes: a rejoin that changes nothing. */
  sameProtocols(protocols: MemberProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata))
    );
  }

  /** A session expires only while the member is not parked in a join or sync (Kafka's shouldKeepAlive). */
  sessionDeadlineMs(): number {
    if (this.joinWaiter || this.syncWaiter) return Infinity;
    return this.lastHeartbeatMs + this.sessionTimeoutMs;
  }
}

export class Group {
  readonly groupId: string;
  state: GroupStateName = GroupState.Empty;
  generationId = 0;
  protocolType: string | null = null;
  protocol: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED (JoinGroup v4+), by the time they expire. */
  readonly pendingMembers = new Map<string, number>();
  /** When a PreparingRebalance round completes even if members are missing. */
  joinDeadlineMs = Infinity;

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  add(member: Member, protocolType: string): void {
    if (this.members.size === 0) this.protocolType = protocolType;
    this.members.set(member.memberId, member);
    this.leaderId ??= member.memberId;
  }

  remove(memberId: string): void {
    this.members.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /** Protocol names every current member supports, in no particular order. */
  candidateProtocols(): Set<string> {
    const supporters = new Map<string, number>();
    for (const m of this.members.values()) {
      for (const name of new Set(m.protocols.map((p) => p.name))) supporters.set(name, (supporters.get(name) ?? 0) + 1);
    }
    return new Set([...supporters].filter(([, n]) => n === this.members.size).map(([name]) => name));
  }

  /** May a member of this type with these protocols join (Kafka supportsProtocols)? */
  supportsProtocols(protocolType: string, names: string[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && names.length > 0;
    const candidates = this.candidateProtocols();
    return protocolType === this.protocolType && names.some((n) => candidates.has(n));
  }

  /**
   * The protocol for the next generation: among those every member supports,
   * each member votes for the one it lists first; most votes wins, ties go to
   * the leader's preference order.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    const leader = this.members.get(this.leaderId ?? '') ?? this.members.values().next().value;
    let best = '';
    let bestVotes = -1;
    for (const p of leader?.protocols ?? []) {
      const n = votes.get(p.name) ?? 0;
      if (candidates.has(p.name) && n > bestVotes) [best, bestVotes] = [p.name, n];
    }
    return best;
  }

  /** The join round may complete: every member has rejoined and no MEMBER_ID_REQUIRED member is still due. */
  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (!m.joinWaiter) return false;
    return this.pendingMembers.size === 0;
  }

  /** How long a join round waits for missing members: the longest rebalance timeout of any member. */
  rebalanceTimeoutMs(): number {
    let ms = 0;
    for (const m of this.members.values()) ms = Math.max(ms, m.rebalanceTimeoutMs);
    return ms;
  }

  /** The JoinGroup answer of the current generation for one member. */
  joinResultFor(member: Member): JoinResult {
    const isLeader = member.memberId === this.leaderId;
    const protocol = this.protocol ?? '';
    return {
      generationId: this.generationId,
      protocolName: protocol,
      leader: this.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }))
        : [],
    };
  }

  /** The earliest time something in this group is due: join deadline, a session or a pending member expiring. */
  nextDeadlineMs(): number {
    let t = this.state === GroupState.PreparingRebalance ? this.joinDeadlineMs : Infinity;
    for (const m of this.members.values()) t = Math.min(t, m.sessionDeadlineMs());
    for (const due of this.pendingMembers.values()) t = Math.min(t, due);
    return t;
  }
}
