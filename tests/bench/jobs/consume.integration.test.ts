// Proves both consume jobs against a real broker whose fetches end mid-batch (maxBytes smaller than two batches): each counts every record once per pass and exactly the stored bytes of the log per pass (whole batches received, partial tails not counted twice), and emits its span start before its span end.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Copyless } from '../../../client/index.ts';
import type { ConsumeJob, SpanEvent } from '../../../bench/jobs/consume-job.ts';
import { consumeJob } from '../../../bench/jobs/consume.ts';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';

const RECORDS = 600;
const RECORD_BYTES = 300;
let broker: TestBroker;
let logBytes = 0;

beforeAll(async () => {
  broker = await startTestBroker({ pageCacheMb: 32 });
  const client = new Copyless({ brokers: [broker.address], clientId: 'test' });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'c', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = client.producer({ acks: 1, lingerMs: 0 });
  await producer.connect();
  // 20 records per send: batches of about 6 KiB, so a 10 KiB fetch ends inside the second batch.
  for (let i = 0; i < RECORDS; i += 20) {
    await producer.send({ topic: 'c', messages: Array.from({ length: 20 }, (_, j) => ({ value: Buffer.alloc(RECORD_BYTES, i + j) })) });
  }
  await producer.disconnect();
  const dir = fs.readdirSync(broker.dataDir).find((d) => d.startsWith('c-'))!;
  logBytes = fs.readdirSync(path.join(broker.dataDir, dir)).filter((f) => f.endsWith('.log')).reduce((n, f) => n + fs.statSync(path.join(broker.dataDir, dir, f)).size, 0);
});

afterAll(async () => {
  await broker?.destroy();
});

for (const reader of ['sdk', 'wire'] as const) {
  describe(`${reader} consumer`, () => {
    // 10,000-byte fetches end inside a batch; 1 MiB fetches take the whole log in one response larger than any read.
    it.each([10_000, 1 << 20])('counts each record and the stored bytes of each whole batch once per pass, and marks its span (%i-byte fetches)', async (fetchBytes) => {
      const events: string[] = [];
      const job: ConsumeJob = { reader, address: broker.address, topic: 'c', partition: 0, fetchMode: 'sendfile', maxBytes: fetchBytes, maxBytesPerPartition: fetchBytes, maxWaitMs: 100, fromOffset: 0, untilOffset: RECORDS, passes: 2 };
      const r = await consumeJob(job, (e: SpanEvent) => events.push(e.span));
      expect(r.records).toBe(2 * RECORDS);
      expect(logBytes).toBeGreaterThan(RECORDS * RECORD_BYTES);
      expect(r.bytes).toBe(2 * logBytes);
      expect(events).toEqual(['start', 'end']);
      expect(r.endMs).toBeGreaterThan(r.startMs);
      expect(r.fetches).toBeGreaterThanOrEqual(2 * Math.ceil(logBytes / fetchBytes));
      expect(r.cpu.userSec + r.cpu.systemSec).toBeGreaterThan(0);
    });
  });
}
