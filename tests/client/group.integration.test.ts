// Proves SDK consumer groups against a real broker: two members split a 4-partition topic and read 20,000 messages exactly once between them; when one disconnects the other takes over its partitions from the committed offsets (nothing lost, nothing re-read), also while messages flow; a restarted group resumes from its commits and ends with zero lag; an SDK member and an unmodified kafkajs member share a group through the kafkajs-named round robin, whichever leads; heartbeats survive long-polls and slow handlers; a member with garbage subscription bytes gets nothing and breaks nothing; manual commits and typed errors behave as documented. It prints the rebalance times it saw.

import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Copyless, type ConsumerOptions, type PartitionsAssignedEvent, type PartitionsRevokedEvent } from '../../client/index.ts';
import type { Consumer } from '../../client/consumer.ts';
import { decodeAssignment } from '../../src/protocol/consumer-protocol.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.ts';

const { Kafka, logLevel } = kafkajs;

const PARTITIONS = 4;
const COUNT = 20_000;
const WAIT_MS = 15_000;
/** Short timeouts keep rebalances quick; the broker's session floor is lowered to match. */
const FAST: ConsumerOptions = { sessionTimeoutMs: 2_000, rebalanceTimeoutMs: 3_000, heartbeatIntervalMs: 100, autoCommitIntervalMs: 200, maxWaitMs: 100 };

interface Member {
  name: string;
  consumer: Consumer;
  values: number[];
  partitionsSeen: Set<number>;
  assignment: number[];
  assignedAtMs: number;
  joins: PartitionsAssignedEvent[];
  revokes: PartitionsRevokedEvent[];
  done: Promise<void>;
}

let tb: TestBroker;
let client: Copyless;
const running: Member[] = [];
const timings: Record<string, number> = {};

beforeAll(async () => {
  tb = await startTestBroker({ pageCacheMb: 32 });
  tb.groups.settings.sessionTimeoutMsMin = 500;
  client = new Copyless({ brokers: [tb.address], clientId: 'group-sdk-test', retry: { retries: 3, initialRetryTimeMs: 50 } });
});

afterAll(async () => {
  await Promise.all(running.map((m) => m.consumer.disconnect().catch(() => {})));
  await tb.destroy();
  if (Object.keys(timings).length > 0) console.info('SDK rebalance timings (ms):', JSON.stringify(timings));
});

async function createTopic(topic: string): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  await admin.disconnect();
}

/** Values from..to-1, keyed so murmur2 spreads them over every partition. */
async function produce(topic: string, from: number, to: number): Promise<void> {
  const producer = client.producer({ lingerMs: 2 });
  await producer.connect();
  const messages = Array.from({ length: to - from }, (_, i) => ({ key: `k${from + i}`, value: String(from + i) }));
  await producer.send({ topic, messages });
  await producer.disconnect();
}

async function startMember(name: string, groupId: string, topic: string, extra: ConsumerOptions = {}): Promise<Member> {
  const m = { name, values: [], partitionsSeen: new Set(), assignment: [], assignedAtMs: 0, joins: [], revokes: [] } as unknown as Member;
  m.consumer = client.consumer({
    groupId,
    ...FAST,
    ...extra,
    onPartitionsAssigned: (e) => {
      m.assignment = e.partitions.map((p) => p.partition).sort();
      m.assignedAtMs = Date.now();
      m.joins.push(e);
    },
    onPartitionsRevoked: (e) => {
      m.revokes.push(e);
    },
  });
  await m.consumer.connect();
  m.consumer.subscribe({ topics: [topic], fromBeginning: true });
  m.done = m.consumer.run({
    eachMessage: ({ partition, message }) => {
      m.values.push(Number(message.value!.toString()));
      m.partitionsSeen.add(partition);
    },
  });
  running.push(m);
  return m;
}

async function stopMember(m: Member): Promise<void> {
  await m.consumer.disconnect();
  await m.done;
  running.splice(running.indexOf(m), 1);
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const settle = () => new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up

describe('an SDK consumer group', () => {
  const TOPIC = 'sdk-grouped';
  const GROUP = 'sdk-group';
  let a: Member;
  let b: Member;

  it('splits the partitions between two members, which read every message exactly once', async () => {
    await createTopic(TOPIC);
    a = await startMember('a', GROUP, TOPIC);
    await waitFor('a to own every partition', () => a.assignment.length === PARTITIONS);
    const aJoins = a.joins.length;
    const startedMs = Date.now();
    b = await startMember('b', GROUP, TOPIC);
    await waitFor('a and b to share the partitions', () => a.joins.length > aJoins && b.joins.length > 0 && a.assignment.length + b.assignment.length === PARTITIONS);
    timings.memberJoinsMs = Math.max(a.assignedAtMs, b.assignedAtMs) - startedMs;
    // range: the member with the smaller id takes the first half.
    const [first, second] = [a, b].sort((x, y) => (x.joins.at(-1)!.memberId < y.joins.at(-1)!.memberId ? -1 : 1));
    expect([first.assignment, second.assignment]).toEqual([[0, 1], [2, 3]]);
    expect(a.revokes.at(-1)).toMatchObject({ reason: 'rebalance', partitions: range(0, PARTITIONS).map((p) => ({ topic: TOPIC, partition: p })) });
    expect(a.joins.at(-1)!.generationId).toBe(b.joins.at(-1)!.generationId);
    expect([a.joins.at(-1)!.protocol, a.joins.at(-1)!.isLeader]).toEqual(['range', true]);

    await produce(TOPIC, 0, COUNT);
    await waitFor('20,000 messages', () => a.values.length + b.values.length >= COUNT);
    await settle();
    expect(sorted([...a.values, ...b.values])).toEqual(range(0, COUNT));
    expect(sorted([...a.partitionsSeen])).toEqual(a.assignment);
    expect(sorted([...b.partitionsSeen])).toEqual(b.assignment);
  });

  it('when one member leaves, the other takes over its partitions from the committed offsets', async () => {
    const aJoins = a.joins.length;
    const leftMs = Date.now();
    await stopMember(b);
    expect(b.revokes.at(-1)).toMatchObject({ reason: 'stop' });
    await waitFor('a to own every partition again', () => a.joins.length > aJoins && a.assignment.length === PARTITIONS);
    timings.memberLeavesMs = a.assignedAtMs - leftMs;
    await produce(TOPIC, COUNT, COUNT + 4_000);
    await waitFor('4,000 more messages', () => a.values.length + b.values.length >= COUNT + 4_000);
    await settle();
    expect(sorted([...a.values, ...b.values])).toEqual(range(0, COUNT + 4_000));
    expect(a.partitionsSeen.size).toBe(PARTITIONS);
  });

  it('a restarted group resumes from its committed offsets and ends with zero lag', async () => {
    await stopMember(a);
    expect(tb.groups.describeGroup(GROUP)).toMatchObject({ state: 'Empty', totalLag: 0 });
    await produce(TOPIC, COUNT + 4_000, COUNT + 6_000);
    expect(tb.groups.describeGroup(GROUP).totalLag).toBe(2_000);
    const c = await startMember('c', GROUP, TOPIC);
    const d = await startMember('d', GROUP, TOPIC);
    await waitFor('the 2,000 produced while the group was down', () => c.values.length + d.values.length >= 2_000);
    await waitFor('zero lag', () => tb.groups.describeGroup(GROUP).totalLag === 0);
    await settle();
    expect(sorted([...c.values, ...d.values])).toEqual(range(COUNT + 4_000, COUNT + 6_000));
    await Promise.all([stopMember(c), stopMember(d)]);
    expect(tb.groups.listGroups().find((g) => g.groupId === GROUP)).toMatchObject({ state: 'Empty', members: 0 });
  });
});

describe('rebalances while messages flow', () => {
  it('members joining and leaving mid-stream neither lose nor repeat a message', async () => {
    const TOPIC = 'churn';
    const GROUP = 'churn-group';
    const CHUNKS = 20;
    const CHUNK = 500;
    await createTopic(TOPIC);
    const members = [await startMember('x', GROUP, TOPIC)];
    await waitFor('x to own every partition', () => members[0].assignment.length === PARTITIONS);
    for (let i = 0; i < CHUNKS; i++) {
      await produce(TOPIC, i * CHUNK, (i + 1) * CHUNK);
      if (i === 5) members.push(await startMember('y', GROUP, TOPIC));
      if (i === 10) await stopMember(members[0]);
      if (i === 14) members.push(await startMember('z', GROUP, TOPIC));
      await new Promise((r) => setTimeout(r, 20));
    }
    const all = () => members.flatMap((m) => m.values);
    await waitFor('every message', () => all().length >= CHUNKS * CHUNK);
    await settle();
    expect(sorted(all())).toEqual(range(0, CHUNKS * CHUNK));
    await Promise.all(members.slice(1).map(stopMember));
  });
});

describe('a mixed group', () => {
  it.each(['kafkajs', 'sdk'])('an SDK member and a kafkajs member share a group through RoundRobinAssigner (%s member first, so it leads)', async (first) => {
    const TOPIC = `mixed-${first}`;
    const GROUP = `mixed-group-${first}`;
    await createTopic(TOPIC);
    await produce(TOPIC, 0, 2_000);
    const kafka = new Kafka({ clientId: 'kafkajs-member', brokers: [tb.address], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
    const k = kafka.consumer({ groupId: GROUP, sessionTimeout: 3_000, rebalanceTimeout: 3_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    const kValues: number[] = [];
    let kAssignment: number[] = [];
    k.on(k.events.GROUP_JOIN, (e) => {
      kAssignment = [...(e.payload.memberAssignment[TOPIC] ?? [])].sort();
    });
    const startKafkajs = async () => {
      await k.connect();
      await k.subscribe({ topic: TOPIC, fromBeginning: true });
      await k.run({ eachMessage: async ({ message }) => void kValues.push(Number(message.value!.toString())) });
    };
    let s: Member | null = null;
    try {
      if (first === 'kafkajs') {
        await startKafkajs();
        await waitFor('kafkajs to own every partition', () => kAssignment.length === PARTITIONS);
        s = await startMember('s', GROUP, TOPIC);
      } else {
        s = await startMember('s', GROUP, TOPIC);
        await waitFor('the SDK member to own every partition', () => s!.assignment.length === PARTITIONS);
        expect(s.joins[0].protocol).toBe('range'); // alone, it picks its first choice
        await startKafkajs();
      }
      const m = s;
      await waitFor('the two to share the partitions', () => m.joins.at(-1)?.protocol === 'RoundRobinAssigner' && kAssignment.length > 0 && kAssignment.length + m.assignment.length === PARTITIONS);
      expect(m.joins.at(-1)!.isLeader).toBe(first === 'sdk');
      expect(m.assignment.filter((p) => kAssignment.includes(p))).toEqual([]);
      await produce(TOPIC, 2_000, 4_000);
      await waitFor('4,000 messages', () => kValues.length + m.values.length >= 4_000);
      await settle();
      expect(sorted([...kValues, ...m.values])).toEqual(range(0, 4_000));
      // Joining second, the SDK member never owned the kafkajs member's partitions.
      if (first === 'kafkajs') expect(sorted([...m.partitionsSeen])).toEqual(m.assignment);
    } finally {
      if (s) await stopMember(s);
      await k.disconnect();
    }
  });
});

describe('heartbeats', () => {
  const SESSION_MS = 1_000;

  it('keep an idle member in the group while its fetches long-poll past the session timeout', async () => {
    const TOPIC = 'heartbeats';
    const GROUP = 'heartbeat-group';
    await createTopic(TOPIC);
    const m = await startMember('h', GROUP, TOPIC, { sessionTimeoutMs: SESSION_MS, maxWaitMs: 3 * SESSION_MS });
    await waitFor('h to own every partition', () => m.assignment.length === PARTITIONS);
    await new Promise((r) => setTimeout(r, 2 * SESSION_MS));
    await produce(TOPIC, 0, 1);
    await waitFor('h to read the message', () => m.values.length === 1);
    expect(m.joins).toHaveLength(1);
    expect(tb.groups.describeGroup(GROUP)).toMatchObject({ state: 'Stable', members: 1, generationId: m.joins[0].generationId });
    await stopMember(m);
  });

  it('keep a member in the group while one handler runs longer than the session timeout', async () => {
    const TOPIC = 'slow-handler';
    const GROUP = 'slow-handler-group';
    await createTopic(TOPIC);
    await produce(TOPIC, 0, 1);
    let handled = false;
    const slow = client.consumer({ groupId: GROUP, ...FAST, sessionTimeoutMs: SESSION_MS });
    await slow.connect();
    slow.subscribe({ topics: [TOPIC], fromBeginning: true });
    const done = slow.run({
      eachMessage: async () => {
        await new Promise((r) => setTimeout(r, 2 * SESSION_MS));
        handled = true;
      },
    });
    await waitFor('the slow handler to finish', () => handled);
    expect(tb.groups.describeGroup(GROUP)).toMatchObject({ state: 'Stable', members: 1, generationId: 1 });
    await slow.disconnect();
    await done;
    expect(tb.groups.describeGroup(GROUP).partitions.filter((p) => p.committedOffset === 1)).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('a leader gives a member whose subscription bytes are garbage no partitions, and the group goes on', async () => {
    const TOPIC = 'garbage';
    const GROUP = 'garbage-group';
    await createTopic(TOPIC);
    const m = await startMember('leader', GROUP, TOPIC);
    await waitFor('the SDK member to own every partition', () => m.assignment.length === PARTITIONS);
    const raw = await RawClient.connect(tb.port);
    try {
      const body = { groupId: GROUP, sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 3_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0xff, 1, 2]) }] };
      const first = await raw.request(ApiKey.JoinGroup, 5, body);
      const joined = await raw.request(ApiKey.JoinGroup, 5, { ...body, memberId: first.memberId });
      expect(joined).toMatchObject({ errorCode: 0, protocolName: 'range' });
      expect(joined.leader).not.toBe(joined.memberId);
      const synced = await raw.request(ApiKey.SyncGroup, 3, { groupId: GROUP, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, assignments: [] });
      expect(synced.errorCode).toBe(0);
      expect(decodeAssignment(synced.assignment).assignment).toEqual([]);
      await waitFor('the SDK member in the new generation', () => m.joins.at(-1)!.generationId === joined.generationId);
      expect(m.assignment).toHaveLength(PARTITIONS);
    } finally {
      raw.close();
    }
    await produce(TOPIC, 0, 100);
    await waitFor('100 messages', () => m.values.length === 100);
    await stopMember(m);
  });
});

describe('commits and callbacks', () => {
  it('with autoCommit off only commitOffsets() moves the committed offset, and a restart resumes there', async () => {
    const TOPIC = 'manual';
    const GROUP = 'manual-group';
    await createTopic(TOPIC);
    await produce(TOPIC, 0, 1_000);
    const m = await startMember('m', GROUP, TOPIC, { autoCommit: false });
    await waitFor('1,000 messages', () => m.values.length >= 1_000);
    expect(() => tb.groups.describeGroup(GROUP)).not.toThrow(); // the group has a member
    expect(tb.groups.describeGroup(GROUP).partitions.every((p) => p.committedOffset === -1)).toBe(true);
    await m.consumer.commitOffsets([{ topic: TOPIC, partition: 0, offset: 1 }]);
    await stopMember(m);
    const committed = tb.groups.describeGroup(GROUP).partitions.map((p) => [p.partition, p.committedOffset]);
    expect(committed).toEqual([[0, 1]]);

    const again = await startMember('again', GROUP, TOPIC, { autoCommit: false });
    await waitFor('the uncommitted messages again', () => again.values.length >= 999);
    await settle();
    expect(again.values).toHaveLength(999);
    await stopMember(again);
  });

  it('refuses bad options and calls that need a group with typed errors', async () => {
    const bad: [ConsumerOptions, string, string][] = [
      [{ groupId: '' }, 'INVALID_GROUP_ID', 'groupId'],
      [{ groupId: 'g', heartbeatIntervalMs: 5_000, sessionTimeoutMs: 5_000 }, 'INVALID_CONFIG', 'heartbeatIntervalMs'],
      [{ groupId: 'g', sessionTimeoutMs: -1 }, 'INVALID_CONFIG', 'sessionTimeoutMs'],
      [{ groupId: 'g', assignors: ['sticky' as never] }, 'INVALID_CONFIG', 'assignors'],
      [{ autoCommit: false }, 'INVALID_CONFIG', 'autoCommit'],
    ];
    for (const [o, errorName, field] of bad) {
      expect(() => client.consumer(o), JSON.stringify(o)).toThrow(expect.objectContaining({ errorName, details: expect.objectContaining({ field }) }));
    }
    const plain = client.consumer();
    expect(() => plain.subscribe({ topics: ['t'] })).toThrow(expect.objectContaining({ errorName: 'INVALID_REQUEST' }));
    await expect(plain.commitOffsets([{ topic: 't', partition: 0, offset: 1 }])).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    const member = client.consumer({ groupId: 'g' });
    await expect(member.assign([{ topic: 't' }])).rejects.toMatchObject({ errorName: 'INVALID_REQUEST', details: { field: 'assign' } });
    expect(() => member.subscribe({ topics: [] })).toThrow(expect.objectContaining({ errorName: 'INVALID_REQUEST', details: { field: 'topics' } }));
    await expect(member.run({ eachMessage: () => {} })).rejects.toMatchObject({ errorName: 'INVALID_REQUEST', details: { field: 'subscribe' } });
    await expect(member.commitOffsets([{ topic: 't', partition: -1, offset: 0 }])).rejects.toMatchObject({ details: { field: 'offsets[0].partition' } });
  });

  it('a commit for a partition that does not exist gets UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const TOPIC = 'commit-errors';
    await createTopic(TOPIC);
    const c = client.consumer({ groupId: 'commit-errors-group', ...FAST });
    await c.connect();
    try {
      await expect(c.commitOffsets([{ topic: TOPIC, partition: PARTITIONS, offset: 1 }])).rejects.toMatchObject({
        errorName: 'UNKNOWN_TOPIC_OR_PARTITION',
        details: { topic: TOPIC, partition: PARTITIONS },
      });
      await c.commitOffsets([{ topic: TOPIC, partition: 0, offset: 0 }]); // an empty group accepts commits from a non-member
    } finally {
      await c.disconnect();
    }
  });
});
