// The reports of groups: the one `copyless group describe`, the HTTP API and
// the metrics read (members with their decoded assignments, and per partition
// the committed offset and the lag, lag.ts; every partition that has a
// commit or is assigned to a member appears, sorted by topic then partition),
// and the view Kafka's DescribeGroups answers with.

import type { GroupDescription, GroupLagPartition, GroupSummary } from '../../src/protocol/index.ts';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignmentOrNull } from '../../src/protocol/consumer-protocol.ts';
import { GroupState, type Group, type GroupStateName } from './group.ts';
import { partitionLag } from './lag.ts';
import type { CommittedPartition } from './offset-store.ts';
import type { TopicCatalog } from './topic-catalog.ts';

export type { GroupDescription, GroupLagPartition, GroupSummary };

/** A group as Kafka's DescribeGroups reports it. */
export interface GroupView {
  state: GroupStateName;
  protocolType: string;
  protocol: string | null;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

export function describeGroup(o: {
  groupId: string;
  group: Group | undefined;
  committed: CommittedPartition[];
  catalog: TopicCatalog;
  nowMs: number;
}): GroupDescription {
  const { group } = o;
  const memberList = [...(group?.members.values() ?? [])].map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    assignment: group?.protocolType === CONSUMER_PROTOCOL_TYPE ? (decodeAssignmentOrNull(m.assignment) ?? []) : [],
  }));
  const owners = new Map<string, string>();
  for (const m of memberList) for (const a of m.assignment) for (const p of a.partitions) owners.set(key(a.topic, p), m.memberId);
  const partitions = lagPartitions(o.catalog, o.committed, owners, o.nowMs);
  return {
    groupId: o.groupId,
    state: group?.state ?? GroupState.Empty,
    protocolType: group?.protocolType ?? '',
    members: memberList.length,
    protocol: group?.protocol ?? null,
    generationId: group?.generationId ?? 0,
    memberList,
    partitions,
    totalLag: partitions.reduce((n, p) => n + p.lagMessages, 0),
  };
}

/** One line of the group list. */
export function summarizeGroup(groupId: string, g: Group | undefined): GroupSummary {
  return { groupId, state: g?.state ?? GroupState.Empty, protocolType: g?.protocolType ?? '', members: g?.members.size ?? 0 };
}

/** The view of a known group (metadata and assignments only while Stable), or of one known by its committed offsets only. */
export function viewGroup(g: Group | undefined): GroupView {
  if (!g) return { state: GroupState.Empty, protocolType: '', protocol: null, members: [] };
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

function lagPartitions(catalog: TopicCatalog, committed: CommittedPartition[], owners: Map<string, string>, nowMs: number): GroupLagPartition[] {
  const byKey = new Map<string, { topic: string; partition: number; commit: CommittedPartition | null }>();
  for (const c of committed) byKey.set(key(c.topic, c.partition), { topic: c.topic, partition: c.partition, commit: c });
  for (const k of owners.keys()) {
    if (byKey.has(k)) continue;
    const [topic, partition] = splitKey(k);
    byKey.set(k, { topic, partition, commit: null });
  }
  const rows = [...byKey.entries()].map(([k, { topic, partition, commit }]): GroupLagPartition => {
    const committedOffset = commit?.offset ?? -1;
    const lag = lagOf(catalog, topic, partition, committedOffset, nowMs);
    return {
      topic,
      partition,
      committedOffset,
      ...lag,
      memberId: owners.get(k) ?? null,
      metadata: commit?.metadata ?? null,
      commitTimestamp: commit?.commitTimestamp ?? null,
    };
  });
  return rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** Lag against the partition's log; a partition that does not exist (an assignment naming a deleted topic) reports -1 offsets and no lag. */
function lagOf(catalog: TopicCatalog, topic: string, partition: number, committedOffset: number, nowMs: number) {
  if (!(partition >= 0 && partition < catalog.partitionCount(topic))) {
    return { logStartOffset: -1, logEndOffset: -1, lagMessages: 0, lagBytes: 0, oldestUnconsumedAgeMs: null };
  }
  return partitionLag(catalog.partitionLog(topic, partition), committedOffset, nowMs);
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(k: string): [string, number] {
  const i = k.lastIndexOf('\u0000');
  return [k.slice(0, i), Number(k.slice(i + 1))];
}
