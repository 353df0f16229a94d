// Proves unmodified kafkajs consumer groups work against copyless: two consumers split a 4-partition topic and read 20,000
// messages exactly once between them; when one disconnects the other takes over its partitions without losing or re-reading
// committed messages; a restarted group resumes from its committed offsets; and a member that joins and then goes silent is
// removed after its session timeout and its partitions reassigned. It also prints the rebalance times it observed.

import kafkajs, { type Consumer, type Kafka as KafkaClient } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { encodeSubscription } from './fixtures.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;

const PARTITIONS = 4;
const COUNT = 20_000;
const SEND_CHUNK = 1_000;
/** kafkajs consumer settings that keep rebalances quick (session 6 s is the broker's default minimum). */
const CONSUMER_OPTIONS = { sessionTimeout: 6_000, rebalanceTimeout: 3_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 };
const WAIT_MS = 20_000;

interface Member {
  name: string;
  consumer: Consumer;
  values: number[];
  partitionsSeen: Set<number>;
  /** Partitions of the latest GROUP_JOIN, and when it happened (Date.now()). */
  assignment: number[];
  joinedAtMs: number;
  joinDurationsMs: number[];
  firstJoinSentAtMs: number | null;
}

let tb: TestBroker;
let kafka: KafkaClient;
const running: Member[] = [];
const timings: Record<string, number> = {};

beforeAll(async () => {
  tb = await startTestBroker();
  kafka = new Kafka({ clientId: 'group-test', brokers: [tb.address], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
});

afterAll(async () => {
  await Promise.all(running.map((m) => m.consumer.disconnect().catch(() => {})));
  await tb.destroy();
  if (Object.keys(timings).length > 0) console.info('kafkajs rebalance timings (ms):', JSON.stringify(timings));
});

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  await admin.disconnect();
}

async function produce(topic: string, from: number, to: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let start = from; start < to; start += SEND_CHUNK) {
    const messages = [];
    for (let i = start; i < Math.min(start + SEND_CHUNK, to); i++) messages.push({ key: `k${i}`, value: String(i) });
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

async function startMember(name: string, groupId: string, topic: string): Promise<Member> {
  const consumer = kafka.consumer({ groupId, ...CONSUMER_OPTIONS });
  const m: Member = { name, consumer, values: [], partitionsSeen: new Set(), assignment: [], joinedAtMs: 0, joinDurationsMs: [], firstJoinSentAtMs: null };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    m.assignment = [...(e.payload.memberAssignment[topic] ?? [])].sort();
    m.joinedAtMs = Date.now();
    m.joinDurationsMs.push(e.payload.duration);
  });
  consumer.on(consumer.events.REQUEST, (e) => {
    if (e.payload.apiName === 'JoinGroup' && m.firstJoinSentAtMs === null) m.firstJoinSentAtMs = e.payload.sentAt;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      m.values.push(Number(message.value!.toString()));
      m.partitionsSeen.add(partition);
    },
  });
  running.push(m);
  return m;
}

async function stopMember(m: Member): Promise<void> {
  await m.consumer.disconnect();
  running.splice(running.indexOf(m), 1);
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

describe('a kafkajs consumer group', () => {
  const TOPIC = 'grouped';
  const GROUP = 'kafkajs-group';
  let a: Member;
  let b: Member;

  it('splits the partitions between two consumers, which read every message exactly once', async () => {
    await createTopic(TOPIC);
    a = await startMember('a', GROUP, TOPIC);
    await waitFor('a to own every partition', () => a.assignment.length === PARTITIONS);
    const aJoins = a.joinDurationsMs.length;
    b = await startMember('b', GROUP, TOPIC);
    await waitFor('a and b to share the partitions', () => b.assignment.length > 0 && a.joinDurationsMs.length > aJoins && a.assignment.length + b.assignment.length === PARTITIONS);
    timings.joinRebalanceMs = Math.max(a.joinedAtMs, b.joinedAtMs) - b.firstJoinSentAtMs!;
    timings.joinSyncOfNewMemberMs = b.joinDurationsMs.at(-1)!; // kafkajs GROUP_JOIN duration: its JoinGroup + SyncGroup
    expect(a.assignment.filter((p) => b.assignment.includes(p))).toEqual([]);
    expect(a.assignment.length).toBe(2);

    await produce(TOPIC, 0, COUNT);
    await waitFor('20,000 messages', () => a.values.length + b.values.length >= COUNT);
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
    expect(sorted([...a.values, ...b.values])).toEqual(range(0, COUNT));
    expect(sorted([...a.partitionsSeen])).toEqual(a.assignment);
    expect(sorted([...b.partitionsSeen])).toEqual(b.assignment);
  });

  it('when one consumer leaves, the other takes over its partitions from the committed offsets', async () => {
    const leftAtMs = Date.now();
    await stopMember(b);
    await waitFor('a to own every partition again', () => a.assignment.length === PARTITIONS);
    timings.leaveRebalanceMs = a.joinedAtMs - leftAtMs;
    timings.joinSyncOfRemainingMemberMs = a.joinDurationsMs.at(-1)!;
    await produce(TOPIC, COUNT, COUNT + 4_000);
    await waitFor('4,000 more messages', () => a.values.length + b.values.length >= COUNT + 4_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sorted([...a.values, ...b.values])).toEqual(range(0, COUNT + 4_000));
    expect(a.partitionsSeen.size).toBe(PARTITIONS);
  });

  it('a restarted group resumes from its committed offsets and ends with zero lag', async () => {
    await stopMember(a);
    await produce(TOPIC, COUNT + 4_000, COUNT + 6_000);
    expect(tb.groups.describeGroup(GROUP).totalLag).toBe(2_000);
    const c = await startMember('c', GROUP, TOPIC);
    const d = await startMember('d', GROUP, TOPIC);
    await waitFor('the 2,000 produced while the group was down', () => c.values.length + d.values.length >= 2_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sorted([...c.values, ...d.values])).toEqual(range(COUNT + 4_000, COUNT + 6_000));
    await waitFor('zero lag', () => tb.groups.describeGroup(GROUP).totalLag === 0);
    const described = tb.groups.describeGroup(GROUP);
    expect(described.state).toBe('Stable');
    expect(described.memberList).toHaveLength(2);
    expect(described.partitions.every((p) => p.memberId !== null && p.committedOffset === p.logEndOffset)).toBe(true);
    await Promise.all([stopMember(c), stopMember(d)]);
    expect(tb.groups.listGroups().find((g) => g.groupId === GROUP)).toMatchObject({ state: 'Empty', members: 0 });
  });
});

describe('session timeout', () => {
  const TOPIC = 'silent';
  const GROUP = 'with-a-silent-member';
  const SILENT_SESSION_MS = 1_500;

  /** Join with JoinGroup v5 (answering MEMBER_ID_REQUIRED), take the assignment, then never heartbeat again. */
  async function joinAndGoSilent(raw: RawClient): Promise<string> {
    const body = {
      groupId: GROUP,
      sessionTimeoutMs: SILENT_SESSION_MS,
      rebalanceTimeoutMs: 5_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: encodeSubscription([TOPIC]) }],
    };
    const first = await raw.request(ApiKey.JoinGroup, 5, body);
    expect(first.errorCode).toBe(79);
    const joined = await raw.request(ApiKey.JoinGroup, 5, { ...body, memberId: first.memberId });
    expect(joined.errorCode).toBe(0);
    const synced = await raw.request(ApiKey.SyncGroup, 3, { groupId: GROUP, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, assignments: [] });
    expect(synced.errorCode).toBe(0);
    return joined.memberId;
  }

  it('a member that stops heartbeating is removed and its partitions are reassigned', async () => {
    tb.groups.settings.sessionTimeoutMsMin = 1_000;
    await createTopic(TOPIC);
    const k = await startMember('k', GROUP, TOPIC);
    await waitFor('k to own every partition', () => k.assignment.length === PARTITIONS);
    const raw = await RawClient.connect(tb.port);
    try {
      const silentId = await joinAndGoSilent(raw);
      await waitFor('k to give up half the partitions', () => k.assignment.length === PARTITIONS / 2);
      const silentPartitions = tb.groups.describeGroup(GROUP).memberList.find((m) => m.memberId === silentId)!.assignment[0].partitions;
      expect(silentPartitions).toHaveLength(PARTITIONS / 2);
      await produce(TOPIC, 0, 400);
      await waitFor('k to own every partition after the silent member timed out', () => k.assignment.length === PARTITIONS);
      await waitFor('all 400 messages, including those on the silent member\u2019s partitions', () => k.values.length >= 400);
      expect(sorted(k.values)).toEqual(range(0, 400));
      expect([...k.partitionsSeen].filter((p) => silentPartitions.includes(p))).toHaveLength(PARTITIONS / 2);
      const members = tb.groups.describeGroup(GROUP).memberList.map((m) => m.memberId);
      expect(members).toHaveLength(1);
      expect(members).not.toContain(silentId);
    } finally {
      raw.close();
      await stopMember(k);
    }
  });
});
