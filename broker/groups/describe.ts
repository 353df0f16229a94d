// The report of one group that `copyless group describe`, the HTTP API and
// the metrics read: members with their decoded assignments, and per partition
// the committed offset and the lag (lag.ts). Every partition that has a
// commit or is assigned to a member appears, sorted by topic then partition.

import type { GroupDescription, GroupLagPartition, GroupSummary } from '../../src/protocol/index.ts';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignmentOrNull } from '../../src/protocol/consumer-protocol.ts';
import type { Broker } from '../broker.ts';
import { GroupState, type Group } from './group.ts';
import { partitionLag } from './lag.ts';
import type { CommittedPartition } from './offset-store.ts';

export type { GroupDescription, GroupLagPartition, GroupSummary };

export function describeGroup(o: {
  groupId: string;
  group: Group | undefined;
  committed: CommittedPartition[];
  broker: Broker;
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
  const partitions = lagPartitions(o.broker, o.committed, owners, o.nowMs);
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

function lagPartitions(broker: Broker, committed: CommittedPartition[], owners: Map<string, string>, nowMs: number): GroupLagPartition[] {
  const byKey = new Map<string, { topic: string; partition: number; commit: CommittedPartition | null }>();
  for (const c of committed) byKey.set(key(c.topic, c.partition), { topic: c.topic, partition: c.partition, commit: c });
  for (const k of owners.keys()) {
    if (byKey.has(k)) continue;
    const [topic, partition] = splitKey(k);
    byKey.set(k, { topic, partition, commit: null });
  }
  const rows = [...byKey.entries()].map(([k, { topic, partition, commit }]): GroupLagPartition => {
    const committedOffset = commit?.offset ?? -1;
    const lag = lagOf(broker, topic, partition, committedOffset, nowMs);
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
function lagOf(broker: Broker, topic: string, partition: number, committedOffset: number, nowMs: number) {
  if (!(partition >= 0 && partition < broker.partitionCount(topic))) {
    return { logStartOffset: -1, logEndOffset: -1, lagMessages: 0, lagBytes: 0, oldestUnconsumedAgeMs: null };
  }
  return partitionLag(broker.partitionLog(topic, partition), committedOffset, nowMs);
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(k: string): [string, number] {
  const i = k.lastIndexOf('\u0000');
  return [k.slice(0, i), Number(k.slice(i + 1))];
}
