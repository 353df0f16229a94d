// Proves every fetch mode serves byte-identical records over the Kafka
// protocol (small fetches, multi-MiB responses larger than the socket buffers,
// logs that span several segments, and a reader that stalls so sends go
// partial), that CopylessFetch returns each fetch's accounting, that a cold-cache
// drop counts its fdatasyncs of segment files, and that an unavailable mode is
// refused with FETCH_MODE_UNAVAILABLE.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse } from '../../src/protocol/index.ts';
import { accountingFromPairs } from '../../src/fetch/accounting.ts';
import { FETCH_MODES, isModelledMode } from '../../src/fetch/fetch-mode.ts';
import { encodeRecordBatch, decodeRecords } from '../../src/record/index.ts';
import { fileResidency, native } from '../../broker/native/index.ts';
import { RawClient, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.ts';

const PARTITIONS = 4;
const MiB = 1024 * 1024;
let broker: TestBroker;
const modes = FETCH_MODES.filter((m) => isModelledMode(m) || native.available);

function fetchBody(partitions: { partition: number; offset: number }[], maxBytes: number) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: 'modes',
        partitions: partitions.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.offset,
          logStartOffset: -1,
          partitionMaxBytes: maxBytes,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

async function clientInMode(mode: string): Promise<RawClient> {
  const c = await RawClient.connect(broker.port);
  const r = await c.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode }) });
  expect(r.errorCode).toBe(0);
  return c;
}

/** Read a whole partition with one mode, fetch after fetch; returns the concatenated records bytes. */
async function readAll(mode: string, partition: number, maxBytes: number): Promise<Buffer> {
  const c = await clientInMode(mode);
  const out: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const r = await c.request(ApiKey.Fetch, 11, fetchBody([{ partition, offset }], maxBytes));
    const p = r.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    if (!p.records || p.records.length === 0) break;
    out.push(Buffer.from(p.records));
    const recs = decodeRecords(p.records);
    offset = recs[recs.length - 1].offset + 1;
    if (offset >= p.highWatermark) break;
  }
  c.close();
  return Buffer.concat(out);
}

beforeAll(async () => {
  broker = await startTestBroker({ segmentBytes: MiB });
  const c = await RawClient.connect(broker.port);
  await c.request(ApiKey.CreateTopics, 3, {
    topics: [{ name: 'modes', numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  // ~2.5 MiB per partition in 64 KiB batches of 1 KiB records: three segments each.
  for (let p = 0; p < PARTITIONS; p++) {
    for (let b = 0; b < 40; b++) {
      const records = encodeRecordBatch(
        Array.from({ length: 64 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(1000, (p * 40 + b + i) & 0xff) })),
      );
      const r = await c.request(ApiKey.Produce, 7, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'modes', partitionData: [{ index: p, records }] }],
      });
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
  }
  c.close();
});

afterAll(async () => {
  await broker.destroy();
});

describe('fetch modes over the Kafka protocol', () => {
  it('spans several segments per partition', () => {
    const [d] = broker.broker.describeTopics(['modes']);
    for (const p of d.partitions) expect(p.segments.length).toBeGreaterThanOrEqual(3);
  });

  it.each([16 * 1024, MiB])('returns byte-identical records in every mode (fetch size %i)', async (maxBytes) => {
    const reference = await readAll('copy', 1, maxBytes);
    expect(reference.length).toBeGreaterThan(2 * MiB);
    for (const mode of modes) expect((await readAll(mode, 1, maxBytes)).equals(reference), mode).toBe(true);
  });

  it('serves a multi-MiB response to a reader that stalls, identically in every mode', async () => {
    const all = [0, 1, 2, 3].map((partition) => ({ partition, offset: 0 }));
    let reference: Buffer[] | null = null;
    for (const mode of modes) {
      const c = await clientInMode(mode);
      const h = c.header(ApiKey.Fetch, 11);
      c.socket.pause(); // nobody reads: the broker's sends go partial and hit EAGAIN
      c.send(h, fetchBody(all, 4 * MiB));
      await new Promise((r) => setTimeout(r, 200));
      c.socket.resume();
      const frame = (await c.nextFrame(10_000))!;
      const body = decodeResponse(h, frame).body as any;
      const got = body.responses[0].partitions.map((p: any) => Buffer.from(p.records));
      expect(got.reduce((n: number, b: Buffer) => n + b.length, 0)).toBeGreaterThan(3 * MiB);
      if (!reference) reference = got;
      else got.forEach((b: Buffer, i: number) => expect(b.equals(reference![i]), `${mode} partition ${i}`).toBe(true));
      c.close();
    }
  });

  it('returns each fetch accounting in the CopylessFetch trailer, matching the broker totals', async () => {
    for (const mode of modes) {
      const before = broker.broker.stats().modes[mode];
      const c = await clientInMode(mode);
      const r = await c.request(ApiKey.CopylessFetch, 0, fetchBody([{ partition: 2, offset: 0 }], MiB));
      const acc = accountingFromPairs(r.accounting);
      const after = broker.broker.stats().modes[mode];
      const records = r.responses[0].partitions[0].records as Buffer;
      expect(acc.bytes, mode).toBe(records.length);
      expect(acc.syscalls, mode).toBeGreaterThan(0);
      expect(acc.modeSwitches, mode).toBe(2 * acc.syscalls);
      expect(after.fetches - before.fetches, mode).toBe(1);
      expect(after.syscalls - before.syscalls, mode).toBe(acc.syscalls);
      expect(after.cpuCopyBytes - before.cpuCopyBytes, mode).toBe(acc.cpuCopyBytes);
      c.close();
    }
  });
});

describe('CopylessDropCaches', () => {
  it('empties the simulated page cache and, with the addon, the OS page cache of the segment files', async () => {
    await readAll('sendfile', 0, MiB); // warm both caches
    const fsyncs = broker.broker.stats().durability.fsyncs;
    const c = await RawClient.connect(broker.port);
    const r = await c.request(ApiKey.CopylessDropCaches, 0, { json: '{}' });
    const out = JSON.parse(r.json);
    expect(r.errorCode).toBe(0);
    expect(out.droppedPages).toBeGreaterThan(0);
    expect(broker.broker.pageCache.stats().residentPages).toBe(0);
    expect(out.osDropped).toBe(native.available);
    if (native.available) {
      const segment = broker.broker.describeTopics(['modes'])[0].partitions[0].segments[0];
      const file = `${broker.dataDir}/modes-0/${String(segment.baseOffset).padStart(20, '0')}.log`;
      const fd = fs.openSync(file, 'r');
      expect(fileResidency(fd).residentPages).toBe(0);
      fs.closeSync(fd);
      expect(out.osFiles).toBeGreaterThanOrEqual(3 * PARTITIONS * 3);
      // the addon fdatasyncs each file before dropping it: the .log ones are counted as fsyncs of log data
      expect(broker.broker.stats().durability.fsyncs - fsyncs).toBe(out.osFiles / 3);
    }
    c.close();
  });
});

describe('an unavailable fetch mode', () => {
  it('is refused with FETCH_MODE_UNAVAILABLE when the addon is disabled', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'broker/main.ts', '--data-dir', dir, '--port', '0', '--http-port', '-1', '--log-level', 'info'], {
      env: { ...process.env, COPYLESS_NATIVE_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /ready: kafka 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`broker exited: ${out}`)));
    });
    expect(out).toMatch(/native fetch modes .* are unavailable/);
    const c = await RawClient.connect(port);
    const r = await c.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode: 'native-sendfile' }) });
    expect(r.errorCode).toBe(20001);
    expect(r.errorMessage).toMatch(/native-sendfile needs the native addon, which is unavailable: disabled by COPYLESS_NATIVE_DISABLE=1/);
    c.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('a fetch larger than the page cache can hold', () => {
  it('is clamped to a share of the cache and still served, never exhausting it', async () => {
    const small = await startTestBroker({ pageCacheMb: 1, messageBytesMax: 256 * 1024 });
    const c = await RawClient.connect(small.port);
    await c.request(ApiKey.CreateTopics, 3, {
      topics: [{ name: 'modes', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    for (let b = 0; b < 32; b++) {
      const records = encodeRecordBatch(Array.from({ length: 64 }, () => ({ value: Buffer.alloc(1000, b) })));
      await c.request(ApiKey.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'modes', partitionData: [{ index: 0, records }] }] });
    }
    await c.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode: 'sendfile' }) });
    const r = await c.request(ApiKey.Fetch, 11, fetchBody([{ partition: 0, offset: 0 }], 64 * MiB));
    const p = r.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    expect(p.records.length).toBeGreaterThan(0);
    expect(p.records.length).toBeLessThanOrEqual(MiB / 4);
    c.close();
    await small.destroy();
  });
});
