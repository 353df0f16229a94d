// Proves the SDK's consumer-protocol bytes and assignors agree with Kafka's and kafkajs's: subscriptions and assignments round-trip and cross-decode with kafkajs's own encoder, later protocol versions are read by their version-0 prefix, malformed bytes are typed errors; range and round robin reproduce the Java client's documented examples, match kafkajs's RoundRobinAssigner partition for partition, and (random model test) hand every subscribed partition to exactly one subscribed member.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkajsRoundRobinAssignor, rangeAssignor, resolveAssignors, roundRobinAssignor, type AssignorMember } from '../../client/group/assignors.ts';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from '../../client/group/consumer-protocol.ts';

const require = createRequire(import.meta.url);
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js');
const kafkajsRoundRobin = require('kafkajs/src/consumer/assigners/roundRobinAssigner/index.js');

describe('consumer protocol bytes', () => {
  it('round-trips subscriptions and assignments', () => {
    const sub = encodeSubscription({ topics: ['a', 'b.c', 'é'], userData: Buffer.from([1, 2]) });
    expect(decodeSubscription(sub)).toEqual({ version: 0, topics: ['a', 'b.c', 'é'], userData: Buffer.from([1, 2]) });
    const assignment = [{ topic: 'a', partitions: [0, 3] }, { topic: 'b', partitions: [] }];
    expect(decodeAssignment(encodeAssignment({ assignment }))).toEqual({ version: 0, assignment, userData: null });
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ version: 0, assignment: [], userData: null });
  });

  it('cross-decodes with kafkajs in both directions', () => {
    const theirs = MemberMetadata.encode({ version: 0, topics: ['x', 'y'] });
    expect(decodeSubscription(theirs).topics).toEqual(['x', 'y']);
    expect(MemberMetadata.decode(encodeSubscription({ topics: ['x', 'y'] })).topics).toEqual(['x', 'y']);
    const theirAssignment = MemberAssignment.encode({ version: 0, assignment: { x: [1, 3], y: [0] } });
    expect(decodeAssignment(theirAssignment).assignment).toEqual([{ topic: 'x', partitions: [1, 3] }, { topic: 'y', partitions: [0] }]);
    expect(MemberAssignment.decode(encodeAssignment({ assignment: [{ topic: 'x', partitions: [2] }] })).assignment).toEqual({ x: [2] });
  });

  it('reads a Java v1 subscription (ownedPartitions appended) by its version-0 prefix', () => {
    const v0 = encodeSubscription({ topics: ['t'], userData: Buffer.alloc(0) });
    const owned = Buffer.alloc(4 + 2 + 1 + 4 + 4);
    owned.writeInt32BE(1, 0);
    owned.writeInt16BE(1, 4);
    owned.write('t', 6);
    owned.writeInt32BE(1, 7);
    owned.writeInt32BE(5, 11);
    const v1 = Buffer.concat([v0, owned]);
    v1.writeInt16BE(1, 0);
    expect(decodeSubscription(v1)).toEqual({ version: 1, topics: ['t'], userData: Buffer.alloc(0) });
  });

  it('malformed bytes are CORRUPT_MESSAGE naming the field, never a RangeError', () => {
    const good = encodeAssignment({ assignment: [{ topic: 'abc', partitions: [0, 1, 2] }] });
    for (let cut = 1; cut < good.length - 4; cut++) {
      expect(() => decodeAssignment(good.subarray(0, cut))).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE', details: { field: expect.stringMatching(/^assignment\./) } }));
    }
    const negative = Buffer.from(good);
    negative.writeInt16BE(-3, 0);
    expect(() => decodeAssignment(negative)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
    expect(() => decodeSubscription(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ details: { field: 'subscription.topics' } }));
  });
});

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
