// Proves the stats channel's dashboard parts over a real WebSocket: a
// subscriber that asks for them gets the activity and, after each text
// message, one binary page-map frame of the announced size; keyframe then
// deltas that decode to what a fresh subscriber's keyframe shows; the last
// fetch of a named Kafka connection; bad options are typed errors; and a
// subscriber that asks for nothing new gets the original message unchanged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellState, cellState, decodePageMapFrame, type PageMapLayout } from '../../../broker/dashboard/messages.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { RawClient } from '../../helpers/broker.ts';
import { kafkaCreateTopic, kafkaFetch, kafkaProduce, startOwnedHttp, WsClient, type OwnedHttpBroker } from '../http/http-helpers.ts';

let b: OwnedHttpBroker;

beforeAll(async () => {
  b = await startOwnedHttp({ pageCacheMb: 8, segmentBytes: 1024 * 1024 }, { ws: { fetchWaitMs: 200 } });
});

afterAll(async () => {
  await b.destroy();
});

/** A dashboard subscriber that decodes page-map frames as they come. */
class MapReader {
  layout: PageMapLayout | null = null;
  cells: Uint8Array | null = null;
  keyframes = 0;
  constructor(readonly ws: WsClient) {}

  async push(): Promise<any> {
    const m = await this.ws.nextWhere((x) => x.op === 'stats');
    const frame: Buffer = await this.ws.next();
    expect(Buffer.isBuffer(frame)).toBe(true);
    expect(frame.length).toBe(m.pageMap.bytes);
    if (m.pageMap.layout) this.layout = m.pageMap.layout;
    expect(this.layout!.version).toBe(m.pageMap.layoutVersion);
    const d = decodePageMapFrame(new Uint8Array(frame), m.pageMap.keyframe ? null : this.cells);
    expect(d.keyframe).toBe(m.pageMap.keyframe);
    if (d.keyframe) this.keyframes++;
    this.cells = d.cells;
    return m;
  }

  statesOf(topic: string): number[] {
    let at = 0;
    const out: number[] = [];
    for (const f of this.layout!.files) {
      if (f.topic === topic) out.push(...[...this.cells!.subarray(at, at + f.cells)].map(cellState));
      at += f.cells;
    }
    return out;
  }
}

async function httpProduce(topic: string, n: number): Promise<void> {
  const r = await fetch(`${b.base}/topics/${topic}/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records: Array.from({ length: n }, (_, i) => ({ value: `v${i}`.repeat(100) })) }),
  });
  expect(r.status).toBe(200);
}

describe('stats channel: dashboard parts', () => {
  it('sends activity and a page map, keyframe first and deltas after, that agree with a fresh keyframe', async () => {
    const ws = await WsClient.open(b.http.port);
    ws.send({ op: 'subscribe', id: 1, channel: 'stats', intervalMs: 250, include: ['activity', 'pageMap'] });
    expect(await ws.next()).toEqual({ op: 'subscribed', id: 1, channel: 'stats', intervalMs: 250, include: ['activity', 'pageMap'], connection: null });
    const reader = new MapReader(ws);
    const first = await reader.push();
    expect(first.pageMap.keyframe).toBe(true);
    expect(first.activity.cache.capacityPages).toBe(2048);
    expect(first.activity.defaultFetchMode).toBe(b.tb.broker.config.fetchMode);

    await httpProduce('dash', 40);
    let m;
    do m = await reader.push();
    while (!reader.layout!.files.some((f) => f.topic === 'dash'));
    expect(m.pageMap.keyframe).toBe(true); // a new layout always comes with a keyframe
    while (!reader.statesOf('dash').includes(CellState.DIRTY) || m.activity.topics.find((t: any) => t.name === 'dash')?.producedRecords !== 40) m = await reader.push();
    expect(m.activity.topics.find((t: any) => t.name === 'dash')).toMatchObject({ producedRecords: 40, partitions: [{ partition: 0, logEndOffset: 40 }] });
    m = await reader.push();
    expect(m.pageMap.keyframe).toBe(false);
    expect(m.pageMap.layout).toBeUndefined();
    expect(m.pageMap.activePages.length).toBeGreaterThan(0);

    const wb = await fetch(`${b.base}/broker/page-cache/write-back`, { method: 'POST' });
    expect(wb.status).toBe(200);
    do m = await reader.push();
    while (reader.statesOf('dash').some((x) => x === CellState.DIRTY || x === CellState.WRITEBACK));
    expect(m.pageMap.keyframe).toBe(false);
    expect(reader.statesOf('dash')).toContain(CellState.INACTIVE);

    const fresh = new MapReader(await WsClient.open(b.http.port));
    fresh.ws.send({ op: 'subscribe', channel: 'stats', include: ['pageMap'] });
    await fresh.ws.nextWhere((x) => x.op === 'subscribed');
    await fresh.push();
    await reader.push();
    expect(fresh.keyframes).toBe(1);
    expect(Buffer.from(fresh.cells!).equals(Buffer.from(reader.cells!))).toBe(true);
    // Same layout; only the pages of a growing active segment may differ (they come with every push, in activePages).
    const shape = (l: PageMapLayout) => ({ version: l.version, pagesPerCell: l.pagesPerCell, files: l.files.map(({ pages: _, ...f }) => f) });
    expect(shape(fresh.layout!)).toEqual(shape(reader.layout!));
    fresh.ws.close();
    ws.close();
  });

  it('carries the last fetch of the Kafka connection the subscriber names', async () => {
    const kafka = await RawClient.connect(b.tb.port);
    expect(await kafkaCreateTopic(kafka, 'dash-conn')).toBe(0);
    await kafkaProduce(kafka, 'dash-conn', 0, ['a', 'b', 'c']);
    const r = await kafka.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode: 'splice' }) });
    expect(r.errorCode).toBe(0);
    await kafkaFetch(kafka, 'dash-conn', 0, 0);
    const id = b.tb.broker.activity.listConnections().listed.find((c) => c.fetchMode === 'splice')!.id;
    const ws = await WsClient.open(b.http.port);
    ws.send({ op: 'subscribe', channel: 'stats', include: ['activity'], connection: id });
    expect(await ws.next()).toMatchObject({ op: 'subscribed', intervalMs: 1000, include: ['activity'], connection: id });
    // Snapshots are shared for STATS_SNAPSHOT_REUSE_MS, so the first push may predate this connection.
    const m = await ws.nextWhere((x) => x.op === 'stats' && x.activity.connections.kafka.some((c: any) => c.id === id && c.fetches === 1), 5000);
    expect(m.pageMap).toBeUndefined();
    expect(m.activity.connectionFetch).toMatchObject({ mode: 'splice', connection: id, partitions: [{ topic: 'dash-conn', partition: 0 }] });
    expect(m.activity.connections.kafka.find((c: any) => c.id === id)).toMatchObject({ fetchMode: 'splice', fetches: 1 });
    ws.close();
    kafka.close();
  });

  it('refuses bad options with a typed error naming the field, and keeps the original message for plain subscribers', async () => {
    const ws = await WsClient.open(b.http.port);
    ws.send({ op: 'subscribe', id: 'a', channel: 'stats', intervalMs: 10 });
    expect(await ws.next()).toMatchObject({ op: 'error', id: 'a', name: 'INVALID_REQUEST', message: expect.stringContaining('intervalMs') });
    ws.send({ op: 'subscribe', id: 'b', channel: 'stats', intervalMs: 600_000 });
    expect(await ws.next()).toMatchObject({ op: 'error', id: 'b', name: 'LIMIT_EXCEEDED', message: expect.stringContaining('intervalMs') });
    ws.send({ op: 'subscribe', id: 'c', channel: 'stats', include: ['pages'] });
    expect(await ws.next()).toMatchObject({ op: 'error', id: 'c', name: 'INVALID_REQUEST', message: expect.stringContaining('include') });
    ws.send({ op: 'subscribe', id: 'd', channel: 'stats' });
    expect(await ws.next()).toEqual({ op: 'subscribed', id: 'd', channel: 'stats', intervalMs: 1000 });
    const m = await ws.next();
    expect(Object.keys(m).sort()).toEqual(['durability', 'modes', 'op', 'pageCache', 'sgDma', 'timestamp']);
    ws.close();
  });
});
