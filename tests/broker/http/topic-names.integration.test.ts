// Proves that topic names which could reach outside the data dir ("../x",
// "..", "a/b", "%2e%2e", NUL, ...) are refused on every interface: each HTTP
// route that takes a topic, each WebSocket op, and the Kafka CreateTopics and
// Metadata paths; and that nothing was created anywhere on disk.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/index.ts';
import { ErrorCode } from '../../../src/errors.ts';
import { RawClient, startTestBroker, tempDir, type TestBroker } from '../../helpers/broker.ts';
import { kafkaCreateTopic, rawHttp, WsClient } from './http-helpers.ts';

/** Names as a client means them; the HTTP tests also send each spelling on the wire. */
const BAD_NAMES = ['../x', '..', '.', 'a/b', '..\\x', 'x\u0000y', '/etc', 'a b', 'é', 'x'.repeat(250)];
/** Path segments as they would appear in a URL, percent-encoded or not. */
const BAD_SEGMENTS = ['..%2Fx', '%2e%2e', '%2E%2E', '.', '..', 'a%2Fb', '..%5Cx', 'x%00y', '%2Fetc', 'a%20b', '%C3%A9', 'x'.repeat(250)];

let root: string;
let tb: TestBroker;
let kafka: RawClient;

beforeAll(async () => {
  root = tempDir('copyless-names-');
  tb = await startTestBroker({ httpPort: 0 }, path.join(root, 'data'));
  kafka = await RawClient.connect(tb.port);
});

afterAll(async () => {
  kafka.close();
  await tb.destroy();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Nothing beside the data dir, and nothing in it but the broker's own files. */
function expectNothingCreated(): void {
  expect(fs.readdirSync(root)).toEqual(['data']);
  const entries = fs.readdirSync(tb.dataDir).filter((e) => e !== 'meta' && !e.startsWith('.') && !e.includes('checkpoint'));
  expect(entries).toEqual([]);
  expect(tb.broker.topicNames()).toEqual([]);
}

describe('HTTP', () => {
  it('refuses every bad name on every route, never with a 2xx', async () => {
    const port = tb.httpPort!;
    for (const seg of BAD_SEGMENTS) {
      const attempts = [
        ['GET', `/topics/${seg}`],
        ['DELETE', `/topics/${seg}`],
        ['POST', `/topics/${seg}/records`, '{"records":[{"value":"x"}]}'],
        ['POST', `/topics/${seg}/partitions/0/records`, '{"records":[{"value":"x"}]}'],
        ['GET', `/topics/${seg}/partitions/0/records?offset=0`],
      ] as const;
      for (const [method, url, body] of attempts) {
        const r = await rawHttp(port, method, url, body);
        // 400 INVALID_TOPIC_EXCEPTION when the name reaches a handler; 404 when the path matches no route at all.
        expect([400, 404], `${method} ${url} -> ${r.status} ${r.body}`).toContain(r.status);
        if (r.status === 400) expect(JSON.parse(r.body).name).toBe('INVALID_TOPIC_EXCEPTION');
      }
    }
    for (const name of BAD_NAMES) {
      const create = await rawHttp(port, 'POST', '/topics', JSON.stringify({ name }));
      expect(JSON.parse(create.body).name, name).toBe('INVALID_TOPIC_EXCEPTION');
      const reset = await rawHttp(port, 'POST', '/groups/g/reset-offsets', JSON.stringify({ topic: name, to: 'earliest' }));
      expect(JSON.parse(reset.body).name, name).toBe('INVALID_TOPIC_EXCEPTION');
    }
    expectNothingCreated();
  });
});

describe('WebSocket', () => {
  it('refuses every bad name in subscribe and produce ops', async () => {
    const ws = await WsClient.open(tb.httpPort!);
    try {
      for (const name of BAD_NAMES) {
        ws.send({ op: 'subscribe', id: 1, topic: name, partition: 0 });
        expect(await ws.next()).toMatchObject({ op: 'error', id: 1, name: 'INVALID_TOPIC_EXCEPTION', code: ErrorCode.INVALID_TOPIC_EXCEPTION });
        ws.send({ op: 'produce', id: 2, topic: name, records: [{ value: 'x' }] });
        expect(await ws.next()).toMatchObject({ op: 'error', id: 2, name: 'INVALID_TOPIC_EXCEPTION' });
      }
    } finally {
      ws.close();
    }
    expectNothingCreated();
  });
});

describe('Kafka protocol', () => {
  it('refuses every bad name in CreateTopics and in Metadata auto-creation', async () => {
    for (const name of BAD_NAMES) {
      expect(await kafkaCreateTopic(kafka, name), name).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
      const md = await kafka.request(ApiKey.Metadata, 6, { topics: [{ name }], allowAutoTopicCreation: true });
      expect(md.topics[0].errorCode, name).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    }
    expectNothingCreated();
  });
});
