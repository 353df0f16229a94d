// Proves producer ids are never handed out twice: ids come from blocks reserved durably before use, a restart resumes after the last reserved block, ids the logs have seen are skipped even if the metadata store lost its block, and concurrent callers get distinct ids.
import fs from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MetaStore } from '../../broker/meta-store.ts';
import { PRODUCER_ID_BLOCK_SIZE, ProducerIdManager } from '../../broker/producer-ids.ts';
import { tempDir } from '../helpers/broker.ts';

let dir: string;
beforeEach(() => {
  dir = tempDir('pids-');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function withManager<T>(maxSeen: number, fn: (m: ProducerIdManager) => Promise<T>): Promise<T> {
  const meta = new MetaStore(dir);
  try {
    const m = new ProducerIdManager(meta);
    m.open(maxSeen);
    return await fn(m);
  } finally {
    await meta.close();
  }
}

it('hands out distinct ids, concurrently too, and resumes after the reserved block on restart', async () => {
  const first = await withManager(-1, (m) => Promise.all(Array.from({ length: 5 }, () => m.allocate())));
  expect(new Set(first).size).toBe(5);
  expect(first.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  const second = await withManager(-1, (m) => m.allocate());
  expect(second).toBe(PRODUCER_ID_BLOCK_SIZE);
});

it('starts above every id the partitions have seen, whatever the store says', async () => {
  expect(await withManager(123_456, (m) => m.allocate())).toBe(123_457);
  // and that block is now reserved durably
  expect(await withManager(-1, (m) => m.allocate())).toBeGreaterThan(123_457);
});
