// SIGKILL loop: one producer sends numbered records to one partition, one
// batch at a time, while the broker is killed with SIGKILL at random moments
// and restarted on the same data dir. Afterwards every acknowledged record
// must be there, and the stored sequence must be strictly increasing: nothing
// lost, duplicated or reordered. acks=1 survives a process crash (the bytes
// were written to the file); acks=all also fsynced them (a power loss is not
// simulated here).

import { Copyless } from '../../../client/index.ts';
import { sleep, startChildBroker, tempDir, type ChildBroker } from '../harness.ts';
import { readPartition } from './records.ts';

export interface KillLoopOptions {
  /** Sends use these acks settings in turn (one producer each), so every round between two kills has them all. */
  acks: Array<1 | -1>;
  kills: number;
  /** Records per send (one batch). */
  batchRecords: number;
  /** Random time the broker runs under load before each kill. */
  runMsMin: number;
  runMsMax: number;
  seed?: number;
}

export interface KillLoopResult {
  kills: number;
  acknowledged: number;
  /** Acknowledged records per acks setting. */
  acknowledgedByAcks: Record<string, number>;
  stored: number;
  lost: number;
  duplicated: number;
  reordered: number;
  failedSends: number;
}

const TOPIC = 'kill-loop';

export async function runKillLoop(o: KillLoopOptions): Promise<KillLoopResult> {
  const dataDir = tempDir('copyless-kill-');
  let seed = o.seed ?? 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const acked = new Set<number>();
  const byAcks: Record<string, number> = {};
  let next = 0;
  let failedSends = 0;
  let broker: ChildBroker = await startChildBroker({ dataDir });
  await createTopic(broker.address);
  for (let k = 0; k < o.kills; k++) {
    const client = new Copyless({ brokers: [broker.address], clientId: 'kill-loop', retry: { retries: 0 }, requestTimeoutMs: 5000 });
    const producers = o.acks.map((acks) => ({ acks, producer: client.producer({ acks, lingerMs: 0 }) }));
    for (const p of producers) await p.producer.connect();
    const killAt = Date.now() + o.runMsMin + random() * (o.runMsMax - o.runMsMin);
    const killed = (async () => {
      await sleep(Math.max(0, killAt - Date.now()));
      await broker.kill();
    })();
    // Send until the kill interrupts a send: each send's records are acknowledged together or not at all.
    for (let i = 0; ; i++) {
      const { acks, producer } = producers[i % producers.length];
      const seqs = Array.from({ length: o.batchRecords }, () => next++);
      try {
        await producer.send({ topic: TOPIC, messages: seqs.map((s) => ({ value: String(s) })) });
        for (const s of seqs) acked.add(s);
        byAcks[acks === -1 ? 'all' : '1'] = (byAcks[acks === -1 ? 'all' : '1'] ?? 0) + seqs.length;
      } catch {
        failedSends++;
        break;
      }
      if (Date.now() > killAt + 5000) break;
    }
    await killed;
    for (const p of producers) await p.producer.disconnect().catch(() => {});
    broker = await startChildBroker({ dataDir });
  }
  const values = (await readPartition(broker.address, TOPIC)).map(Number);
  await broker.stop();
  const stored = new Set(values);
  let reordered = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[i - 1]) reordered++;
  const result: KillLoopResult = {
    kills: o.kills,
    acknowledged: acked.size,
    acknowledgedByAcks: byAcks,
    stored: values.length,
    lost: [...acked].filter((s) => !stored.has(s)).length,
    duplicated: values.length - stored.size,
    reordered,
    failedSends,
  };
  const { rmSync } = await import('node:fs');
  rmSync(dataDir, { recursive: true, force: true });
  return result;
}

async function createTopic(address: string): Promise<void> {
  const admin = new Copyless({ brokers: [address] }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
}
