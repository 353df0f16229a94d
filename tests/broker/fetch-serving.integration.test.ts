// Proves the broker's fetch serving: a cold modelled fetch reads the pages it
// misses off the event loop (no readSync/readvSync on the serving path) and
// still counts them as misses; a fetch enters the per-mode totals only once
// its bytes were written (release with sent), not when its accounting is
// computed, and never when the write failed; and a segment that leaves the
// broker (topic deleted) is unmapped, counted in the mmap mode's munmaps.

import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeRecordBatch } from '../../src/record/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';

const MiB = 1024 * 1024;
let tb: TestBroker | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await tb?.destroy();
  tb = null;
});

async function brokerWithData(topic: string): Promise<TestBroker> {
  const b = await startTestBroker({ segmentBytes: MiB });
  await b.broker.createTopic(topic, { partitions: 1 });
  for (let i = 0; i < 24; i++) {
    const batch = encodeRecordBatch(Array.from({ length: 16 }, (_, j) => ({ value: Buffer.alloc(8000, (i + j) & 0xff) })));
    await b.broker.produce(topic, 0, batch, { acks: 1, timeoutMs: 1000 });
  }
  return b;
}

function fetchAll(b: TestBroker, topic: string, maxBytes = 4 * MiB) {
  return b.broker.fetch({ partitions: [{ topic, partition: 0, fetchOffset: 0, maxBytes }], maxWaitMs: 0, minBytes: 1, maxBytes });
}

describe('serving a modelled fetch', () => {
  it('reads a cold fetch with the asynchronous fs calls only, and counts its misses', async () => {
    tb = await brokerWithData('cold');
    tb.broker.pageCache.dropCaches();
    const result = await fetchAll(tb, 'cold');
    const readSync = vi.spyOn(fs, 'readSync');
    const readvSync = vi.spyOn(fs, 'readvSync');
    const served = await tb.broker.serve(result, 'sendfile');
    expect(readSync).not.toHaveBeenCalled();
    expect(readvSync).not.toHaveBeenCalled();
    expect(served.accounting!.pageCacheMisses).toBeGreaterThan(200);
    expect(served.accounting!.bytes).toBe(result.bytes);
    served.release();
  });

  it('is added to the per-mode totals once its bytes were written, and not when the write failed', async () => {
    tb = await brokerWithData('sent');
    const fetches = () => tb!.broker.stats().modes.copy.fetches;
    const a = await tb.broker.serve(await fetchAll(tb, 'sent', MiB), 'copy');
    a.complete({ headerBytes: 100 });
    expect(fetches()).toBe(0); // computed, not yet written
    a.release();
    expect(fetches()).toBe(1);
    const b = await tb.broker.serve(await fetchAll(tb, 'sent', MiB), 'copy');
    b.complete({ headerBytes: 100 });
    b.release({ sent: false }); // the connection was gone
    b.release();
    expect(fetches()).toBe(1);
    expect(tb.broker.stats().modes.copy.bytes).toBe(a.accounting!.bytes);
  });
});

describe('mmap mappings', () => {
  it('are unmapped, and counted, when their segments are deleted', async () => {
    tb = await brokerWithData('mapped');
    const segments = tb.broker.describeTopics(['mapped'])[0].partitions[0].segments.length;
    expect(segments).toBeGreaterThanOrEqual(2);
    for (let offset = 0; offset < 24 * 16; ) {
      const result = await tb.broker.fetch({ partitions: [{ topic: 'mapped', partition: 0, fetchOffset: offset, maxBytes: 4 * MiB }], maxWaitMs: 0, minBytes: 1, maxBytes: 4 * MiB });
      if (result.bytes === 0) break;
      const served = await tb.broker.serve(result, 'mmap');
      served.release();
      offset = tb.broker.partitionLog('mapped', 0).segments().find((s) => s.baseOffset > offset)?.baseOffset ?? Infinity;
    }
    expect(tb.broker.fetchModel.mappedSegments).toBe(segments);
    expect(tb.broker.stats().modes.mmap.mmaps).toBe(segments);
    await tb.broker.deleteTopic('mapped');
    expect(tb.broker.fetchModel.mappedSegments).toBe(0);
    expect(tb.broker.stats().modes.mmap.munmaps).toBe(segments);
  });
});
