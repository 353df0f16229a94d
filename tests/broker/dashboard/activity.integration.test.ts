// Proves the broker's activity record over a real Kafka connection: the
// connection is listed with its fetch mode, which follows CopylessSetFetchMode
// at once; every fetch with records becomes the last fetch of its mode and of
// its connection, with that fetch's own accounting (native modes: the addon's
// real calls); produced and fetched records and bytes are counted per topic
// and per mode; a closed connection is dropped.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/index.ts';
import { native } from '../../../broker/native/index.ts';
import { activitySnapshot } from '../../../broker/dashboard/stats-source.ts';
import { RawClient, startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { kafkaCreateTopic, kafkaFetch, kafkaProduce } from '../http/http-helpers.ts';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ fetchMode: 'sendfile' });
});

afterAll(async () => {
  await tb.destroy();
});

async function setMode(c: RawClient, mode: string): Promise<void> {
  const r = await c.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode }) });
  expect(r.errorCode).toBe(0);
}

async function until<T>(fn: () => T | undefined, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('activity', () => {
  it('lists a connection with its live fetch mode and records its last fetch with its own accounting', async () => {
    const c = await RawClient.connect(tb.port);
    expect(await kafkaCreateTopic(c, 'act', 1)).toBe(0);
    const values = Array.from({ length: 20 }, (_, i) => `value-${i}`.repeat(10));
    await kafkaProduce(c, 'act', 0, values.slice(0, 10));
    await kafkaProduce(c, 'act', 0, values.slice(10));
    const listed = () => tb.broker.activity.listConnections().listed;
    const conn = await until(() => listed().find((k) => k.clientId === 'raw-test'));
    expect(conn.fetchMode).toBe('sendfile');

    await setMode(c, 'copy');
    expect(listed().find((k) => k.id === conn.id)!.fetchMode).toBe('copy');
    const fetched = await kafkaFetch(c, 'act', 0, 0);
    expect(fetched.errorCode).toBe(0);
    const trace = await until(() => tb.broker.activity.lastFetches().copy);
    expect(trace).toMatchObject({ mode: 'copy', connection: conn.id, native: null, partitions: [{ topic: 'act', partition: 0, firstOffset: 0 }] });
    expect(trace.accounting.bytes).toBe(fetched.records.byteLength);
    expect(trace.accounting.syscalls).toBe(2); // one pread + one writev
    expect(trace.accounting.cpuCopies).toBe(2);
    expect(trace.accounting.headerSyscalls).toBe(1);
    expect(tb.broker.activity.connectionFetch(conn.id)).toBe(trace);
    expect(listed().find((k) => k.id === conn.id)!.fetches).toBe(1);

    const snap = activitySnapshot(tb.broker, { connection: conn.id });
    const topic = snap.topics.find((t) => t.name === 'act')!;
    expect(topic).toMatchObject({ producedRecords: 20, fetchedRecords: 20, fetchedRecordsEstimated: 0, fetchedBytes: trace.accounting.bytes });
    expect(topic.partitions).toEqual([{ partition: 0, logStartOffset: 0, logEndOffset: 20, sizeBytes: topic.producedBytes }]);
    expect(snap.modeRecords.copy).toBe(20);
    expect(snap.connectionFetch).toBe(trace);
    expect(snap.defaultFetchMode).toBe('sendfile');

    await setMode(c, 'mmap');
    await kafkaFetch(c, 'act', 0, 10);
    const mmap = await until(() => tb.broker.activity.lastFetches().mmap);
    expect(mmap.accounting.mmaps).toBe(1);
    expect(tb.broker.activity.connectionFetch(conn.id)).toBe(mmap);
    expect(tb.broker.activity.lastFetches().copy).toBe(trace); // each mode keeps its own last fetch

    c.close();
    await until(() => (listed().some((k) => k.id === conn.id) ? undefined : true));
  });

  it('takes an empty fetch as no fetch: the last fetch stays the last one with records', async () => {
    const c = await RawClient.connect(tb.port);
    expect(await kafkaCreateTopic(c, 'act-empty', 1)).toBe(0);
    await setMode(c, 'splice');
    await kafkaProduce(c, 'act-empty', 0, ['one']);
    await kafkaFetch(c, 'act-empty', 0, 0);
    const first = await until(() => tb.broker.activity.lastFetches().splice);
    await kafkaFetch(c, 'act-empty', 0, 1); // at the log end: no records
    expect(tb.broker.activity.lastFetches().splice).toBe(first);
    c.close();
  });

  it.skipIf(!native.available)('records the real system calls of a native fetch and estimates its records from bytes', async () => {
    const c = await RawClient.connect(tb.port);
    expect(await kafkaCreateTopic(c, 'act-native', 1)).toBe(0);
    await kafkaProduce(c, 'act-native', 0, Array.from({ length: 50 }, (_, i) => `n${i}`));
    await setMode(c, 'native-sendfile');
    await kafkaFetch(c, 'act-native', 0, 0);
    const trace = await until(() => tb.broker.activity.lastFetches()['native-sendfile']);
    expect(trace.native).not.toBeNull();
    expect(trace.native!.sendfileCalls).toBeGreaterThanOrEqual(1);
    expect(trace.accounting.syscalls).toBe(trace.native!.syscalls);
    const t = tb.broker.activity.topicCounters('act-native');
    expect(t.fetchedRecordsEstimated).toBe(50);
    expect(t.fetchedRecords).toBe(50);
    c.close();
  });
});
