// Proves the WebSocket send buffer is bounded: a subscriber that stops
// reading is paused once ws.bufferedAmount passes the pause limit (the broker
// stops fetching for it), then closed with SLOW_CONSUMER's close code, and the
// bytes the broker held for it never exceed the pause limit plus one fetch
// round; every page pinned for it is released afterwards.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorInfoByName } from '../../../src/errors.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import type { WsSession } from '../../../broker/ws/session.ts';
import type { WsLimits } from '../../../broker/ws/limits.ts';
import { parsePrometheus, sampleValue, startOwnedHttp, WsClient, type OwnedHttpBroker } from '../http/http-helpers.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Far more than loopback socket buffers absorb (a few MiB), so bytes must pile up in user space. */
const TOPIC_BYTES = 24 * MiB;
const BATCH_BYTES = 256 * KiB;
/** JSON `batch` announcements and WebSocket frame headers sent along with one round. */
const CONTROL_BYTES_SLACK = 4 * KiB;

let b: OwnedHttpBroker;

async function fillTopic(topic: string): Promise<void> {
  await b.tb.broker.createTopic(topic, { partitions: 1 });
  const value = Buffer.alloc(BATCH_BYTES - 100, 7);
  for (let n = 0; n < TOPIC_BYTES; n += BATCH_BYTES) {
    await b.tb.broker.produce(topic, 0, encodeRecordBatch([{ value }]), { acks: 1, timeoutMs: 1000 });
  }
}

async function slowSubscriber(topic: string, maxBytes: number): Promise<{ client: WsClient; session: WsSession }> {
  const client = await WsClient.open(b.http.port);
  client.send({ op: 'subscribe', topic, partition: 0, offset: 'earliest', format: 'binary', fetchMode: 'sendfile', maxBytes });
  expect(await client.next()).toMatchObject({ op: 'subscribed' });
  // The client stops reading: the kernel buffers fill, then the broker's own send buffer.
  (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const session = [...b.http.ws.sessions][0];
  return { client, session };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/** Resume reading and drain: every byte the broker had buffered arrives, then the close frame. */
async function drainToClose(client: WsClient): Promise<{ code: number; reason: string; bytes: number }> {
  const closed = client.whenClosed();
  (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const code = await closed;
  const bytes = client.messages.reduce((n, m) => n + (m.binary?.length ?? 0), 0);
  return { code, reason: client.closeReason, bytes };
}

async function start(ws: Partial<WsLimits>): Promise<void> {
  b = await startOwnedHttp({}, { ws: { closeGraceMs: 60_000, ...ws } });
}

afterEach(async () => {
  await b.destroy();
});

describe('slow WebSocket subscriber', () => {
  beforeEach(async () => {
    await start({ pauseBytes: 512 * KiB, closeBytes: 64 * MiB, slowConsumerMs: 200 });
  });

  it('is paused at the pause limit, then closed with SLOW_CONSUMER, holding at most one round past the limit', async () => {
    await fillTopic('slow');
    const maxBytes = 256 * KiB;
    const { client, session } = await slowSubscriber('slow', maxBytes);
    await until(() => session.events.includes('slow-consumer-close'));

    expect(session.events[0]).toBe('paused');
    expect(session.events.at(-1)).toBe('slow-consumer-close');
    expect(session.bufferedBytesMax).toBeGreaterThan(512 * KiB);
    expect(session.bufferedBytesMax).toBeLessThanOrEqual(512 * KiB + maxBytes + CONTROL_BYTES_SLACK);

    const { code, reason, bytes } = await drainToClose(client);
    expect(code).toBe(errorInfoByName('SLOW_CONSUMER').wsClose);
    expect(reason).toContain('SLOW_CONSUMER');
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(TOPIC_BYTES);
    await until(() => b.tb.broker.pageCache.stats().pinnedPages === 0 && b.http.ws.sessions.size === 0);

    const m = parsePrometheus(await b.http.metrics.render()).samples;
    expect(sampleValue(m, 'copyless_ws_slow_consumer_closes_total')).toBe(1);
    expect(sampleValue(m, 'copyless_ws_pauses_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'copyless_ws_connections')).toBe(0);
  });

  it('resumes a paused subscriber that reads again in time, and loses nothing', async () => {
    b.http.ws.limits.slowConsumerMs = 60_000;
    await fillTopic('catch-up');
    const { client, session } = await slowSubscriber('catch-up', 256 * KiB);
    await until(() => session.paused);
    (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    let bytes = 0;
    let next = 0;
    const end = b.tb.broker.listOffset('catch-up', 0, -1).offset;
    while (next < end) {
      const head = await client.next();
      expect(head).toMatchObject({ op: 'batch', fetchOffset: next });
      const body: Buffer = await client.next();
      expect(body.length).toBe(head.bytes);
      bytes += body.length;
      next = head.nextOffset;
    }
    expect(session.events.slice(0, 2)).toEqual(['paused', 'resumed']);
    expect(bytes).toBe(b.tb.broker.describeTopics(['catch-up'])[0].partitions[0].sizeBytes);
    client.close();
  });
});

describe('send buffer hard cap', () => {
  beforeEach(async () => {
    await start({ pauseBytes: 64 * KiB, closeBytes: 128 * KiB, slowConsumerMs: 60_000 });
  });

  it('closes at once when one round takes the buffer past the close limit', async () => {
    await fillTopic('flood');
    const maxBytes = 1 * MiB;
    const { client, session } = await slowSubscriber('flood', maxBytes);
    await until(() => session.events.includes('slow-consumer-close'));
    expect(session.bufferedBytesMax).toBeGreaterThan(128 * KiB);
    expect(session.bufferedBytesMax).toBeLessThanOrEqual(64 * KiB + maxBytes + CONTROL_BYTES_SLACK);
    const { code, reason } = await drainToClose(client);
    expect(code).toBe(errorInfoByName('SLOW_CONSUMER').wsClose);
    expect(reason).toContain('wsCloseBytes');
  });
});
