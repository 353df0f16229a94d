// Partition assignors: how the group leader splits the subscribed topics'
// partitions among the members. Each is offered in JoinGroup under its
// protocol name; the coordinator picks one every member offers, and the
// leader runs it. Names and algorithms are the Java client's, so a group may
// mix this SDK with Java or librdkafka consumers that offer the same name:
//
// - 'range' (Java RangeAssignor, the Java default): per topic, the members
//   subscribed to it, sorted by member id, take consecutive ranges; the first
//   (partitions % members) members take one extra partition.
// - 'roundrobin' (Java RoundRobinAssignor): every subscribed partition, sorted
//   by topic then partition, dealt to the members sorted by member id in turn,
//   skipping members not subscribed to the partition's topic.
// - 'RoundRobinAssigner': the same round robin under kafkajs's protocol name
//   (kafkajs's only built-in assignor, kafkajs src/consumer/assigners). With
//   every member subscribed to the same topics both deal identically; either
//   way each member reads the bytes the other writes, so a kafkajs member and
//   an SDK member can share a group.

import { CopylessError } from '../../src/errors.ts';
import type { TopicPartitions } from '../../src/protocol/consumer-protocol.ts';

export type AssignorName = 'range' | 'roundrobin' | 'RoundRobinAssigner';

export interface AssignorMember {
  memberId: string;
  topics: string[];
}

export interface Assignor {
  readonly name: AssignorName;
  /** Every member's partitions (an empty list for a member given none). `partitionCounts` holds only topics that exist. */
  assign(members: AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartitions[]>;
}

export const rangeAssignor: Assignor = {
  name: 'range',
  assign(members, partitionCounts) {
    const out = emptyAssignment(members);
    for (const [topic, count] of sortedTopics(partitionCounts)) {
      const subscribers = sortedMembers(members).filter((m) => m.topics.includes(topic));
      if (subscribers.length === 0) continue;
      const perMember = Math.floor(count / subscribers.length);
      const withExtra = count % subscribers.length;
      subscribers.forEach((m, i) => {
        const start = perMember * i + Math.min(i, withExtra);
        const length = perMember + (i < withExtra ? 1 : 0);
        add(out, m.memberId, topic, Array.from({ length }, (_, k) => start + k));
      });
    }
    return out;
  },
};

function roundRobin(members: AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartitions[]> {
  const out = emptyAssignment(members);
  const ring = sortedMembers(members);
  let next = 0;
  for (const [topic, count] of sortedTopics(partitionCounts)) {
    if (!ring.some((m) => m.topics.includes(topic))) continue;
    for (let partition = 0; partition < count; partition++) {
      while (!ring[next % ring.length].topics.includes(topic)) next++;
      add(out, ring[next % ring.length].memberId, topic, [partition]);
      next++;
    }
  }
  return out;
}

export const roundRobinAssignor: Assignor = { name: 'roundrobin', assign: roundRobin };
export const kafkajsRoundRobinAssignor: Assignor = { name: 'RoundRobinAssigner', assign: roundRobin };

const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([rangeAssignor, roundRobinAssignor, kafkajsRoundRobinAssignor].map((a) => [a.name, a]));

/**
 * In preference order: Java's default first; the kafkajs-named round robin
 * last, so that a group mixing this SDK with default kafkajs consumers agrees
 * on it without configuration.
 */
export const ASSIGNORS_DEFAULT: readonly AssignorName[] = ['range', 'roundrobin', 'RoundRobinAssigner'];

/** The assignors for a `consumer({ assignors })` option, in the caller's order. */
export function resolveAssignors(names: readonly string[] | undefined): Assignor[] {
  const list = names ?? ASSIGNORS_DEFAULT;
  if (!Array.isArray(list) || list.length === 0) {
    throw new CopylessError('INVALID_CONFIG', `assignors must be a non-empty array of ${[...ASSIGNORS.keys()].join(', ')}`, { field: 'assignors' });
  }
  return [...new Set(list)].map((name) => {
    const a = ASSIGNORS.get(name);
    if (a === undefined) {
      throw new CopylessError('INVALID_CONFIG', `assignors: unknown assignor ${JSON.stringify(name)}; known: ${[...ASSIGNORS.keys()].join(', ')}`, { field: 'assignors' });
    }
    return a;
  });
}

function emptyAssignment(members: AssignorMember[]): Map<string, TopicPartitions[]> {
  return new Map(members.map((m) => [m.memberId, []]));
}

function add(out: Map<string, TopicPartitions[]>, memberId: string, topic: string, partitions: number[]): void {
  if (partitions.length === 0) return;
  const list = out.get(memberId)!;
  const entry = list.find((t) => t.topic === topic);
  if (entry) entry.partitions.push(...partitions);
  else list.push({ topic, partitions });
}

function sortedMembers(members: AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => compare(a.memberId, b.memberId));
}

function sortedTopics(partitionCounts: ReadonlyMap<string, number>): [string, number][] {
  return [...partitionCounts].sort(([a], [b]) => compare(a, b));
}

/** Code-unit order, as Java's String.compareTo and JavaScript's default sort. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
