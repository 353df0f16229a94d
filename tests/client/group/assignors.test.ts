// Proves the SDK's assignors agree with Kafka's and kafkajs's: range and round robin reproduce the Java client's documented examples, match kafkajs's RoundRobinAssigner partition for partition, and (random model test) hand every subscribed partition to exactly one subscribed member.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkajsRoundRobinAssignor, rangeAssignor, resolveAssignors, roundRobinAssignor, type AssignorMember } from '../../../client/group/assignors.ts';
import type { TopicPartitions } from '../../../src/protocol/consumer-protocol.ts';

const require = createRequire(import.meta.url);
const { MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js');
const kafkajsRoundRobin = require('kafkajs/src/consumer/assigners/roundRobinAssigner/index.js');

const counts = (entries: [string, number][]) => new Map(entries);
const plain = (m: Map<string, TopicPartitions[]>) => Object.fromEntries([...m].map(([id, list]) => [id, list.map((t) => `${t.topic}:${t.partitions.join(',')}`)]));

describe('assignors', () => {
  const both = [{ memberId: 'C0', topics: ['t0', 't1'] }, { memberId: 'C1', topics: ['t0', 't1'] }];
  const t0t1 = counts([['t0', 3], ['t1', 3]]);

  it('range follows the Java RangeAssignor example', () => {
    expect(plain(rangeAssignor.assign(both, t0t1))).toEqual({ C0: ['t0:0,1', 't1:0,1'], C1: ['t0:2', 't1:2'] });
  });

  it('round robin follows the Java RoundRobinAssignor examples', () => {
    expect(plain(roundRobinAssignor.assign(both, t0t1))).toEqual({ C0: ['t0:0,2', 't1:1'], C1: ['t0:1', 't1:0,2'] });
    const uneven = [{ memberId: 'C0', topics: ['t0'] }, { memberId: 'C1', topics: ['t0', 't1'] }, { memberId: 'C2', topics: ['t0', 't1', 't2'] }];
    expect(plain(roundRobinAssignor.assign(uneven, counts([['t0', 1], ['t1', 2], ['t2', 3]])))).toEqual({ C0: ['t0:0'], C1: ['t1:0'], C2: ['t1:1', 't2:0,1,2'] });
  });

  it('leave out topics that do not exist and members subscribed to nothing', () => {
    const members = [{ memberId: 'a', topics: ['gone'] }, { memberId: 'b', topics: ['t'] }];
    for (const a of [rangeAssignor, roundRobinAssignor]) expect(plain(a.assign(members, counts([['t', 2]])))).toEqual({ a: [], b: ['t:0,1'] });
  });

  it("the kafkajs-named assignor deals exactly as kafkajs's RoundRobinAssigner", async () => {
    for (let members = 1; members <= 5; members++) {
      for (const topicCounts of [[['t', 4]], [['a', 3], ['b', 5]], [['x', 1], ['y', 2], ['z', 7]]] as [string, number][][]) {
        const ids = Array.from({ length: members }, (_, i) => `member-${(i * 7919) % 13}`);
        const topics = topicCounts.map(([t]) => t);
        const cluster = { findTopicPartitionMetadata: (t: string) => range(new Map(topicCounts).get(t)!).map((partitionId) => ({ partitionId })) };
        const theirs = await kafkajsRoundRobin({ cluster }).assign({ members: ids.map((memberId) => ({ memberId })), topics });
        const ours = kafkajsRoundRobinAssignor.assign(ids.map((memberId) => ({ memberId, topics })), counts(topicCounts));
        for (const id of ids) {
          const decoded = theirs.find((a: { memberId: string }) => a.memberId === id);
          const want = decoded ? MemberAssignment.decode(decoded.memberAssignment).assignment : {};
          expect(Object.fromEntries(ours.get(id)!.map((t) => [t.topic, t.partitions])), `${members} members, ${JSON.stringify(topicCounts)}`).toEqual(want);
        }
      }
    }
  });

  it('model test: every subscribed partition goes to exactly one subscribed member, balanced when subscriptions are equal', () => {
    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 300; round++) {
      const topics = range(1 + random(4)).map((i) => `topic-${i}`);
      const partitionCounts = counts(topics.filter(() => random(5) > 0).map((t) => [t, random(9)]));
      const same = random(2) === 0;
      const members: AssignorMember[] = range(1 + random(6)).map((i) => ({ memberId: `m${random(1000)}-${i}`, topics: same ? topics : topics.filter(() => random(2) === 0) }));
      for (const assignor of [rangeAssignor, roundRobinAssignor]) {
        const plan = assignor.assign(members, partitionCounts);
        const owners = new Map<string, string[]>();
        for (const [memberId, list] of plan) for (const t of list) for (const p of t.partitions) owners.set(`${t.topic}/${p}`, [...(owners.get(`${t.topic}/${p}`) ?? []), memberId]);
        for (const [topic, n] of partitionCounts) {
          const subscribers = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId);
          for (let p = 0; p < n; p++) {
            const got = owners.get(`${topic}/${p}`) ?? [];
            expect(got.length).toBe(subscribers.length === 0 ? 0 : 1);
            if (got.length === 1) expect(subscribers).toContain(got[0]);
          }
        }
        expect(owners.size).toBe([...owners.keys()].filter((k) => partitionCounts.has(k.slice(0, k.lastIndexOf('/')))).length);
        if (same && assignor === roundRobinAssignor) {
          const sizes = [...plan.values()].map((list) => list.reduce((n, t) => n + t.partitions.length, 0));
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('resolves assignor names in the caller order and refuses unknown ones', () => {
    expect(resolveAssignors(undefined).map((a) => a.name)).toEqual(['range', 'roundrobin', 'RoundRobinAssigner']);
    expect(resolveAssignors(['RoundRobinAssigner', 'range']).map((a) => a.name)).toEqual(['RoundRobinAssigner', 'range']);
    expect(() => resolveAssignors([])).toThrow(expect.objectContaining({ errorName: 'INVALID_CONFIG', details: { field: 'assignors' } }));
    expect(() => resolveAssignors(['cooperative-sticky'])).toThrow(/unknown assignor "cooperative-sticky"/);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
