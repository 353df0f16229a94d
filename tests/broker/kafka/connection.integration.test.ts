// Proves the Kafka connection's edge against hostile and slow clients: a
// refused connection always finishes closing (no socket left holding unread
// input), nothing a client sent after a refused frame runs, idle connections
// time out, split request frames draw on one broker-wide budget (and wait for
// it without allocating), and a client that stops reading pins at most its
// share of the page cache and is closed once its output has stalled.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, encodeRequest } from '../../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { RawClient, startTestBroker, waitFor, type TestBroker } from '../../helpers/broker.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

let broker: TestBroker | null = null;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await broker?.destroy();
  broker = null;
});

/** A socket that never reads (its receive buffer fills) and is destroyed after the test. */
function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => {});
    s.once('error', reject);
    sockets.push(s);
  });
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

/** A request frame with an unknown API key (10 header bytes, no body). */
function unknownApiFrame(): Buffer {
  const frame = Buffer.alloc(4 + 10);
  frame.writeInt32BE(10, 0);
  frame.writeInt16BE(9999, 4);
  frame.writeInt16BE(0, 6);
  frame.writeInt32BE(7, 8);
  frame.writeInt16BE(-1, 12);
  return frame;
}

function produceRequest(correlationId: number, topic: string, value: Buffer): Buffer {
  const records = encodeRecordBatch([{ value }]);
  return encodeRequest(
    { apiKey: ApiKey.Produce, apiVersion: 7, correlationId, clientId: 'edge' },
    { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] },
  );
}

function fetchRequest(correlationId: number, topic: string, offset: number, maxBytes: number): Buffer {
  return encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId, clientId: 'edge' }, fetchBodyFor(topic, maxBytes, offset));
}

describe('refused connections', () => {
  it.each([
    ['a negative frame size', Buffer.from([0xff, 0xff, 0xff, 0xf0])],
    ['an unknown API key', unknownApiFrame()],
    ['a malformed header', Buffer.from([0, 0, 0, 3, 0, 1, 0])],
  ])('close for good after %s even when the client keeps sending and never reads', async (_what, bad) => {
    broker = await startTestBroker();
    const s = await rawSocket(broker.port);
    s.pause(); // never reads: the broker's answer and FIN sit unread
    s.write(bad);
    // More bytes after the refused frame: the old close left them unread in a paused socket forever.
    s.write(Buffer.alloc(256 * KiB, 1));
    await waitFor('the broker to drop the connection', () => broker!.kafka.connectionCount === 0);
    await closed(s.resume());
    // The broker still serves a normal client.
    const c = await RawClient.connect(broker.port);
    expect((await c.request(ApiKey.ApiVersions, 2, {})).errorCode).toBe(0);
    c.close();
  });

  it('runs nothing sent after a refused frame: an unknown API then a Produce in one write appends nothing', async () => {
    broker = await startTestBroker();
    await broker.broker.createTopic('after', { partitions: 1 });
    const s = await rawSocket(broker.port);
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.write(Buffer.concat([unknownApiFrame(), produceRequest(8, 'after', Buffer.from('must not be stored'))]));
    await closed(s);
    expect(Buffer.concat(got).length).toBe(0);
    expect(broker.broker.partitionLog('after', 0).logEndOffset).toBe(0);
  });

  it('answers what came before the refused frame, then closes', async () => {
    broker = await startTestBroker();
    const c = await RawClient.connect(broker.port);
    const h = c.header(ApiKey.ApiVersions, 2);
    c.socket.write(Buffer.concat([encodeRequest(h, {}), unknownApiFrame()]));
    const first = await c.nextFrame();
    expect(first!.readInt32BE(0)).toBe(h.correlationId);
    expect(await c.nextFrame()).toBeNull();
  });
});

describe('idle connections', () => {
  it('are closed after connectionsMaxIdleMs; a connection in use is not', async () => {
    broker = await startTestBroker({ connectionsMaxIdleMs: 300 });
    const idle = await rawSocket(broker.port);
    const busy = await RawClient.connect(broker.port);
    const started = Date.now();
    const idleClosed = closed(idle);
    while (Date.now() - started < 900) {
      expect((await busy.request(ApiKey.ApiVersions, 2, {})).errorCode).toBe(0);
      await new Promise((r) => setTimeout(r, 100));
    }
    await idleClosed;
    expect(busy.closed).toBe(false);
    busy.close();
  });
});

describe('the request-bytes budget (queuedRequestBytesMax)', () => {
  it('charges split frames before allocating, makes the next one wait, and serves it once room appears', async () => {
    broker = await startTestBroker({ queuedRequestBytesMax: MiB, frameBytesMax: MiB });
    await broker.broker.createTopic('budget', { partitions: 1 });
    const budget = broker.kafka.limits.requestBudget;
    const a = await RawClient.connect(broker.port);
    const b = await RawClient.connect(broker.port);
    const frameA = produceRequest(a.header(0, 0).correlationId, 'budget', Buffer.alloc(600 * KiB, 1));
    const frameB = produceRequest(b.header(0, 0).correlationId, 'budget', Buffer.alloc(600 * KiB, 2));
    a.socket.write(frameA.subarray(0, 64 * KiB));
    await waitFor('A to be charged', () => budget.usedBytes === frameA.length - 4);
    b.socket.write(frameB.subarray(0, 64 * KiB));
    await waitFor('B to wait for room', () => budget.waitingCount === 1);
    // A normal client's small frames are views of one read: never charged, never kept waiting.
    const c = await RawClient.connect(broker.port);
    expect((await c.request(ApiKey.ApiVersions, 2, {})).errorCode).toBe(0);
    b.socket.write(frameB.subarray(64 * KiB));
    a.socket.write(frameA.subarray(64 * KiB));
    const answerA = await a.nextFrame();
    const answerB = await b.nextFrame();
    expect(answerA).not.toBeNull();
    expect(answerB).not.toBeNull();
    expect(budget.usedBytesMax).toBeLessThanOrEqual(MiB);
    await waitFor('the budget to empty', () => budget.usedBytes === 0);
    expect(broker.broker.partitionLog('budget', 0).logEndOffset).toBe(2);
    for (const x of [a, b, c]) x.close();
  });

  it('gives back the bytes of a partial frame when its connection goes away', async () => {
    broker = await startTestBroker({ queuedRequestBytesMax: MiB, frameBytesMax: MiB });
    const budget = broker.kafka.limits.requestBudget;
    const senders = await Promise.all(Array.from({ length: 6 }, () => rawSocket(broker!.port)));
    const size = Buffer.alloc(4);
    size.writeInt32BE(900 * KiB);
    for (const s of senders) s.write(Buffer.concat([size, Buffer.alloc(32 * KiB)]));
    await waitFor('one charged and five waiting', () => budget.usedBytes === 900 * KiB && budget.waitingCount === 5);
    for (const s of senders) s.destroy();
    await waitFor('the budget to empty', () => budget.usedBytes === 0 && budget.waitingCount === 0);
    expect(budget.usedBytesMax).toBe(900 * KiB);
  });
});

describe('a client that stops reading its fetches', () => {
  it('pins at most its share of the page cache, leaves room for others, and is closed once stalled', async () => {
    broker = await startTestBroker({ pageCacheMb: 16, connectionStallMs: 1500, fetchMode: 'sendfile' });
    const core = broker.broker;
    await core.createTopic('slow', { partitions: 1 });
    for (let i = 0; i < 12; i++) {
      const batch = encodeRecordBatch(Array.from({ length: 15 }, () => ({ value: Buffer.alloc(64 * KiB, i) })));
      await core.produce('slow', 0, batch, { acks: 1, timeoutMs: 5000 });
    }
    const share = broker.kafka.limits.heldBytesMax;
    expect(share).toBe(4 * MiB);
    const s = await rawSocket(broker.port);
    s.pause();
    // 60 Fetches of one ~1 MiB batch each, from every batch in turn (distinct pages), never read.
    s.write(Buffer.concat(Array.from({ length: 60 }, (_, i) => fetchRequest(i, 'slow', (i % 12) * 15, MiB))));
    await new Promise((r) => setTimeout(r, 500));
    const pinnedPages = core.pageCache.stats().pinnedPages;
    expect(pinnedPages * 4 * KiB).toBeLessThanOrEqual(share + 64 * KiB);
    // Another consumer still gets its data, not KAFKA_STORAGE_ERROR.
    const other = await RawClient.connect(broker.port);
    const r = await other.request(ApiKey.Fetch, 11, fetchBodyFor("slow", 1024 * KiB));
    expect(r.responses[0].partitions[0].errorCode).toBe(0);
    expect(r.responses[0].partitions[0].records.length).toBeGreaterThan(0);
    // The stalled reader is closed after connectionStallMs and its pins go back.
    await waitFor('the stalled connection to close', () => broker!.kafka.connectionCount === 1, 6000);
    await waitFor('its pins to go back', () => core.pageCache.stats().pinnedPages === 0);
    other.close();
  });
});

function fetchBodyFor(topic: string, maxBytes: number, offset = 0) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}
