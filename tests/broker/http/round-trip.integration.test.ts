// Proves over real sockets that HTTP and the Kafka protocol see one log:
// records produced over HTTP are consumed over Kafka and the other way round,
// and a raw HTTP fetch returns exactly the record bytes a Kafka Fetch returns,
// in every available fetch mode (native ones included when the addon is
// built), also for fetches larger than the socket buffers.

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecordBatch } from '../../../src/record/index.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { native } from '../../../broker/native/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { kafkaCreateTopic, kafkaFetch, kafkaProduce } from './http-helpers.ts';

let tb: TestBroker;
let kafka: RawClient;
let base: string;

beforeAll(async () => {
  tb = await startTestBroker({ httpPort: 0 });
  kafka = await RawClient.connect(tb.port);
  base = `http://127.0.0.1:${tb.httpPort}`;
});

afterAll(async () => {
  kafka.close();
  await tb.destroy();
});

async function rawFetch(topic: string, offset: number, mode: string, maxBytes = 1 << 20): Promise<{ bytes: Buffer; headers: Headers }> {
  const r = await fetch(`${base}/topics/${topic}/partitions/0/records?offset=${offset}&maxBytes=${maxBytes}&fetchMode=${mode}`, {
    headers: { accept: 'application/octet-stream' },
  });
  expect(r.status).toBe(200);
  return { bytes: Buffer.from(await r.arrayBuffer()), headers: r.headers };
}

describe('HTTP and Kafka round trips', () => {
  it('consumes over Kafka what was produced over HTTP', async () => {
    const r = await fetch(`${base}/topics/rt-h2k/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ key: 'k1', value: 'one', headers: { h: 'x' } }, { value: { base64: Buffer.from([1, 2, 3]).toString('base64') } }] }),
    });
    expect(r.status).toBe(200);
    const part = await kafkaFetch(kafka, 'rt-h2k', 0, 0);
    expect(part.errorCode).toBe(0);
    const records = decodeRecords(part.records);
    expect(records.map((x) => [x.offset, x.key?.toString() ?? null, x.value])).toEqual([
      [0, 'k1', Buffer.from('one')],
      [1, null, Buffer.from([1, 2, 3])],
    ]);
    expect(records[0].headers).toEqual([{ key: 'h', value: Buffer.from('x') }]);
  });

  it('fetches over HTTP what was produced over Kafka', async () => {
    expect(await kafkaCreateTopic(kafka, 'rt-k2h')).toBe(0);
    await kafkaProduce(kafka, 'rt-k2h', 0, ['a', 'b']);
    await kafkaProduce(kafka, 'rt-k2h', 0, ['c']);
    const r: any = await (await fetch(`${base}/topics/rt-k2h/partitions/0/records?offset=0`)).json();
    expect(r.records.map((x: any) => [x.offset, x.value])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
  });

  it('answers the done-when example: a curl produce, then a curl fetch returns the record', async () => {
    await fetch(`${base}/topics/demo/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"records":[{"value":"hello"}]}' });
    const r: any = await (await fetch(`${base}/topics/demo/partitions/0/records?offset=0`)).json();
    expect(r.records[0]).toMatchObject({ offset: 0, value: 'hello', key: null });
  });
});

describe('raw bytes equal the Kafka Fetch records', () => {
  beforeAll(async () => {
    expect(await kafkaCreateTopic(kafka, 'rt-raw')).toBe(0);
    // Many batches of mixed sizes: ~1.5 MiB in all, more than a socket buffer takes at once.
    for (let i = 0; i < 24; i++) {
      const batch = encodeRecordBatch(Array.from({ length: 1 + (i % 5) }, (_, j) => ({ key: `k${i}-${j}`, value: Buffer.alloc(1000 + ((i * 7919 + j * 104729) % 60_000), i) })));
      const resp = await kafka.request(ApiKey.Produce, 7, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'rt-raw', partitionData: [{ index: 0, records: batch }] }],
      });
      expect(resp.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
  });

  it('in every available mode, from the start and from inside a batch', async () => {
    const modes: string[] = tb.broker.availableFetchModes();
    expect(modes).toEqual(expect.arrayContaining(['copy', 'mmap', 'sendfile', 'splice']));
    const maxBytes = 4 << 20;
    for (const offset of [0, 3]) {
      const expected = Buffer.from((await kafkaFetch(kafka, 'rt-raw', 0, offset, maxBytes)).records);
      expect(expected.length).toBeGreaterThan(1 << 20);
      for (const mode of modes) {
        const { bytes, headers } = await rawFetch('rt-raw', offset, mode, maxBytes);
        expect(headers.get('x-copyless-fetch-mode')).toBe(mode);
        expect(bytes.equals(expected), `${mode} from offset ${offset}`).toBe(true);
      }
    }
  });

  it('keeps the connection usable after each mode (Content-Length framing holds)', async () => {
    for (const mode of tb.broker.availableFetchModes()) {
      const { bytes } = await rawFetch('rt-raw', 0, mode, 4096);
      expect(bytes.length).toBeGreaterThan(0);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }
    expect(tb.broker.pageCache.stats().pinnedPages).toBe(0);
  });

  it('answers back-to-back keep-alive raw fetches in every mode (the next request may come before the last answer ended)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const expected = Buffer.from((await kafkaFetch(kafka, 'rt-raw', 0, 0, 256 * 1024)).records);
    try {
      for (const mode of tb.broker.availableFetchModes()) {
        for (let i = 0; i < 100; i++) {
          const body = await new Promise<Buffer>((resolve, reject) => {
            const path = `/topics/rt-raw/partitions/0/records?offset=0&maxBytes=${256 * 1024}&fetchMode=${mode}`;
            http
              .get({ host: '127.0.0.1', port: tb.httpPort!, path, agent, headers: { accept: 'application/octet-stream' } }, (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c) => chunks.push(c));
                res.on('end', () => resolve(Buffer.concat(chunks)));
              })
              .on('error', reject);
          });
          expect(body.equals(expected), `${mode} #${i}`).toBe(true);
        }
      }
    } finally {
      agent.destroy();
    }
  });

  it.skipIf(native.available)('refuses a native mode with FETCH_MODE_UNAVAILABLE when the addon is missing', async () => {
    const r = await fetch(`${base}/topics/rt-raw/partitions/0/records?offset=0&fetchMode=native-sendfile`, { headers: { accept: 'application/octet-stream' } });
    expect(r.status).toBe(501);
    expect(((await r.json()) as any).name).toBe('FETCH_MODE_UNAVAILABLE');
  });
});
