// The consumer-group coordinator of the broker core: the one object the Kafka
// handlers, the HTTP routes, the WebSocket gateway and the metrics talk to.
// It wires three parts together and adds nothing of its own but the open/
// closed state:
//   membership.ts      JoinGroup, SyncGroup, Heartbeat, LeaveGroup, rebalances, deadlines
//   offset-commits.ts  OffsetCommit, OffsetFetch, reset-offsets, committed offsets in lmdb
//   describe.ts        the group list, describe with lag, DescribeGroups' view
// It sees the broker's topics only through a TopicCatalog (topic-catalog.ts).
//
// Failures are CopylessErrors carrying Kafka's group error codes; the Kafka
// handlers turn them into response error codes.

import type { Logger } from 'pino';
import { CopylessError } from '../../src/errors.ts';
import type { MetaStore } from '../meta-store.ts';
import { describeGroup, summarizeGroup, viewGroup, type GroupDescription, type GroupSummary, type GroupView } from './describe.ts';
import type { JoinResult } from './group.ts';
import { GroupMembership, requireGroupId, type GroupSettings, type JoinGroupInput, type MemberRef, type SyncGroupInput } from './membership.ts';
import { OffsetCommits, type CommitInput, type CommitResultTopic, type FetchedOffsetsTopic, type ResetOffsetsInput } from './offset-commits.ts';
import { TOPICS_CHANGED, type TopicCatalog } from './topic-catalog.ts';

export type { GroupDescription, GroupLagPartition, GroupSummary, GroupView } from './describe.ts';
export type { JoinResult, MemberProtocol } from './group.ts';
export type { GroupSettings, JoinGroupInput, MemberRef, SyncGroupInput } from './membership.ts';
export type { CommitInput, CommitResultTopic, FetchedOffsetsTopic, ResetOffsetsInput } from './offset-commits.ts';
export type { TopicCatalog } from './topic-catalog.ts';

export class GroupCoordinator {
  readonly settings: GroupSettings;
  private readonly catalog: TopicCatalog;
  private readonly now: () => number;
  private readonly membership: GroupMembership;
  private readonly offsets: OffsetCommits;
  private closed = false;
  private readonly onTopicsChanged = () => {
    void this.offsets.removeDeletedTopics().then((removed) => removed && this.membership.forgetUnused());
  };

  constructor(o: {
    catalog: TopicCatalog;
    meta: MetaStore;
    logger: Logger;
    now?: () => number;
    sessionTimeoutMsMin?: number;
    sessionTimeoutMsMax?: number;
  }) {
    const logger = o.logger.child({ component: 'groups' });
    this.catalog = o.catalog;
    this.now = o.now ?? Date.now;
    this.membership = new GroupMembership({
      logger,
      now: this.now,
      hasCommits: (groupId) => this.offsets.hasCommits(groupId),
      sessionTimeoutMsMin: o.sessionTimeoutMsMin,
      sessionTimeoutMsMax: o.sessionTimeoutMsMax,
    });
    this.settings = this.membership.settings;
    this.offsets = new OffsetCommits({ catalog: o.catalog, meta: o.meta, logger, now: this.now });
    this.catalog.on(TOPICS_CHANGED, this.onTopicsChanged);
  }

  // ------------------------------------------------------------ membership

  /** JoinGroup: resolves when the join round completes (or at once for a rejoin that changes nothing). */
  joinGroup(req: JoinGroupInput): Promise<JoinResult> {
    return this.closed ? Promise.reject(shuttingDown()) : this.membership.joinGroup(req);
  }

  /** SyncGroup: the member's assignment, once the leader has sent the generation's assignments. */
  syncGroup(req: SyncGroupInput): Promise<Buffer> {
    return this.closed ? Promise.reject(shuttingDown()) : this.membership.syncGroup(req);
  }

  /** Heartbeat: keeps the session alive; REBALANCE_IN_PROGRESS tells the member to rejoin. */
  heartbeat(req: MemberRef): void {
    this.assertOpen();
    this.membership.heartbeat(req);
  }

  /** LeaveGroup: each member's own error code (0 when it left). */
  leaveGroup(groupId: string, memberIds: string[]): { memberId: string; errorCode: number }[] {
    this.assertOpen();
    return this.membership.leaveGroup(groupId, memberIds);
  }

  /** Expire whatever is due at the current time. Called by the membership's timer, or by tests with a fake clock. */
  tick(): void {
    this.membership.tick();
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
    this.membership.checkCommitter(req);
    return this.offsets.commit(req);
  }

  /** OffsetFetch: committed offsets, -1 (and '') for partitions without one; `topics` null means every committed partition. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): FetchedOffsetsTopic[] {
    this.assertOpen();
    return this.offsets.fetch(groupId, topics);
  }

  /** Move a group's committed offsets (CLI reset-offsets); only while no member could overwrite them. */
  async resetOffsets(groupId: string, o: ResetOffsetsInput): Promise<{ topic: string; partition: number; offset: number }[]> {
    this.assertOpen();
    requireGroupId(groupId);
    this.membership.assertNoMembers(groupId);
    return this.offsets.reset(groupId, o);
  }

  // ------------------------------------------------------------- reports

  /** Every group with members or committed offsets. */
  listGroups(): GroupSummary[] {
    const ids = new Set([...this.membership.groupIds(), ...this.offsets.groupIds()]);
    return [...ids].sort().map((groupId) => summarizeGroup(groupId, this.membership.group(groupId)));
  }

  /** Members, assignments and lag of a group; GROUP_ID_NOT_FOUND when it has neither members nor commits. */
  describeGroup(groupId: string): GroupDescription {
    const group = this.membership.group(groupId);
    const committed = this.offsets.committed(groupId);
    if ((!group || group.members.size === 0) && committed.length === 0) {
      throw new CopylessError('GROUP_ID_NOT_FOUND', `group ${groupId} has no members and no committed offsets`, { groupId });
    }
    return describeGroup({ groupId, group, committed, catalog: this.catalog, nowMs: this.now() });
  }

  /** The group as Kafka's DescribeGroups shows it (metadata and assignments only while Stable), or null if unknown. */
  viewGroup(groupId: string): GroupView | null {
    const group = this.membership.group(groupId);
    return group || this.offsets.hasCommits(groupId) ? viewGroup(group) : null;
  }

  // ------------------------------------------------------------ lifecycle

  /** Answer every parked request with NOT_COORDINATOR (clients look for the coordinator again) and finish pending writes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.catalog.off(TOPICS_CHANGED, this.onTopicsChanged);
    this.membership.close(shuttingDown());
    await this.offsets.drain();
  }

  private assertOpen(): void {
    if (this.closed) throw shuttingDown();
  }
}

function shuttingDown(): CopylessError {
  return new CopylessError('NOT_COORDINATOR', 'the group coordinator is shutting down');
}
