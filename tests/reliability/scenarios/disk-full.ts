// Disk full: the data dir is a small tmpfs; a producer (acks=all) writes
// until the broker refuses. Every refusal must be a clean, typed
// KAFKA_STORAGE_ERROR (no crash, no other error), and after a restart every
// acknowledged record must be readable, in order. Needs root (mount -t
// tmpfs); elsewhere the scenario reports itself as skipped.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { Copyless } from '../../../client/index.ts';
import { startChildBroker, tempDir } from '../harness.ts';
import { readPartition } from './records.ts';

export interface DiskFullOptions {
  /** tmpfs size in MiB. */
  sizeMb: number;
  valueBytes: number;
}

export interface DiskFullResult {
  skipped: string | null;
  acknowledged: number;
  refusals: Record<string, number>;
  brokerAliveAfter: boolean;
  readBackAfterRestart: number;
  lost: number;
  inOrder: boolean;
}

/** Mount a tmpfs of `sizeMb` on a fresh dir, or say why not. */
export function mountTmpfs(sizeMb: number): { dir: string; unmount(): void } | string {
  const dir = tempDir('copyless-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs (needs root): ${(e as Error).message.split('\n')[0]}`;
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function runDiskFull(o: DiskFullOptions): Promise<DiskFullResult> {
  const fsys = mountTmpfs(o.sizeMb);
  if (typeof fsys === 'string') return { skipped: fsys, acknowledged: 0, refusals: {}, brokerAliveAfter: false, readBackAfterRestart: 0, lost: 0, inOrder: true };
  const dataDir = fsys.dir;
  try {
    let broker = await startChildBroker({ dataDir, segmentBytes: 1024 * 1024 });
    const client = new Copyless({ brokers: [broker.address], retry: { retries: 0 } });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'full', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = client.producer({ acks: -1, lingerMs: 0 });
    await producer.connect();
    const acked: number[] = [];
    const refusals: Record<string, number> = {};
    const pad = 'x'.repeat(o.valueBytes);
    let seq = 0;
    // Keep writing well past the first refusal: the broker must keep refusing cleanly, not fall over.
    for (let attempts = 0; (refusals.KAFKA_STORAGE_ERROR ?? 0) < 20 && attempts < 100_000; attempts++) {
      const mine = seq++;
      try {
        await producer.send({ topic: 'full', messages: [{ value: `${mine}:${pad}` }] });
        acked.push(mine);
      } catch (e) {
        const name = (e as { errorName?: string }).errorName ?? (e as Error).message;
        refusals[name] = (refusals[name] ?? 0) + 1;
        if (name === 'CONNECTION_CLOSED') break;
      }
    }
    await producer.disconnect().catch(() => {});
    const aliveProbe = new Copyless({ brokers: [broker.address], retry: { retries: 0 } }).admin();
    const brokerAliveAfter = await aliveProbe.connect().then(() => aliveProbe.listTopics()).then(() => true, () => false);
    await aliveProbe.disconnect().catch(() => {});
    await broker.kill();
    broker = await startChildBroker({ dataDir, segmentBytes: 1024 * 1024 });
    const values = (await readPartition(broker.address, 'full')).map((v) => Number(v.split(':')[0]));
    await broker.stop();
    const stored = new Set(values);
    return {
      skipped: null,
      acknowledged: acked.length,
      refusals,
      brokerAliveAfter,
      readBackAfterRestart: values.length,
      lost: acked.filter((s) => !stored.has(s)).length,
      inOrder: values.every((v, i) => i === 0 || v > values[i - 1]),
    };
  } finally {
    fsys.unmount();
  }
}
