// Group churn: kafkajs consumers join and leave one group over and over while
// a producer keeps writing; after every change the group's committed offsets
// are read. A committed offset must never go backwards (no commit regression)
// nor past the log end, and every record produced must be consumed by some
// member at least once.

import kafkajs from 'kafkajs';
import { startChildBroker, sleep, tempDir } from '../harness.ts';

const { Kafka, logLevel } = kafkajs;

export interface GroupChurnOptions {
  rounds: number;
  partitions: number;
  /** Records produced per round. */
  recordsPerRound: number;
  /** How long each round lets the members consume. */
  roundMs: number;
}

export interface GroupChurnResult {
  rounds: number;
  joins: number;
  leaves: number;
  produced: number;
  consumedDistinct: number;
  commitChecks: number;
  regressions: number;
  pastEnd: number;
}

export async function runGroupChurn(o: GroupChurnOptions): Promise<GroupChurnResult> {
  const dataDir = tempDir('copyless-churn-');
  const broker = await startChildBroker({ dataDir });
  const kafka = new Kafka({ clientId: 'churn', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'churn', numPartitions: o.partitions }] });
  const producer = kafka.producer();
  await producer.connect();
  const seen = new Set<string>();
  const members: kafkajs.Consumer[] = [];
  let joins = 0;
  let leaves = 0;
  let produced = 0;
  let checks = 0;
  let regressions = 0;
  let pastEnd = 0;
  const last = new Map<number, number>();
  const join = async () => {
    const c = kafka.consumer({ groupId: 'churners', sessionTimeout: 6000, heartbeatInterval: 300, rebalanceTimeout: 3000 });
    await c.connect();
    await c.subscribe({ topic: 'churn', fromBeginning: true });
    await c.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    members.push(c);
    joins++;
  };
  const checkCommits = async () => {
    const ends = await admin.fetchTopicOffsets('churn');
    const [t] = await admin.fetchOffsets({ groupId: 'churners', topics: ['churn'] });
    for (const p of t.partitions) {
      const offset = Number(p.offset);
      if (offset < 0) continue;
      checks++;
      if (offset < (last.get(p.partition) ?? -1)) regressions++;
      const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
      if (offset > end) pastEnd++;
      last.set(p.partition, offset);
    }
  };
  try {
    await join();
    for (let r = 0; r < o.rounds; r++) {
      const messages = Array.from({ length: o.recordsPerRound }, (_, i) => ({ key: String(i), value: `r${r}-${i}` }));
      await producer.send({ topic: 'churn', messages });
      produced += messages.length;
      // Alternate: a member joins, then the oldest leaves (a member always remains).
      if (r % 2 === 0 || members.length < 2) await join();
      else {
        await members.shift()!.disconnect();
        leaves++;
      }
      await sleep(o.roundMs);
      await checkCommits();
    }
    // Let the last members catch up, then check once more.
    const deadline = Date.now() + 30_000;
    while (seen.size < produced && Date.now() < deadline) await sleep(200);
    await checkCommits();
  } finally {
    for (const c of members) await c.disconnect().catch(() => {});
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { rounds: o.rounds, joins, leaves, produced, consumedDistinct: seen.size, commitChecks: checks, regressions, pastEnd };
}
