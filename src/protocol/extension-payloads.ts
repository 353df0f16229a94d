// The JSON documents of the copyless extension APIs (CopylessGroups and
// CopylessDescribeGroup): each request and response carries one JSON document
// (CopylessJsonResponse), whose shape is written here once so the broker that
// builds it and the client that reads it agree. Types only.

/** A group's state, as the broker's group state machine names it. */
export type GroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** A consumer group as CopylessGroups lists it. */
export interface GroupSummary {
  groupId: string;
  state: GroupStateName;
  /** 'consumer' for Kafka consumers; '' for a group that only has committed offsets. */
  protocolType: string;
  members: number;
}

/** One partition of a group's lag report. */
export interface GroupLagPartition {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  logEndOffset: number;
  logStartOffset: number;
  /** logEndOffset - max(committedOffset, logStartOffset); a group with no commit counts from logStartOffset. */
  lagMessages: number;
  /** Bytes of the log from the committed position to its end. */
  lagBytes: number;
  /** now - timestamp of the first unconsumed message; null when the lag is 0. */
  oldestUnconsumedAgeMs: number | null;
  /** The member that owns the partition in the current assignment (consumer protocol only), else null. */
  memberId: string | null;
  metadata: string | null;
  commitTimestamp: number | null;
}

/** A group as CopylessDescribeGroup reports it: members with their decoded assignments, and the lag per partition. */
export interface GroupDescription extends GroupSummary {
  /** The assignor of the current generation. */
  protocol: string | null;
  generationId: number;
  memberList: { memberId: string; clientId: string; clientHost: string; assignment: { topic: string; partitions: number[] }[] }[];
  /** Every partition with a commit or an owner, sorted by topic then partition. */
  partitions: GroupLagPartition[];
  totalLag: number;
}
