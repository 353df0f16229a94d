// Proves the WebSocket protocol over real sockets: a subscriber gets the
// records produced after it subscribed, in order (JSON text frames, or binary
// frames carrying exactly the stored batch bytes a Kafka Fetch returns);
// produce is acknowledged with offsets; group subscriptions start at the
// committed offsets; the stats channel pushes; errors, the token and shutdown
// behave as documented.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoByName } from '../../../src/errors.ts';
import { RawClient } from '../../helpers/broker.ts';
import { kafkaCreateTopic, kafkaFetch, kafkaProduce, startOwnedHttp, WsClient, type OwnedHttpBroker } from '../http/http-helpers.ts';

let b: OwnedHttpBroker;
let kafka: RawClient;

beforeAll(async () => {
  b = await startOwnedHttp({}, { ws: { statsIntervalMs: 50, fetchWaitMs: 200 } });
  kafka = await RawClient.connect(b.tb.port);
});

afterAll(async () => {
  kafka.close();
  await b.destroy();
});

async function open(): Promise<WsClient> {
  return WsClient.open(b.http.port);
}

async function httpProduce(topic: string, values: string[]): Promise<void> {
  const r = await fetch(`${b.base}/topics/${topic}/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records: values.map((value) => ({ value })) }),
  });
  expect(r.status).toBe(200);
}

describe('subscribe (json)', () => {
  it('delivers records produced after subscribing, in order, from every producer', async () => {
    expect(await kafkaCreateTopic(kafka, 'ws-live')).toBe(0);
    await kafkaProduce(kafka, 'ws-live', 0, ['before']);
    const ws = await open();
    ws.send({ op: 'subscribe', id: 'sub', topic: 'ws-live', partition: 0, offset: 'latest' });
    const sub = await ws.next();
    expect(sub).toMatchObject({ op: 'subscribed', id: 'sub', topic: 'ws-live', format: 'json', fetchMode: 'copy', partitions: [{ partition: 0, offset: 1 }] });

    const expected: string[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = [`k${i}a`, `k${i}b`];
      await kafkaProduce(kafka, 'ws-live', 0, batch);
      const h = [`h${i}`];
      await httpProduce('ws-live', h);
      expected.push(...batch, ...h);
    }
    ws.send({ op: 'produce', id: 7, topic: 'ws-live', records: [{ value: 'w1' }, { value: 'w2' }] });
    expected.push('w1', 'w2');

    const got: any[] = [];
    let ack: any = null;
    while (got.length < expected.length || !ack) {
      const m = await ws.next();
      if (m.op === 'ack') ack = m;
      else got.push(m);
    }
    expect(got.every((m) => m.op === 'record' && m.subscription === sub.subscription && m.topic === 'ws-live' && m.partition === 0)).toBe(true);
    expect(got.map((m) => m.value)).toEqual(expected);
    expect(got.map((m) => m.offset)).toEqual(expected.map((_, i) => i + 1));
    expect(Object.keys(got[0]).sort()).toEqual(['headers', 'key', 'offset', 'op', 'partition', 'subscription', 'timestamp', 'topic', 'value']);
    expect(ack).toMatchObject({ op: 'ack', id: 7, topic: 'ws-live', offsets: [{ partition: 0, offset: 16 }, { partition: 0, offset: 17 }] });
    ws.close();
  });

  it('starts from earliest or a number, covers every partition without "partition", and stops on unsubscribe', async () => {
    await b.http.app.inject({ method: 'POST', url: '/topics', payload: { name: 'ws-parts', partitions: 3 } });
    for (let p = 0; p < 3; p++) await kafkaProduce(kafka, 'ws-parts', p, [`p${p}-0`, `p${p}-1`]);
    const ws = await open();
    ws.send({ op: 'subscribe', topic: 'ws-parts', offset: 'earliest' });
    const sub = await ws.next();
    expect(sub.partitions).toEqual([0, 1, 2].map((partition) => ({ partition, offset: 0 })));
    const seen = new Set<string>();
    while (seen.size < 6) seen.add((await ws.next()).value);
    expect([...seen].sort()).toEqual(['p0-0', 'p0-1', 'p1-0', 'p1-1', 'p2-0', 'p2-1']);

    ws.send({ op: 'subscribe', topic: 'ws-parts', partition: 1, offset: 1 });
    const one = await ws.next();
    expect(one.partitions).toEqual([{ partition: 1, offset: 1 }]);
    expect(await ws.next()).toMatchObject({ subscription: one.subscription, offset: 1, value: 'p1-1' });

    ws.send({ op: 'unsubscribe', id: 'u', subscription: sub.subscription });
    expect(await ws.next()).toEqual({ op: 'unsubscribed', id: 'u', subscription: sub.subscription });
    await kafkaProduce(kafka, 'ws-parts', 0, ['after-unsubscribe']);
    await kafkaProduce(kafka, 'ws-parts', 1, ['to-the-second']);
    const next = await ws.next();
    expect(next).toMatchObject({ subscription: one.subscription, value: 'to-the-second' });
    ws.close();
  });
});

describe('subscribe (binary)', () => {
  it('sends the stored batch bytes unchanged, equal to a Kafka Fetch, in each modelled mode', async () => {
    expect(await kafkaCreateTopic(kafka, 'ws-bin')).toBe(0);
    for (let i = 0; i < 4; i++) await kafkaProduce(kafka, 'ws-bin', 0, [`v${i}`.repeat(2000 * (i + 1)), 'tail']);
    const stored = Buffer.from((await kafkaFetch(kafka, 'ws-bin', 0, 0)).records);
    for (const fetchMode of ['copy', 'mmap', 'sendfile', 'splice']) {
      const ws = await open();
      ws.send({ op: 'subscribe', topic: 'ws-bin', partition: 0, offset: 0, format: 'binary', fetchMode });
      const sub = await ws.next();
      expect(sub).toMatchObject({ format: 'binary', fetchMode });
      const chunks: Buffer[] = [];
      let next = 0;
      while (next < 8) {
        const head = await ws.next();
        expect(head).toMatchObject({ op: 'batch', subscription: sub.subscription, topic: 'ws-bin', partition: 0, fetchOffset: next, fetchMode });
        const body: Buffer = await ws.next();
        expect(Buffer.isBuffer(body)).toBe(true);
        expect(body.length).toBe(head.bytes);
        chunks.push(body);
        next = head.nextOffset;
      }
      expect(Buffer.concat(chunks).equals(stored), fetchMode).toBe(true);
      ws.close();
    }
  });
});

describe('groups', () => {
  it('starts each partition at the group committed offset, else at "offset"', async () => {
    await b.http.app.inject({ method: 'POST', url: '/topics', payload: { name: 'ws-grp', partitions: 2 } });
    for (let p = 0; p < 2; p++) await kafkaProduce(kafka, 'ws-grp', p, ['a', 'b', 'c']);
    const reset = await b.http.app.inject({ method: 'POST', url: '/groups/wsg/reset-offsets', payload: { topic: 'ws-grp', partitions: [1], to: 'offset', offset: 2 } });
    expect(reset.statusCode).toBe(200);
    const ws = await open();
    ws.send({ op: 'subscribe', topic: 'ws-grp', group: 'wsg', offset: 'earliest' });
    expect((await ws.next()).partitions).toEqual([
      { partition: 0, offset: 0 },
      { partition: 1, offset: 2 },
    ]);
    ws.send({ op: 'subscribe', topic: 'ws-grp', group: 'unknown-group', partition: 0, offset: 'latest' });
    expect(await ws.nextWhere((m) => m.op === 'subscribed')).toMatchObject({ group: 'unknown-group', partitions: [{ partition: 0, offset: 3 }] });
    ws.close();
  });

  it('answers a group subscription with COORDINATOR_NOT_AVAILABLE where the server has no coordinator', async () => {
    const bare = await startOwnedHttp({}, { groups: null });
    try {
      await bare.http.app.inject({ method: 'POST', url: '/topics', payload: { name: 'ws-grp', partitions: 1 } });
      const ws = await WsClient.open(bare.http.port);
      ws.send({ op: 'subscribe', id: 'g', topic: 'ws-grp', group: 'wsg' });
      expect(await ws.nextWhere((m) => m.op === 'error')).toMatchObject({ id: 'g', name: 'COORDINATOR_NOT_AVAILABLE' });
      ws.send({ op: 'subscribe', id: 'p', topic: 'ws-grp', offset: 'earliest' });
      expect(await ws.nextWhere((m) => m.op === 'subscribed')).toMatchObject({ id: 'p', partitions: [{ partition: 0, offset: 0 }] });
      ws.close();
    } finally {
      await bare.destroy();
    }
  });
});

describe('stats channel', () => {
  it('pushes broker stats until unsubscribed', async () => {
    const ws = await open();
    ws.send({ op: 'subscribe', id: 's', channel: 'stats' });
    expect(await ws.next()).toEqual({ op: 'subscribed', id: 's', channel: 'stats', intervalMs: 50 });
    for (let i = 0; i < 3; i++) {
      const m = await ws.next();
      expect(m.op).toBe('stats');
      expect(m.pageCache.capacityPages).toBeGreaterThan(0);
      expect(m.modes).toBeTypeOf('object');
    }
    ws.send({ op: 'unsubscribe', channel: 'stats' });
    await ws.nextWhere((m) => m.op === 'unsubscribed');
    ws.send({ op: 'ping', id: 'last' });
    expect(await ws.nextWhere((m) => m.op !== 'stats')).toEqual({ op: 'pong', id: 'last' });
    ws.close();
  });
});

describe('errors', () => {
  it('answers each mistake with {op:"error",code,name,message} and keeps the connection', async () => {
    await httpProduce('ws-err', ['x']);
    const ws = await open();
    const cases: Array<[unknown, string]> = [
      ['not json', 'INVALID_REQUEST'],
      [{ op: 'dance', id: 1 }, 'INVALID_REQUEST'],
      [{ op: 'subscribe', id: 2, topic: 'ws-missing', partition: 0 }, 'UNKNOWN_TOPIC_OR_PARTITION'],
      [{ op: 'subscribe', id: 3, topic: 'ws-err', partition: 9 }, 'UNKNOWN_TOPIC_OR_PARTITION'],
      [{ op: 'subscribe', id: 4, topic: 'ws-err', format: 'xml' }, 'INVALID_REQUEST'],
      [{ op: 'subscribe', id: 5, topic: 'ws-err', format: 'binary', fetchMode: 'native-sendfile' }, 'FETCH_MODE_UNAVAILABLE'],
      [{ op: 'subscribe', id: 6, topic: 'ws-err', maxBytes: 1 << 30 }, 'LIMIT_EXCEEDED'],
      [{ op: 'subscribe', id: 7, topic: 'ws-err', offset: -5 }, 'INVALID_REQUEST'],
      [{ op: 'unsubscribe', id: 8, subscription: 99 }, 'NOT_FOUND'],
      [{ op: 'produce', id: 9, topic: 'ws-err', records: [] }, 'INVALID_REQUEST'],
      [{ op: 'produce', id: 10, topic: 'ws-err', records: [{ value: 5 }] }, 'INVALID_REQUEST'],
      [{ op: 'produce', id: 11, topic: 'ws-err', acks: 3, records: [{ value: 'x' }] }, 'INVALID_REQUIRED_ACKS'],
      [{ op: 'subscribe', id: 12, channel: 'gossip' }, 'INVALID_REQUEST'],
    ];
    for (const [op, name] of cases) {
      ws.ws.send(typeof op === 'string' ? op : JSON.stringify(op));
      const m = await ws.next();
      expect(m, JSON.stringify(op)).toMatchObject({ op: 'error', name, code: errorInfoByName(name as never).code });
      expect(typeof m.message).toBe('string');
      if (typeof op === 'object') expect(m.id).toBe((op as { id: number }).id);
    }
    ws.ws.send(Buffer.from([1, 2, 3]));
    expect(await ws.next()).toMatchObject({ op: 'error', name: 'INVALID_REQUEST' });
    ws.send({ op: 'ping', id: 'alive' });
    expect(await ws.next()).toEqual({ op: 'pong', id: 'alive' });
    ws.close();
  });

  it('ends a subscription whose topic is deleted with an error naming it', async () => {
    await httpProduce('ws-gone', ['x']);
    const ws = await open();
    ws.send({ op: 'subscribe', topic: 'ws-gone', partition: 0, offset: 'latest' });
    const sub = await ws.next();
    await b.http.app.inject({ method: 'DELETE', url: '/topics/ws-gone' });
    expect(await ws.next()).toMatchObject({ op: 'error', subscription: sub.subscription, partition: 0, name: 'UNKNOWN_TOPIC_OR_PARTITION' });
    ws.close();
  });

  it('refuses upgrades on other paths', async () => {
    await expect(WsClient.open(b.http.port, '/socket')).rejects.toThrow('404');
  });
});

describe('token and shutdown', () => {
  it('requires the token (header or ?token=) and closes connections with 1001 on shutdown', async () => {
    const guarded = await startOwnedHttp({ httpToken: 'tok' });
    try {
      await expect(WsClient.open(guarded.http.port)).rejects.toThrow('401');
      await expect(WsClient.open(guarded.http.port, '/ws?token=nope')).rejects.toThrow('401');
      const viaHeader = await WsClient.open(guarded.http.port, '/ws', { authorization: 'Bearer tok' });
      const viaQuery = await WsClient.open(guarded.http.port, '/ws?token=tok');
      const closed = [viaHeader.whenClosed(), viaQuery.whenClosed()];
      await guarded.http.close();
      expect(await Promise.all(closed)).toEqual([1001, 1001].map(() => errorInfoByName('BROKER_SHUTTING_DOWN').wsClose));
    } finally {
      await guarded.destroy();
    }
  });
});
