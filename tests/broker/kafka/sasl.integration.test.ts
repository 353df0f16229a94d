// Proves SASL on the Kafka port: with saslUsers set, a connection that has not
// authenticated gets nothing served (and its produce is not stored); kafkajs,
// kcat (librdkafka) and the copyless SDK authenticate with SASL/PLAIN and
// SCRAM-SHA-256 and then produce and consume; a wrong password is refused with
// SASL_AUTHENTICATION_FAILED; and a broker bound beyond loopback without
// authentication says so at start.

import { spawn, spawnSync } from 'node:child_process';
import kafkajs from 'kafkajs';
import pino from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Copyless, type SaslOptions } from '../../../client/index.ts';
import { startBroker } from '../../../broker/server.ts';
import { ApiKey } from '../../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { RawClient, startTestBroker, tempDir, type TestBroker } from '../../helpers/broker.ts';

const { Kafka, logLevel } = kafkajs;
const USERS = 'alice:alice-secret,bob:b0b:with:colons';
let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker({ saslUsers: USERS });
  await broker.broker.createTopic('secured', { partitions: 1 });
});

afterAll(async () => {
  await broker?.destroy();
});

describe('an unauthenticated connection', () => {
  it('may ask ApiVersions (SASL advertised) but nothing else, and its produce is not stored', async () => {
    const c = await RawClient.connect(broker.port);
    const versions = await c.request(ApiKey.ApiVersions, 2, {});
    const keys = versions.apiKeys.map((k: { apiKey: number }) => k.apiKey);
    expect(keys).toContain(ApiKey.SaslHandshake);
    expect(keys).toContain(ApiKey.SaslAuthenticate);
    const h = c.header(ApiKey.Produce, 7);
    c.send(h, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'secured', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'x' }]) }] }] });
    expect(await c.nextFrame()).toBeNull();
    expect(broker.broker.partitionLog('secured', 0).logEndOffset).toBe(0);
  });

  it('is refused with SASL_AUTHENTICATION_FAILED for a wrong password, then closed', async () => {
    const c = await RawClient.connect(broker.port);
    expect((await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const r = await c.request(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('\u0000alice\u0000wrong') });
    expect(r.errorCode).toBe(58);
    expect(r.errorMessage).toMatch(/Invalid username or password/);
    expect(await c.nextFrame()).toBeNull();
  });

  it('is told which mechanisms exist when it asks for another one', async () => {
    const c = await RawClient.connect(broker.port);
    const r = await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
    expect(r).toEqual({ errorCode: 33, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] });
    expect(await c.nextFrame()).toBeNull();
  });
});

describe.each(['plain', 'scram-sha-256'] as const)('SASL %s', (mechanism) => {
  it('authenticates the copyless SDK, which then produces and consumes', async () => {
    const sasl: SaslOptions = { mechanism, username: 'bob', password: 'b0b:with:colons' };
    const client = new Copyless({ brokers: [broker.address], sasl });
    const producer = client.producer();
    await producer.connect();
    const topic = `sdk-${mechanism}`;
    await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }] });
    await producer.disconnect();
    const consumer = client.consumer();
    await consumer.connect();
    consumer.assign([{ topic, partition: 0, offset: 'earliest' }]);
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ messages }) => {
            for (const m of messages) values.push(m.value!.toString());
            if (values.length >= 2) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(values).toEqual(['one', 'two']);
  });

  it('refuses the SDK with a wrong password', async () => {
    const client = new Copyless({ brokers: [broker.address], sasl: { mechanism, username: 'alice', password: 'nope' }, retry: { retries: 0 } });
    const admin = client.admin();
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toMatchObject({ errorName: 'SASL_AUTHENTICATION_FAILED' });
    await admin.disconnect().catch(() => {});
  });

  it('authenticates kafkajs, which then produces and consumes', async () => {
    const kafka = new Kafka({ clientId: 'sasl-test', brokers: [broker.address], logLevel: logLevel.NOTHING, sasl: { mechanism, username: 'alice', password: 'alice-secret' } as never });
    const topic = `kjs-${mechanism}`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `g-${mechanism}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.length === 2) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(values).toEqual(['a', 'b']);
  });

  it('refuses kafkajs with a wrong password', async () => {
    const kafka = new Kafka({ clientId: 'sasl-bad', brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism, username: 'alice', password: 'nope' } as never });
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toThrow(/SASL|[Aa]uthentication/);
  });
});

const kcatFound = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0;

function kcat(args: string[], input?: string): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('kcat', ['-b', broker.address, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
    child.stdin.end(input ?? '');
  });
}

describe.skipIf(!kcatFound)(`kcat (librdkafka) with SASL${kcatFound ? '' : ' [skipped: kcat is not installed]'}`, () => {
  it.each(['PLAIN', 'SCRAM-SHA-256'])('authenticates with %s, then produces and consumes', async (mechanism) => {
    const auth = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret'];
    const topic = `kcat-${mechanism.toLowerCase()}`;
    const p = await kcat([...auth, '-P', '-t', topic], 'one\ntwo\nthree\n');
    expect(p.status, p.stderr).toBe(0);
    const c = await kcat([...auth, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe('one\ntwo\nthree\n');
  });

  it('fails with a wrong password', async () => {
    const auth = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=nope'];
    const r = await kcat([...auth, '-L', '-m', '3']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/[Aa]uthentication|SASL/);
  });
});

describe('the start-up warning', () => {
  it('names the open Kafka port when the broker binds beyond loopback without saslUsers', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = pino({ level: 'warn' }, sink);
    const dataDir = tempDir();
    const running = await startBroker({ dataDir, host: '0.0.0.0', port: 0, httpPort: -1 }, { logger });
    await running.close();
    expect(lines.join('')).toMatch(/SECURITY: the Kafka port listens on 0\.0\.0\.0 with no authentication/);
  });
});
