// Torn and corrupt tails: a partition is written, the broker stopped, and
// the end of its segment file damaged as a crash or a bad disk would leave it
// (cut at a random byte, a random byte flipped in the last batches, garbage
// appended); the clean-shutdown marker and recovery point are removed, so the
// broker must recover. It must come back with exactly the whole batches
// before the damage, and accept new records after them.

import fs from 'node:fs';
import path from 'node:path';
import { startBroker } from '../../../broker/server.ts';
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_FILE } from '../../../src/storage/log-manager.ts';
import { encodeRecordBatch, readBatchHeader } from '../../../src/record/index.ts';
import { ATTRIBUTES_OFFSET } from '../../../src/record/record-batch.ts';
import { tempDir } from '../harness.ts';

export type Damage = 'truncate' | 'flip' | 'garbage';

export interface TornTailOptions {
  cases: number;
  batches: number;
  seed?: number;
}

export interface TornTailResult {
  cases: number;
  byDamage: Record<Damage, number>;
  recoveredToPrefix: number;
  failures: string[];
}

export async function runTornTail(o: TornTailOptions): Promise<TornTailResult> {
  let seed = o.seed ?? 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const byDamage: Record<Damage, number> = { truncate: 0, flip: 0, garbage: 0 };
  const failures: string[] = [];
  let recovered = 0;
  for (let c = 0; c < o.cases; c++) {
    const damage = (['truncate', 'flip', 'garbage'] as const)[c % 3];
    byDamage[damage]++;
    const dataDir = tempDir('copyless-torn-');
    try {
      const ok = await oneCase(dataDir, damage, o.batches, rnd);
      if (ok === true) recovered++;
      else failures.push(`case ${c} (${damage}): ${ok}`);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return { cases: o.cases, byDamage, recoveredToPrefix: recovered, failures };
}

/** true, or what went wrong. */
async function oneCase(dataDir: string, damage: Damage, batches: number, rnd: (n: number) => number): Promise<true | string> {
  let b = await startBroker({ dataDir, port: 0, httpPort: -1 }, { logLevel: 'silent' });
  await b.broker.createTopic('torn', { partitions: 1 });
  const values: string[] = [];
  for (let i = 0; i < batches; i++) {
    const vs = Array.from({ length: 1 + rnd(20) }, (_, j) => `b${i}-r${j}-${'x'.repeat(rnd(200))}`);
    await b.broker.produce('torn', 0, encodeRecordBatch(vs.map((v) => ({ value: v }))), { acks: 1, timeoutMs: 5000 });
    values.push(...vs);
  }
  await b.close();
  const file = path.join(dataDir, 'torn-0', '00000000000000000000.log');
  const bytes = fs.readFileSync(file);
  // Batch boundaries of the intact file: [position, end, records].
  const bounds: { start: number; end: number; records: number }[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const h = readBatchHeader(bytes, pos);
    bounds.push({ start: pos, end: pos + h.totalBytes, records: h.lastOffsetDelta + 1 });
    pos += h.totalBytes;
  }
  // Damage somewhere in the last third of the file.
  const at = Math.floor(bytes.length * (2 / 3)) + rnd(Math.ceil(bytes.length / 3));
  let damaged: Buffer;
  let keepBatches: number;
  if (damage === 'truncate') {
    damaged = bytes.subarray(0, at);
    keepBatches = bounds.filter((x) => x.end <= at).length;
  } else if (damage === 'flip') {
    damaged = Buffer.from(bytes);
    // Inside the bytes the batch CRC covers ([21, end) of a batch): a flip of baseOffset or the leader epoch is not corruption a reader can see.
    const inBatch = bounds.find((x) => x.end > Math.min(at, bytes.length - 1))!;
    const pos = Math.max(Math.min(at, bytes.length - 1), inBatch.start + ATTRIBUTES_OFFSET);
    damaged[pos] ^= 1 + rnd(255);
    keepBatches = bounds.filter((x) => x.end <= pos).length;
  } else {
    damaged = Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + rnd(300) }, () => rnd(256)))]);
    keepBatches = bounds.length;
  }
  fs.writeFileSync(file, damaged);
  fs.rmSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE), { force: true });
  fs.rmSync(path.join(dataDir, RECOVERY_POINT_FILE), { force: true });
  const expected = bounds.slice(0, keepBatches).reduce((n, x) => n + x.records, 0);
  b = await startBroker({ dataDir, port: 0, httpPort: -1 }, { logLevel: 'silent' });
  try {
    const log = b.broker.partitionLog('torn', 0);
    if (log.logEndOffset !== expected) return `log end ${log.logEndOffset}, expected the valid prefix's ${expected}`;
    const r = await b.broker.produce('torn', 0, encodeRecordBatch([{ value: 'after' }]), { acks: 1, timeoutMs: 5000 });
    if (r.baseOffset !== expected) return `append after recovery got offset ${r.baseOffset}, expected ${expected}`;
    return true;
  } finally {
    await b.close();
  }
}
