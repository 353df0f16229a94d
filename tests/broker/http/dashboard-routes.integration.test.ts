// Proves the routes the dashboard added, through fastify inject against a real
// broker core: the batch inspector describes stored batches field by field
// (gzip and headers decoded, CRC checked against the bytes on disk, paged by
// nextOffset); a segment's pages come as one letter each; the activity and
// write-back routes answer their documented shapes; the page's own files are
// served without the bearer token while every API route, writes included,
// still needs it.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { INSPECT_BATCHES_MAX } from '../../../src/limits.ts';
import { CRC_OFFSET, RECORDS_OFFSET } from '../../../src/record/record-batch.ts';
import { expectError, startInjectBroker, type InjectBroker } from './http-helpers.ts';

let b: InjectBroker;

beforeAll(async () => {
  b = await startInjectBroker({ pageCacheMb: 8 });
});

afterAll(async () => {
  await b.destroy();
});

async function produceRaw(topic: string, batch: Buffer, partition = 0): Promise<void> {
  const r = await b.app.inject({
    method: 'POST',
    url: `/topics/${topic}/records?partition=${partition}`,
    headers: { 'content-type': 'application/vnd.kafka.recordbatch' },
    payload: batch,
  });
  expect(r.statusCode).toBe(200);
}

describe('GET .../batches', () => {
  it('describes a gzip batch with headers: offsets, CRC, compression, timestamps, producer, records as base64', async () => {
    const ts = 1_700_000_000_000;
    await produceRaw('insp', encodeRecordBatch([{ key: 'plain', value: 'first' }]));
    await produceRaw(
      'insp',
      encodeRecordBatch(
        [
          { key: 'k1', value: 'hello gzip', headers: { trace: 'abc', bin: Buffer.from([0, 255]) }, timestamp: ts },
          { key: null, value: Buffer.from([1, 2, 3]), timestamp: ts + 5 },
        ],
        { compression: 'gzip', producerId: 42, producerEpoch: 3, baseSequence: 0 },
      ),
    );
    const r = await b.app.inject('/topics/insp/partitions/0/batches?offset=1');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ topic: 'insp', partition: 0, fetchOffset: 1, fetchMode: 'copy', highWatermark: 3, segmentBaseOffset: 0, nextOffset: 3, stopReason: null });
    expect(body.batches).toHaveLength(1);
    const batch = body.batches[0];
    expect(batch).toMatchObject({
      baseOffset: 1,
      lastOffset: 2,
      magic: 2,
      crcValid: true,
      compression: 'gzip',
      timestampType: 'CreateTime',
      transactional: false,
      control: false,
      baseTimestamp: ts,
      maxTimestamp: ts + 5,
      producerId: 42,
      producerEpoch: 3,
      baseSequence: 0,
      recordsCount: 2,
      recordsError: null,
    });
    expect(batch.crc).toBe(batch.crcComputed);
    expect(batch.crc).toMatch(/^[0-9a-f]{8}$/);
    const b64 = (s: string | Buffer) => ({ base64: Buffer.from(s).toString('base64') });
    expect(batch.records).toEqual([
      { offset: 1, timestamp: ts, key: b64('k1'), value: b64('hello gzip'), headers: [{ key: 'trace', value: b64('abc') }, { key: 'bin', value: b64(Buffer.from([0, 255])) }] },
      { offset: 2, timestamp: ts + 5, key: null, value: b64(Buffer.from([1, 2, 3])), headers: [] },
    ]);
    const first = (await b.app.inject('/topics/insp/partitions/0/batches?offset=earliest&records=false')).json();
    expect(first.batches.map((x: any) => [x.baseOffset, x.filePosition, x.records])).toEqual([
      [0, 0, null],
      [1, first.batches[0].totalBytes, null],
    ]);
  });

  it('pages with limit and nextOffset, answers no batch at the log end, and refuses bad queries', async () => {
    for (let i = 0; i < 5; i++) await produceRaw('insp-pages', encodeRecordBatch([{ value: `v${i}` }, { value: `w${i}` }]));
    const page1 = (await b.app.inject('/topics/insp-pages/partitions/0/batches?limit=2')).json();
    expect(page1.batches.map((x: any) => x.baseOffset)).toEqual([0, 2]);
    expect(page1.nextOffset).toBe(4);
    const page2 = (await b.app.inject(`/topics/insp-pages/partitions/0/batches?offset=${page1.nextOffset}&limit=2`)).json();
    expect(page2.batches.map((x: any) => x.baseOffset)).toEqual([4, 6]);
    const end = (await b.app.inject('/topics/insp-pages/partitions/0/batches?offset=10')).json();
    expect(end).toMatchObject({ batches: [], nextOffset: null, segmentBaseOffset: null });
    expectError(await b.app.inject(`/topics/insp-pages/partitions/0/batches?limit=${INSPECT_BATCHES_MAX + 1}`), 400, 'INVALID_REQUEST');
    expectError(await b.app.inject('/topics/insp-pages/partitions/0/batches?offset=11'), 416, 'OFFSET_OUT_OF_RANGE');
    expectError(await b.app.inject('/topics/nope/partitions/0/batches'), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
    expectError(await b.app.inject('/topics/insp-pages/partitions/0/batches?maxBytes=999999999'), 413, 'LIMIT_EXCEEDED');
  });

  it('reports a batch whose bytes on disk no longer match its CRC, and still shows its records', async () => {
    await produceRaw('insp-crc', encodeRecordBatch([{ value: 'intact value' }]));
    await b.app.inject({ method: 'POST', url: '/broker/page-cache/write-back' });
    const segment = b.tb.broker.partitionLog('insp-crc', 0).segments()[0];
    const fd = fs.openSync(segment.path, 'r+');
    const at = RECORDS_OFFSET + 10; // inside the first record, which the CRC covers
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, at);
    fs.writeSync(fd, Buffer.from([byte[0] ^ 0x20]), 0, 1, at);
    fs.closeSync(fd);
    await b.app.inject({ method: 'POST', url: '/broker/page-cache/drop' }); // the next read comes from the file
    const batch = (await b.app.inject('/topics/insp-crc/partitions/0/batches')).json().batches[0];
    expect(batch.crcValid).toBe(false);
    expect(batch.crc).not.toBe(batch.crcComputed);
    expect(CRC_OFFSET).toBeLessThan(at);
    expect(batch.records === null ? batch.recordsError : batch.records.length).toBeTruthy();
  });
});

describe('GET .../segments/:baseOffset/pages', () => {
  it("spells a segment's pages, one letter each, and 404s an unknown segment", async () => {
    await produceRaw('insp-map', encodeRecordBatch(Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(1000, i) }))));
    const r = (await b.app.inject('/topics/insp-map/partitions/0/segments/0/pages')).json();
    expect(r).toMatchObject({ topic: 'insp-map', partition: 0, baseOffset: 0, active: true, pageBytes: 4096, pages: 3, states: 'ddd' });
    expect(r.counts).toMatchObject({ resident: 3, dirty: 3, writeBack: 0, pinned: 0 });
    await b.app.inject({ method: 'POST', url: '/broker/page-cache/write-back' });
    expect((await b.app.inject('/topics/insp-map/partitions/0/segments/0/pages')).json().states).toBe('iii');
    await b.app.inject({ method: 'POST', url: '/broker/page-cache/drop' });
    expect((await b.app.inject('/topics/insp-map/partitions/0/segments/0/pages')).json().states).toBe('...');
    expectError(await b.app.inject('/topics/insp-map/partitions/0/segments/7/pages'), 404, 'NOT_FOUND');
  });
});

describe('broker routes for the dashboard', () => {
  it('answers the activity, and write-back makes every dirty page clean', async () => {
    await produceRaw('insp-wb', encodeRecordBatch([{ value: 'x'.repeat(5000) }]));
    expect(b.tb.broker.pageCache.stats().dirtyPages).toBeGreaterThan(0);
    const wb = await b.app.inject({ method: 'POST', url: '/broker/page-cache/write-back' });
    expect(wb.statusCode).toBe(200);
    expect(wb.json().writtenBackPages).toBeGreaterThan(0);
    expect(wb.json().fsyncs).toBeGreaterThan(0);
    expect(wb.json().dirtyPages).toBe(0);
    expect(b.tb.broker.pageCache.stats().dirtyPages).toBe(0);
    const a = (await b.app.inject('/broker/activity')).json();
    expect(a.topics.find((t: any) => t.name === 'insp-wb')).toMatchObject({ producedRecords: 1, partitions: [{ partition: 0, logEndOffset: 1 }] });
    expect(a).toMatchObject({ defaultFetchMode: b.tb.broker.config.fetchMode, connectionFetch: null, connections: { kafkaTotal: 0 } });
    expect(a.cache.capacityPages).toBe(2048);
    expect((await b.app.inject('/broker/activity?connection=99')).json().connectionFetch).toBeNull();
    const d = (await b.app.inject('/topics/insp-wb')).json();
    expect(d.partitions[0].segments[0]).toMatchObject({ indexEntries: expect.any(Number), timeIndexEntries: expect.any(Number) });
  });
});

describe('the web page', () => {
  it('serves the page, its script bundled from broker/web and its stylesheet, with validators', async () => {
    const page = await b.app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('/assets/app.js');
    const js = await b.app.inject('/assets/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).not.toMatch(/from\s*["']node:/); // bundled for the browser: no Node import left
    expect(js.body).toContain('subscribe');
    const again = await b.app.inject({ url: '/assets/app.js', headers: { 'if-none-match': js.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    const css = await b.app.inject('/assets/app.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('needs no token for the page, and the token for every API route, reads and writes alike', async () => {
    const guarded = await startInjectBroker({ httpToken: 's3cret' });
    try {
      expect((await guarded.app.inject('/')).statusCode).toBe(200);
      expect((await guarded.app.inject('/assets/app.css')).statusCode).toBe(200);
      for (const [method, url] of [
        ['POST', '/broker/page-cache/drop'],
        ['POST', '/broker/page-cache/write-back'],
        ['PATCH', '/broker/config'],
        ['GET', '/broker/activity'],
        ['GET', '/topics/x/partitions/0/batches'],
        ['GET', '/topics/x/partitions/0/segments/0/pages'],
      ] as const) {
        expectError(await guarded.app.inject({ method, url, payload: method === 'PATCH' ? { fetchMode: 'copy' } : undefined }), 401, 'UNAUTHORIZED');
      }
      const ok = await guarded.app.inject({ method: 'POST', url: '/broker/page-cache/write-back', headers: { authorization: 'Bearer s3cret' } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await guarded.destroy();
    }
  });
});
