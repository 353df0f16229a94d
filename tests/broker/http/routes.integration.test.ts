// Proves every HTTP route through fastify inject against a real broker core:
// each answers its documented shape, and its validation and limit errors come
// back as {code, name, message} with the status of the shared error table.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { FETCH_BYTES_MAX, FETCH_WAIT_MS_MAX, PARTITIONS_MAX } from '../../../src/limits.ts';
import { buildHttpApp } from '../../../broker/http/app.ts';
import { partitionForKey } from '../../../src/record/partitioner.ts';
import { expectError, startInjectBroker, type InjectBroker } from './http-helpers.ts';

let b: InjectBroker;

beforeAll(async () => {
  b = await startInjectBroker();
});

afterAll(async () => {
  await b.destroy();
});

function produce(topic: string, records: unknown[], query = '') {
  return b.app.inject({ method: 'POST', url: `/topics/${topic}/records${query}`, payload: { records } });
}

function fetchJson(topic: string, partition: number, query = 'offset=0') {
  return b.app.inject({ method: 'GET', url: `/topics/${topic}/partitions/${partition}/records?${query}` });
}

describe('topics', () => {
  it('creates, lists, describes and deletes a topic', async () => {
    const created = await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 't-crud', partitions: 3, config: { 'retention.ms': '60000' } } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 't-crud', config: { retentionMs: 60000 } });
    expect(created.json().partitions).toHaveLength(3);

    const list = (await b.app.inject('/topics')).json();
    expect(list.topics.find((t: any) => t.name === 't-crud')).toMatchObject({ partitions: 3, sizeBytes: 0, messages: 0 });

    await produce('t-crud', [{ value: 'x', partition: 1 }]);
    const d = (await b.app.inject('/topics/t-crud')).json();
    expect(d.partitions[1]).toMatchObject({ partition: 1, logStartOffset: 0, logEndOffset: 1 });
    expect(d.partitions[1].sizeBytes).toBeGreaterThan(0);
    expect(d.partitions[1].residentPages).toBeGreaterThan(0);
    expect(d.partitions[1].residentBytes).toBe(d.partitions[1].residentPages * 4096);
    expect(d.partitions[1].segments[0]).toMatchObject({ baseOffset: 0, active: true });

    expect((await b.app.inject({ method: 'DELETE', url: '/topics/t-crud' })).json()).toEqual({ topic: 't-crud', deleted: true });
    expectError(await b.app.inject('/topics/t-crud'), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
    expectError(await b.app.inject({ method: 'DELETE', url: '/topics/t-crud' }), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('refuses a duplicate, bad partition counts, unknown fields and configs', async () => {
    expect((await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 't-dup' } })).statusCode).toBe(201);
    expectError(await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 't-dup' } }), 409, 'TOPIC_ALREADY_EXISTS');
    expectError(await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 't-p0', partitions: 0 } }), 400, 'INVALID_REQUEST');
    expectError(await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 't-pmax', partitions: PARTITIONS_MAX + 1 } }), 400, 'INVALID_REQUEST');
    const extra = expectError(await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 't-x', replicas: 3 } }), 400, 'INVALID_REQUEST');
    expect(extra.message).toContain('replicas');
    const cfg = expectError(await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 't-cfg', config: { 'bogus.ms': 1 } } }), 400, 'INVALID_CONFIG');
    expect(cfg.message).toContain('bogus.ms');
    expectError(await b.app.inject({ method: 'POST', url: '/topics', payload: { partitions: 1 } }), 400, 'INVALID_REQUEST');
  });

  it('refuses bodies that are not JSON or not a JSON type', async () => {
    const bad = await b.app.inject({ method: 'POST', url: '/topics', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expectError(bad, 400, 'INVALID_REQUEST');
    const text = await b.app.inject({ method: 'POST', url: '/topics', headers: { 'content-type': 'text/plain' }, payload: 'name=x' });
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('produce', () => {
  it('produces JSON records with string, base64, null and header values and reads them back', async () => {
    const res = await produce('p-json', [
      { value: 'hello' },
      { key: 'k', value: { base64: Buffer.from([0xff, 0x00, 0x80]).toString('base64') }, headers: { h: 'v', bin: { base64: 'AAE=' } } },
      { key: null, value: null, headers: [{ key: 'dup', value: '1' }, { key: 'dup', value: null }], timestamp: 1_700_000_000_000 },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ topic: 'p-json', acks: 1, offsets: [{ partition: 0, offset: 0 }, { partition: 0, offset: 1 }, { partition: 0, offset: 2 }] });
    const f = (await fetchJson('p-json', 0)).json();
    expect(f).toMatchObject({ fetchMode: 'copy', requestedFetchMode: null, highWatermark: 3, nextOffset: 3 });
    expect(f.note).toContain('copy');
    expect(f.accounting.cpuCopyBytesKernelToUser).toBeGreaterThan(0);
    expect(f.records.map((r: any) => [r.offset, r.key, r.value])).toEqual([
      [0, null, 'hello'],
      [1, 'k', { base64: '/wCA' }],
      [2, null, null],
    ]);
    expect(f.records[1].headers).toEqual([
      { key: 'h', value: 'v' },
      { key: 'bin', value: '\u0000\u0001' },
    ]);
    expect(f.records[2].headers).toEqual([
      { key: 'dup', value: '1' },
      { key: 'dup', value: null },
    ]);
    expect(f.records[2].timestamp).toBe(1_700_000_000_000);
    const b64 = (await fetchJson('p-json', 0, 'offset=0&encoding=base64')).json();
    expect(b64.records[0].value).toEqual({ base64: Buffer.from('hello').toString('base64') });
  });

  it('places keyed records by murmur2 and honours explicit partitions', async () => {
    await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 'p-keys', partitions: 4 } });
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const res = (await produce('p-keys', keys.map((k) => ({ key: k, value: k })))).json();
    expect(res.offsets.map((o: any) => o.partition)).toEqual(keys.map((k) => partitionForKey(Buffer.from(k), 4)));
    const explicit = (await produce('p-keys', [{ value: 'a', partition: 3 }, { value: 'b' }], '?partition=2')).json();
    expect(explicit.offsets.map((o: any) => o.partition)).toEqual([3, 2]);
    const viaPath = await b.app.inject({ method: 'POST', url: '/topics/p-keys/partitions/1/records', payload: { records: [{ value: 'c' }] } });
    expect(viaPath.json().offsets[0].partition).toBe(1);
  });

  it('puts every keyless record of a request on one partition, and the next request on the next', async () => {
    await b.app.inject({ method: 'POST', url: '/topics', payload: { name: 'p-keyless', partitions: 3 } });
    const partitions: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const res = (await produce('p-keyless', [{ value: 'a' }, { value: 'b' }, { key: 'k', value: 'c' }, { value: 'd' }])).json();
      partitions.push(res.offsets.map((o: any) => o.partition));
    }
    const keyed = partitionForKey(Buffer.from('k'), 3);
    expect(partitions).toEqual([0, 1, 2, 0].map((p) => [p, p, keyed, p]));
  });

  it('auto-creates an unknown topic, and 404s when auto-creation is off', async () => {
    expect((await produce('p-auto', [{ value: 'x' }])).statusCode).toBe(200);
    expect(b.tb.broker.hasTopic('p-auto')).toBe(true);
    b.tb.broker.config.autoCreateTopics = false;
    try {
      expectError(await produce('p-noauto', [{ value: 'x' }]), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
      expect(b.tb.broker.hasTopic('p-noauto')).toBe(false);
    } finally {
      b.tb.broker.config.autoCreateTopics = true;
    }
  });

  it('produces raw stored-format batches as they are', async () => {
    const batch = encodeRecordBatch([{ value: 'raw-1' }, { value: 'raw-2' }]);
    const res = await b.app.inject({
      method: 'POST',
      url: '/topics/p-raw/records?acks=all',
      headers: { 'content-type': 'application/vnd.kafka.recordbatch' },
      payload: batch,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ acks: -1, batches: [{ partition: 0, baseOffset: 0, lastOffset: 1, records: 2 }] });
    expect(res.json().offsets).toBeUndefined();
    const f = (await fetchJson('p-raw', 0)).json();
    expect(f.records.map((r: any) => r.value)).toEqual(['raw-1', 'raw-2']);
    const corrupt = Buffer.from(batch);
    corrupt[corrupt.length - 1] ^= 0xff;
    const bad = await b.app.inject({ method: 'POST', url: '/topics/p-raw/records', headers: { 'content-type': 'application/octet-stream' }, payload: corrupt });
    expectError(bad, 400, 'CORRUPT_MESSAGE');
  });

  it('refuses malformed records, acks and partitions, appending nothing', async () => {
    await produce('p-bad', [{ value: 'seed' }]);
    expectError(await produce('p-bad', []), 400, 'INVALID_REQUEST');
    expectError(await produce('p-bad', [{ key: 'no value' }]), 400, 'INVALID_REQUEST');
    expectError(await produce('p-bad', [{ value: 'x', colour: 'red' }]), 400, 'INVALID_REQUEST');
    expectError(await produce('p-bad', [{ value: 7 }]), 400, 'INVALID_REQUEST');
    const b64 = expectError(await produce('p-bad', [{ value: { base64: 'not base64!' } }]), 400, 'INVALID_REQUEST');
    expect(b64.message).toContain('records[0].value.base64');
    expectError(await produce('p-bad', [{ value: 'x' }], '?acks=2'), 400, 'INVALID_REQUEST');
    expectError(await produce('p-bad', [{ value: 'x' }], '?partition=5'), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
    expectError(await produce('p-bad', [{ value: 'ok' }, { value: 'x', partition: 9 }]), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
    expect(b.tb.broker.listOffset('p-bad', 0, -1).offset).toBe(1);
  });
});

describe('limits', () => {
  let small: InjectBroker;
  beforeAll(async () => {
    small = await startInjectBroker({ httpBodyBytesMax: 4096, messageBytesMax: 1024 });
  });
  afterAll(async () => {
    await small.destroy();
  });

  it('refuses a body over httpBodyBytesMax with LIMIT_EXCEEDED naming the limit', async () => {
    const res = await small.app.inject({ method: 'POST', url: '/topics/l-body/records', payload: { records: [{ value: 'x'.repeat(5000) }] } });
    const body = expectError(res, 413, 'LIMIT_EXCEEDED');
    expect(body.details).toMatchObject({ limit: 'httpBodyBytesMax', max: 4096 });
  });

  it('refuses a batch over messageBytesMax before appending anything', async () => {
    const res = await small.app.inject({ method: 'POST', url: '/topics/l-batch/records', payload: { records: [{ value: 'small' }, { value: 'y'.repeat(2000) }] } });
    const body = expectError(res, 413, 'MESSAGE_TOO_LARGE');
    expect(body.details).toMatchObject({ limit: 'messageBytesMax', max: 1024 });
    expect(small.tb.broker.listOffset('l-batch', 0, -1).offset).toBe(0);
  });

  it('refuses fetch sizes and waits over the broker limits', async () => {
    await produce('l-fetch', [{ value: 'x' }]);
    const bytes = expectError(await fetchJson('l-fetch', 0, `maxBytes=${FETCH_BYTES_MAX + 1}`), 413, 'LIMIT_EXCEEDED');
    expect(bytes.details.limit).toBe('fetchBytesMax');
    const wait = expectError(await fetchJson('l-fetch', 0, `maxWaitMs=${FETCH_WAIT_MS_MAX + 1}`), 413, 'LIMIT_EXCEEDED');
    expect(wait.details.limit).toBe('fetchWaitMsMax');
  });
});

describe('fetch', () => {
  beforeAll(async () => {
    await produce('f', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    await produce('f', [{ value: 'd' }]);
  });

  it('drops the records of the first batch before the offset asked for', async () => {
    const r = (await fetchJson('f', 0, 'offset=1')).json();
    expect(r.records.map((x: any) => [x.offset, x.value])).toEqual([
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
    ]);
    expect(r.nextOffset).toBe(4);
  });

  it('resolves earliest and latest, and answers an empty fetch at the log end', async () => {
    expect((await fetchJson('f', 0, 'offset=earliest')).json().records).toHaveLength(4);
    const end = (await fetchJson('f', 0, 'offset=latest')).json();
    expect(end).toMatchObject({ records: [], nextOffset: 4, highWatermark: 4 });
  });

  it('says which mode was asked for when JSON is served with copy', async () => {
    const r = (await fetchJson('f', 0, 'offset=0&fetchMode=sendfile')).json();
    expect(r).toMatchObject({ fetchMode: 'copy', requestedFetchMode: 'sendfile' });
  });

  it('long-polls until a record arrives', async () => {
    const pending = fetchJson('f', 0, 'offset=4&maxWaitMs=10000');
    await new Promise((r) => setTimeout(r, 50));
    await produce('f', [{ value: 'late' }]);
    const r = (await pending).json();
    expect(r.records.map((x: any) => x.value)).toEqual(['late']);
  });

  it('serves the stored bytes for Accept: application/octet-stream, with offsets in headers', async () => {
    const res = await b.app.inject({ method: 'GET', url: '/topics/f/partitions/0/records?offset=0&fetchMode=mmap', headers: { accept: 'application/octet-stream' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-copyless-fetch-mode']).toBe('mmap');
    expect(Number(res.headers['x-copyless-next-offset'])).toBeGreaterThan(0);
    expect(JSON.parse(String(res.headers['x-copyless-accounting']))).toMatchObject({ cpuCopyBytesKernelToUser: 0 });
    expect(res.rawPayload.length).toBe(Number(res.headers['content-length']));
    expect(res.rawPayload.readBigInt64BE(0)).toBe(0n);
  });

  it('refuses bad offsets, partitions, modes and parameters', async () => {
    expectError(await fetchJson('f', 0, 'offset=999'), 416, 'OFFSET_OUT_OF_RANGE');
    expectError(await fetchJson('f', 7), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
    expectError(await fetchJson('nope', 0), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
    expectError(await fetchJson('f', 0, 'offset=soon'), 400, 'INVALID_REQUEST');
    expectError(await fetchJson('f', 0, 'maxBytes=lots'), 400, 'INVALID_REQUEST');
    expectError(await fetchJson('f', 0, 'maxBytes=0'), 400, 'INVALID_REQUEST');
    expectError(await fetchJson('f', 0, 'fetchMode=teleport'), 400, 'INVALID_REQUEST');
    expectError(await fetchJson('f', 0, 'colour=red'), 400, 'INVALID_REQUEST');
    expectError(await b.app.inject('/topics/f/partitions/-1/records'), 400, 'INVALID_REQUEST');
  });
});

describe('groups', () => {
  it('lists, resets and describes a group with lag', async () => {
    await produce('g-t', [{ value: '1' }, { value: '2' }, { value: '3' }]);
    expect((await b.app.inject('/groups')).json().groups.some((g: any) => g.groupId === 'g1')).toBe(false);
    expectError(await b.app.inject('/groups/g1'), 404, 'GROUP_ID_NOT_FOUND');
    const reset = await b.app.inject({ method: 'POST', url: '/groups/g1/reset-offsets', payload: { topic: 'g-t', to: 'offset', offset: 1 } });
    expect(reset.json()).toEqual({ groupId: 'g1', partitions: [{ topic: 'g-t', partition: 0, offset: 1 }] });
    const d = (await b.app.inject('/groups/g1')).json();
    expect(d).toMatchObject({ groupId: 'g1', state: 'Empty', members: 0, totalLag: 2 });
    expect(d.partitions[0]).toMatchObject({ topic: 'g-t', partition: 0, committedOffset: 1, logEndOffset: 3, lagMessages: 2 });
    expect((await b.app.inject('/groups')).json().groups).toContainEqual({ groupId: 'g1', state: 'Empty', protocolType: '', members: 0 });
  });

  it('validates reset requests', async () => {
    expectError(await b.app.inject({ method: 'POST', url: '/groups/g2/reset-offsets', payload: { topic: 'g-t', to: 'offset' } }), 400, 'INVALID_REQUEST');
    expectError(await b.app.inject({ method: 'POST', url: '/groups/g2/reset-offsets', payload: { topic: 'g-t', to: 'yesterday' } }), 400, 'INVALID_REQUEST');
    expectError(await b.app.inject({ method: 'POST', url: '/groups/g2/reset-offsets', payload: { topic: '../g-t', to: 'earliest' } }), 400, 'INVALID_TOPIC_EXCEPTION');
  });

  it('answers COORDINATOR_NOT_AVAILABLE without a coordinator', async () => {
    const bare = await buildHttpApp(b.tb.broker, b.tb.logger, { groups: null });
    try {
      expectError(await bare.inject('/groups'), 503, 'COORDINATOR_NOT_AVAILABLE');
      expectError(await bare.inject('/groups/g1'), 503, 'COORDINATOR_NOT_AVAILABLE');
      expectError(await bare.inject({ method: 'POST', url: '/groups/g1/reset-offsets', payload: { topic: 'g-t', to: 'earliest' } }), 503, 'COORDINATOR_NOT_AVAILABLE');
    } finally {
      await bare.close();
    }
  });
});

describe('broker', () => {
  it('reports info, config and stats', async () => {
    expect((await b.app.inject('/broker')).json()).toMatchObject({ name: 'copyless', fetchModes: { default: expect.any(String) } });
    const cfg = (await b.app.inject('/broker/config')).json();
    expect(cfg.availableFetchModes).toEqual(expect.arrayContaining(['copy', 'mmap', 'sendfile', 'splice']));
    expect(cfg.config.dataDir).toBe(b.tb.dataDir);
    const stats = (await b.app.inject('/broker/stats')).json();
    expect(stats.pageCache.capacityPages).toBeGreaterThan(0);
    expect(stats.modes).toBeTypeOf('object');
    expect((await b.app.inject({ method: 'POST', url: '/broker/page-cache/drop' })).json().droppedPages).toBeTypeOf('number');
  });

  it('changes the default fetch mode at run time, and validates the change', async () => {
    const before = b.tb.broker.config.fetchMode;
    try {
      const r = await b.app.inject({ method: 'PATCH', url: '/broker/config', payload: { fetchMode: 'splice', sgDma: true } });
      expect(r.json()).toMatchObject({ fetchMode: 'splice', sgDma: true });
      expect(b.tb.broker.config.fetchMode).toBe('splice');
      expectError(await b.app.inject({ method: 'PATCH', url: '/broker/config', payload: {} }), 400, 'INVALID_REQUEST');
      expectError(await b.app.inject({ method: 'PATCH', url: '/broker/config', payload: { fetchMode: 'teleport' } }), 400, 'INVALID_REQUEST');
      expectError(await b.app.inject({ method: 'PATCH', url: '/broker/config', payload: { port: 1 } }), 400, 'INVALID_REQUEST');
    } finally {
      b.tb.broker.config.fetchMode = before;
      b.tb.broker.config.sgDma = false;
    }
  });

  it('answers health, readiness (503 while closing), metrics and the OpenAPI document', async () => {
    expect((await b.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await b.app.inject('/readyz')).json()).toEqual({ ready: true });
    b.tb.broker.closing = true;
    try {
      expectError(await b.app.inject('/readyz'), 503, 'BROKER_SHUTTING_DOWN');
    } finally {
      b.tb.broker.closing = false;
    }
    const m = await b.app.inject('/metrics');
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.payload).toContain('copyless_fetch_mode_bytes_total');
    const doc = (await b.app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/topics', '/topics/{topic}', '/topics/{topic}/records', '/topics/{topic}/partitions/{partition}/records', '/groups', '/groups/{group}', '/groups/{group}/reset-offsets', '/broker', '/broker/config', '/broker/stats', '/healthz', '/readyz', '/metrics']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(Object.keys(doc.paths['/topics/{topic}/records'].post.requestBody.content)).toEqual(
      expect.arrayContaining(['application/json', 'application/vnd.kafka.recordbatch']),
    );
  });

  it('answers an unknown route with NOT_FOUND', async () => {
    expectError(await b.app.inject('/nowhere'), 404, 'NOT_FOUND');
  });
});

describe('bearer token', () => {
  let guarded: InjectBroker;
  beforeAll(async () => {
    guarded = await startInjectBroker({ httpToken: 's3cret' });
  });
  afterAll(async () => {
    await guarded.destroy();
  });

  it('guards every route but /healthz', async () => {
    expect((await guarded.app.inject('/healthz')).statusCode).toBe(200);
    for (const url of ['/topics', '/broker', '/metrics', '/openapi.json', '/readyz']) {
      expectError(await guarded.app.inject(url), 401, 'UNAUTHORIZED');
      expectError(await guarded.app.inject({ url, headers: { authorization: 'Bearer wrong' } }), 401, 'UNAUTHORIZED');
      expect((await guarded.app.inject({ url, headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
    }
    expect((await guarded.app.inject({ url: '/broker/config', headers: { authorization: 'Bearer s3cret' } })).json().config.httpToken).toBe('***');
  });
});
