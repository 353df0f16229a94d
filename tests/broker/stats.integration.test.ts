// Proves that the broker's stats state where its labels come from: `sgDma`
// (the one scatter/gather assumption, and its source) and `durability` (real
// fdatasyncs of log data and the simulated write-back), the same over the
// broker API, the Kafka CopylessStats API and HTTP; that acks=1 produce into a
// small page cache (throttling, dirty reclaim, segment rolls) makes no
// synchronous fsync and no fdatasync of log data, while acks=all makes one; and that
// modelled sendfile and native-sendfile count the same CPU copies under the
// same assumption.

import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiKey } from '../../src/protocol/index.ts';
import { accountingFromPairs } from '../../src/fetch/accounting.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';
import { native } from '../../broker/native/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { startInjectBroker } from './http/http-helpers.ts';

const MiB = 1024 * 1024;
let tb: TestBroker | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await tb?.destroy();
  tb = null;
});

async function createTopic(c: RawClient, name: string): Promise<void> {
  const r = await c.request(ApiKey.CreateTopics, 3, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(r.topics[0].errorCode).toBe(0);
}

async function produce(c: RawClient, topic: string, acks: number, valueBytes: number, records = 16): Promise<void> {
  const batch = encodeRecordBatch(Array.from({ length: records }, (_, i) => ({ value: Buffer.alloc(valueBytes, i) })));
  const r = await c.request(ApiKey.Produce, 7, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
}

function fetchBody(topic: string, maxBytes: number) {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [], rackId: '',
  };
}

describe('stats', () => {
  it('states the scatter/gather assumption, detected from the loopback listener or given as a flag', async () => {
    tb = await startTestBroker();
    expect(tb.broker.stats().sgDma).toMatchObject({ enabled: true, source: 'detected', detail: expect.stringMatching(/^loopback interface lo: /) });
    await tb.destroy();
    tb = await startTestBroker({ sgDma: 'false' });
    expect(tb.broker.stats().sgDma).toEqual({ enabled: false, source: 'flag', detail: '--sg-dma false given' });
  });

  it('acks=1 into a small page cache makes no fsync on the serving path; acks=all makes one, counted with its bytes', async () => {
    tb = await startTestBroker({ pageCacheMb: 1, segmentBytes: MiB, messageBytesMax: 256 * 1024 });
    const c = await RawClient.connect(tb.port);
    await createTopic(c, 'd');
    const syncs = [vi.spyOn(fs, 'fdatasyncSync'), vi.spyOn(fs, 'fsyncSync')];
    for (let i = 0; i < 24; i++) await produce(c, 'd', 1, 8000); // 3 MiB: throttling, dirty reclaim and two rolls
    const after1 = tb.broker.stats();
    expect(after1.pageCache.throttleEvents).toBeGreaterThan(0);
    expect(after1.pageCache.evictionsDirty + after1.pageCache.evictionsClean).toBeGreaterThan(0);
    expect(tb.broker.describeTopics(['d'])[0].partitions[0].segments.length).toBeGreaterThanOrEqual(3);
    for (const spy of syncs) expect(spy).not.toHaveBeenCalled();
    expect(after1.durability).toEqual({ fsyncs: 0, fsyncBytes: 0, writeBackPages: expect.any(Number), writeBackBytes: expect.any(Number) });
    expect(after1.durability.writeBackPages).toBeGreaterThan(0);
    expect(after1.durability.writeBackBytes).toBe(after1.pageCache.writeBackBytes);

    await produce(c, 'd', -1, 100, 1);
    vi.restoreAllMocks();
    const after2 = tb.broker.stats().durability;
    const unflushed = tb.broker.describeTopics(['d'])[0].partitions[0].segments.filter((s) => s.sizeBytes > 0);
    expect(after2.fsyncs).toBe(unflushed.length); // one fdatasync per segment holding unflushed bytes
    expect(after2.fsyncBytes).toBe(tb.broker.partitionLog('d', 0).sizeBytes);
    for (const spy of syncs) expect(spy).not.toHaveBeenCalled();
    c.close();
  });

  it('has the same shape over CopylessStats and HTTP', async () => {
    const b = await startInjectBroker();
    try {
      const c = await RawClient.connect(b.tb.port);
      const wire = JSON.parse((await c.request(ApiKey.CopylessStats, 0, { json: '{}' })).json);
      c.close();
      const http = (await b.app.inject('/broker/stats')).json();
      for (const stats of [wire, http]) {
        expect(stats.sgDma).toEqual(b.tb.broker.stats().sgDma);
        expect(Object.keys(stats.durability).sort()).toEqual(['fsyncBytes', 'fsyncs', 'writeBackBytes', 'writeBackPages']);
      }
    } finally {
      await b.destroy();
    }
  });
});

describe.skipIf(!native.available)('one scatter/gather assumption for modelled and native sendfile', () => {
  it('counts the same CPU copies in both, with and without scatter/gather', async () => {
    tb = await startTestBroker();
    const c = await RawClient.connect(tb.port);
    await createTopic(c, 's');
    await produce(c, 's', 1, 4000);
    for (const sgDma of [true, false]) {
      const copies: Record<string, number> = {};
      for (const mode of ['sendfile', 'native-sendfile']) {
        const r = await c.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode, sgDma }) });
        expect(r.errorCode).toBe(0);
        const f = await c.request(ApiKey.CopylessFetch, 0, fetchBody('s', MiB));
        const acc = accountingFromPairs(f.accounting);
        expect(acc.bytes).toBe(f.responses[0].partitions[0].records.length);
        copies[mode] = acc.cpuCopyBytesKernelToKernel;
        if (sgDma) expect(acc.cpuCopies, mode).toBe(0);
        else expect(acc.cpuCopyBytesKernelToKernel, mode).toBe(acc.bytes);
      }
      expect(copies['native-sendfile']).toBe(copies.sendfile);
    }
    c.close();
  });
});
