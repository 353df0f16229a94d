// Proves idempotent producers survive a broker crash, and that transactional producers are refused at once: kcat (librdkafka, enable.idempotence=true) and kafkajs (idempotent: true) keep producing while the broker is SIGKILLed and restarted on the same data dir and port; afterwards every acknowledged record is in the log exactly once, in send order, and nothing appears twice, though batches appended before the crash were retried after it (their retries are answered as duplicates with the original offsets).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/index.ts';
import { startChildBroker, type ChildBroker } from '../../helpers/child-broker.ts';
import { RawClient, startTestBroker, tempDir } from '../../helpers/broker.ts';
import { kcat, kcatFound, kcatSkipReason } from '../../helpers/kcat.ts';

const { Kafka, logLevel } = kafkajs;

let dir: string | null = null;
let broker: ChildBroker | null = null;
afterEach(async () => {
  await broker?.stop('SIGKILL');
  broker = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function logEndOffset(port: number, topic: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.request(ApiKey.ListOffsets, 1, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
    return r.topics[0].partitions[0].errorCode === 0 ? r.topics[0].partitions[0].offset : 0;
  } catch {
    return 0;
  } finally {
    c.close();
  }
}

/** SIGKILL the broker once its log holds at least `offset` records of `topic`, then start it again on the same port. */
async function crashAndRestartAt(topic: string, offset: number): Promise<void> {
  const port = broker!.port;
  while ((await logEndOffset(port, topic)) < offset) await sleep(20);
  await broker!.stop('SIGKILL');
  broker = await startChildBroker(dir!, port);
}

async function readAll(topic: string): Promise<string[]> {
  const c = await kcat(broker!.address, ['-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
  expect(c.status, c.stderr).toBe(0);
  return c.stdout.split('\n').slice(0, -1);
}

describe.skipIf(!kcatFound)(`kcat with enable.idempotence=true${kcatSkipReason}`, () => {
  it('produces through a SIGKILL and restart with no duplicates and no loss', async () => {
    dir = tempDir();
    broker = await startChildBroker(dir);
    const topic = 'idem-kcat';
    const total = 30_000;
    const producer = spawn('kcat', ['-b', broker.address, '-P', '-E', '-t', topic, '-X', 'enable.idempotence=true', '-X', 'linger.ms=1', '-X', 'batch.num.messages=200', '-X', 'reconnect.backoff.max.ms=500', ...(process.env.KCAT_DEBUG ? ['-d', 'eos,msg,protocol,broker'] : [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    producer.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => producer.on('close', resolve));
    const writing = (async () => {
      for (let i = 0; i < total; i += 100) {
        producer.stdin.write(Array.from({ length: 100 }, (_, j) => `m${i + j}`).join('\n') + '\n');
        await sleep(2);
      }
      producer.stdin.end();
    })();
    await crashAndRestartAt(topic, total / 4);
    await writing;
    const status = await Promise.race([exited, sleep(120_000).then(() => 'timeout')]);
    if (process.env.KCAT_DEBUG) fs.writeFileSync('/tmp/kcat-idem.log', stderr);
    expect(status, stderr.slice(-3000)).toBe(0);
    const values = await readAll(topic);
    expect(values.length).toBe(total);
    expect(values).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
  }, 180_000);
});

describe('kafkajs with idempotent: true', () => {
  it('produces through a SIGKILL and restart: every acknowledged record once, in order, and no duplicate', async () => {
    dir = tempDir();
    broker = await startChildBroker(dir);
    const topic = 'idem-kafkajs';
    const kafka = new Kafka({ clientId: 'idem', brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    await producer.connect();
    const acked: string[] = [];
    const batches = 200;
    const sending = (async () => {
      for (let b = 0; b < batches; b++) {
        const messages = Array.from({ length: 50 }, (_, j) => ({ value: `b${b}-${j}` }));
        await producer.send({ topic, acks: -1, messages });
        acked.push(...messages.map((m) => m.value));
      }
    })();
    await crashAndRestartAt(topic, 2000);
    await sending;
    await producer.disconnect();
    const values = await readAll(topic);
    expect(new Set(values).size).toBe(values.length);
    expect(values).toEqual(acked);
  }, 180_000);
});

describe('transactional producers', () => {
  it('are refused at once, by kafkajs and by librdkafka, with the reason', async () => {
    const b = await startTestBroker();
    try {
      const kafka = new Kafka({ clientId: 'txn', brokers: [b.address], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ transactionalId: 'tx', idempotent: true, maxInFlightRequests: 1 });
      const started = Date.now();
      await expect(producer.connect().then(() => producer.transaction())).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(10_000); // refused, not retried until kafkajs gives up (30 s and more)
      await producer.disconnect().catch(() => undefined);
      if (kcatFound) {
        const r = await kcat(b.address, ['-P', '-t', 'txn', '-X', 'transactional.id=tx'], 'a\n');
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain('copyless does not support transactions');
      }
      expect(b.broker.hasTopic('txn') ? b.broker.partitionLog('txn', 0).logEndOffset : 0).toBe(0);
    } finally {
      await b.destroy();
    }
  });
});
