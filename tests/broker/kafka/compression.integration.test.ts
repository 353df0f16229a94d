// Proves every Kafka codec end to end: kcat (librdkafka) stores gzip, snappy,
// lz4 and zstd batches compressed (well under the raw size) and `copyless
// consume`, the HTTP JSON fetch and a WebSocket subscriber read them back;
// kcat reads what the SDK producer and `copyless produce --compression` wrote
// with each codec; kafkajs with snappy, lz4 and zstd codecs round-trips; ListOffsets by time is exact inside
// a compressed batch for kafkajs and kcat; and a batch that cannot be decoded
// is reported alone, after the records before it, by every reader.

import fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../client/cli/main.ts';
import type { CliIo } from '../../../client/cli/io.ts';
import { Copyless } from '../../../client/index.ts';
import { COMPRESSION_NAMES, encodeRecordBatch, readBatchHeader } from '../../../src/record/index.ts';
import { RawClient } from '../../helpers/broker.ts';
import { kcat as runKcat, kcatFound, kcatSkipReason } from '../../helpers/kcat.ts';
import { KAFKAJS_CODEC, registerKafkajsCodecs } from '../../helpers/kafkajs-codecs.ts';
import { kafkaCreateTopic, kafkaProduce, startOwnedHttp, WsClient, type OwnedHttpBroker } from '../http/http-helpers.ts';

const { Kafka, logLevel } = kafkajs;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

let b: OwnedHttpBroker;
const address = () => `127.0.0.1:${b.tb.port}`;
const kcat = (args: string[], input?: string) => runKcat(address(), args, input);

beforeAll(async () => {
  registerKafkajsCodecs();
  b = await startOwnedHttp({}, { ws: { fetchWaitMs: 100 } });
});
afterAll(async () => {
  await b.destroy();
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdin: Readable.from(stdin ? [Buffer.from(stdin)] : []), stdout, stderr, stderrIsTTY: false };
  const code = await main([...args, '--broker', address()], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Every stored batch of partition 0: codec and size, read from the segment file (never decoded). */
function storedBatches(topic: string): Array<{ compression: string; totalBytes: number }> {
  const log = b.tb.broker.partitionLog(topic, 0);
  const out = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const slice = log.read(offset, 0, { minOneBatch: true })!;
    const header = Buffer.alloc(61);
    fs.readSync(slice.fd, header, 0, 61, slice.position);
    slice.release();
    const h = readBatchHeader(header);
    out.push({ compression: h.compression, totalBytes: h.totalBytes });
    offset = h.lastOffset + 1;
  }
  return out;
}

async function httpRecords(topic: string, count: number): Promise<string[]> {
  const values: string[] = [];
  let offset = 0;
  while (values.length < count) {
    const r = await fetch(`${b.base}/topics/${topic}/partitions/0/records?offset=${offset}`);
    const body = (await r.json()) as { records: Array<{ value: string }>; nextOffset: number };
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(body.records.length).toBeGreaterThan(0);
    values.push(...body.records.map((x) => x.value));
    offset = body.nextOffset;
  }
  return values;
}

async function wsRecords(topic: string, count: number): Promise<string[]> {
  const ws = await WsClient.open(b.http.port);
  try {
    ws.send({ op: 'subscribe', id: 's', topic, partition: 0, offset: 'earliest' });
    expect(await ws.next()).toMatchObject({ op: 'subscribed' });
    const values: string[] = [];
    while (values.length < count) {
      const m = await ws.next();
      expect(m.op, JSON.stringify(m)).toBe('record');
      values.push(m.value);
    }
    return values;
  } finally {
    ws.close();
  }
}

const lines = Array.from({ length: 2000 }, (_, i) => `repetitive value ${i % 10} `.repeat(8) + i);
const rawBytes = Buffer.byteLength(lines.join('\n'));

describe.skipIf(!kcatFound)(`kcat (librdkafka) -z${kcatSkipReason}`, () => {
  it.each(CODECS)('stores %s batches compressed, and the CLI, HTTP and WebSocket read them back', async (codec) => {
    const topic = `kcat-${codec}`;
    const p = await kcat(['-P', '-t', topic, '-z', codec], lines.join('\n') + '\n');
    expect(p.status, p.stderr).toBe(0);
    const batches = storedBatches(topic);
    expect(new Set(batches.map((x) => x.compression))).toEqual(new Set([codec]));
    const stored = batches.reduce((n, x) => n + x.totalBytes, 0);
    expect(stored).toBeLessThan(rawBytes / 4);

    const consumed = await cli(['consume', topic, '--from-beginning', '--exit-at-end']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toBe(lines.join('\n') + '\n');
    expect(await httpRecords(topic, lines.length)).toEqual(lines);
    expect(await wsRecords(topic, lines.length)).toEqual(lines);
  });

  it.each(COMPRESSION_NAMES)('reads what the SDK producer compressed with %s', async (codec) => {
    const topic = `sdk-${codec}`;
    const client = new Copyless({ brokers: [address()] });
    const producer = client.producer({ compression: codec, lingerMs: 20 });
    await producer.send({ topic, messages: lines.slice(0, 500).map((value) => ({ value })) });
    await producer.disconnect();
    const batches = storedBatches(topic);
    expect(batches.every((x) => x.compression === codec)).toBe(true);
    const c = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe(lines.slice(0, 500).join('\n') + '\n');
  });

  it.each(CODECS)('reads what `copyless produce --compression %s` stored', async (codec) => {
    const topic = `cli-${codec}`;
    const p = await cli(['produce', topic, '--compression', codec], lines.slice(0, 300).join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    expect(new Set(storedBatches(topic).map((x) => x.compression))).toEqual(new Set([codec]));
    const c = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
    expect(c.stdout).toBe(lines.slice(0, 300).join('\n') + '\n');
  });

  it('finds the first record at or after a time inside a compressed batch (kcat -o s@ts)', async () => {
    const topic = 'kcat-times';
    const producer = new Copyless({ brokers: [address()] }).producer({ compression: 'lz4', lingerMs: 20 });
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `r${i}`, timestamp: 1_700_000_000_000 + i * 1000 })) });
    await producer.disconnect();
    expect(storedBatches(topic)).toHaveLength(1);
    const c = await kcat(['-C', '-t', topic, '-o', `s@${1_700_000_000_000 + 5000}`, '-c', '1', '-e', '-q', '-f', '%o %s\n']);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe('5 r5\n');
  });
});

describe('kafkajs with snappy, lz4 and zstd codecs', () => {
  it.each(['snappy', 'lz4', 'zstd'] as const)('round-trips %s and finds records by time inside the batch', async (codec) => {
    const topic = `kafkajs-${codec}`;
    const kafka = new Kafka({ clientId: 'kafkajs-codecs', brokers: [address()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const base = 1_700_000_100_000;
    const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `value ${i} `.repeat(20), timestamp: String(base + i * 10) }));
    await producer.send({ topic, compression: KAFKAJS_CODEC[codec], messages });
    await producer.disconnect();
    expect(storedBatches(topic)).toEqual([expect.objectContaining({ compression: codec })]);

    const admin = kafka.admin();
    await admin.connect();
    const [at6] = await admin.fetchTopicOffsetsByTimestamp(topic, base + 50);
    const [between] = await admin.fetchTopicOffsetsByTimestamp(topic, base + 51);
    await admin.disconnect();
    expect(at6).toMatchObject({ partition: 0, offset: '5' });
    expect(between).toMatchObject({ partition: 0, offset: '6' });

    const consumer = kafka.consumer({ groupId: `g-${codec}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length === messages.length) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    expect(got).toEqual(messages.map((m) => m.value));

    const ours = new Copyless({ brokers: [address()] }).consumer({ maxWaitMs: 100 });
    await ours.connect();
    await ours.assign([{ topic, offset: 'earliest' }]);
    const read: string[] = [];
    for await (const m of ours.messages()) {
      read.push(m.value!.toString());
      if (read.length === messages.length) break;
    }
    await ours.disconnect();
    expect(read).toEqual(messages.map((m) => m.value));
  });
});

describe('a batch that cannot be decoded', () => {
  let raw: RawClient;
  const topic = 'undecodable';

  beforeAll(async () => {
    raw = await RawClient.connect(b.tb.port);
    expect(await kafkaCreateTopic(raw, topic)).toBe(0);
    await kafkaProduce(raw, topic, 0, ['a0', 'a1', 'a2']);
    // Claims zstd, holds no zstd frame: stored as sent (the broker does not inflate it), unreadable by any client.
    const bad = encodeRecordBatch([{ value: 'b0' }, { value: 'b1' }], { compression: 'none' });
    bad.writeInt16BE(4, 21);
    const { crc32c } = await import('@node-rs/crc32');
    bad.writeUInt32BE(crc32c(bad.subarray(21)) >>> 0, 17);
    const r = await raw.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: bad }] }] });
    expect(r.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3 });
    await kafkaProduce(raw, topic, 0, ['c0']);
  });
  afterAll(() => raw.close());

  it('is reported by the CLI after the records before it, naming its offsets', async () => {
    const r = await cli(['consume', topic, '--from-beginning', '--exit-at-end']);
    expect(r.stdout).toBe('a0\na1\na2\n');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/offsets 3\.\.4 cannot be decoded/);
  });

  it('is reported by the HTTP fetch once the records before it were answered', async () => {
    const first = await fetch(`${b.base}/topics/${topic}/partitions/0/records?offset=0`);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { records: Array<{ value: string }>; nextOffset: number };
    expect(body.records.map((x) => x.value)).toEqual(['a0', 'a1', 'a2']);
    expect(body.nextOffset).toBe(3);
    const next = await fetch(`${b.base}/topics/${topic}/partitions/0/records?offset=3`);
    const err = (await next.json()) as { name: string; message: string };
    expect(next.status).toBe(400);
    expect(err).toMatchObject({ name: 'CORRUPT_MESSAGE', message: expect.stringMatching(/offsets 3\.\.4/) });
  });

  it('ends a WebSocket subscription after the records before it', async () => {
    const ws = await WsClient.open(b.http.port);
    ws.send({ op: 'subscribe', id: 's', topic, partition: 0, offset: 'earliest' });
    expect(await ws.next()).toMatchObject({ op: 'subscribed' });
    const values = [];
    for (let i = 0; i < 3; i++) values.push((await ws.next()).value);
    expect(values).toEqual(['a0', 'a1', 'a2']);
    expect(await ws.next()).toMatchObject({ op: 'error', name: 'CORRUPT_MESSAGE', partition: 0, message: expect.stringMatching(/offsets 3\.\.4/) });
    ws.close();
  });
});
