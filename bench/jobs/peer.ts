// Client job for `defaults`: the workload copyless was compared with its peers
// on (RabbitMQ Streams, NATS JetStream, Redis Streams), every client with its
// default settings. One producer sends windows of 1,000 messages, each window
// one send() call awaited until every message is acknowledged; then one
// consumer reads every message back from the start, one eachMessage call per
// message, as an application that sets nothing would. Only acks is set, to 1:
// the peers acknowledge once a write reached the OS, not after an fsync, and
// the SDK's default (acks=all) waits for one (see the scenario's note).

import crypto from 'node:crypto';
import { Copyless, type ConsumerOptions, type ProducerOptions } from '../../client/index.ts';
import { nowMs } from './clock.ts';
import type { SpanEvent } from './consume-job.ts';

/** The window of the peer comparison: messages sent before waiting for their acknowledgements. */
export const PEER_WINDOW_MESSAGES = 1000;
/** A phase that has not finished after this long is stuck, not slow. */
const PEER_PHASE_MS_MAX = 180_000;

export interface PeerJob {
  address: string;
  topic: string;
  recordBytes: number;
  records: number;
  /** Settings on top of the SDK defaults: the scenario sets acks only; other keys are for A/B runs of candidate defaults. */
  producer?: ProducerOptions;
  consumer?: ConsumerOptions;
}

export interface PeerPhase {
  records: number;
  valueBytes: number;
  startMs: number;
  endMs: number;
  cpu: { userSec: number; systemSec: number };
}

/** Times `fn` and this process's CPU over it, emitting the span's start and end. */
async function phase<T>(emit: (e: SpanEvent) => void, fn: (end: () => void) => Promise<T>): Promise<{ value: T; startMs: number; endMs: number; cpu: PeerPhase['cpu'] }> {
  const cpuStart = process.cpuUsage();
  const startMs = nowMs();
  let endMs = 0;
  let cpu = { user: 0, system: 0 };
  const end = () => {
    if (endMs !== 0) return;
    endMs = nowMs();
    cpu = process.cpuUsage(cpuStart);
    emit({ span: 'end' });
  };
  emit({ span: 'start' });
  const value = await fn(end);
  end();
  return { value, startMs, endMs, cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6 } };
}

/** Sends `records` in windows of PEER_WINDOW_MESSAGES, each one send() awaited until acknowledged. */
export async function peerProduceJob(job: PeerJob, emit: (e: SpanEvent) => void = () => {}): Promise<PeerPhase> {
  const client = new Copyless({ brokers: [job.address], clientId: 'copyless-bench-peer-producer' });
  const producer = client.producer({ acks: 1, ...job.producer });
  await producer.connect();
  try {
    // Distinct values per window position (incompressible, as the peers' payloads were random bytes).
    const values = Array.from({ length: PEER_WINDOW_MESSAGES }, () => crypto.randomBytes(job.recordBytes));
    const window = values.map((value) => ({ value }));
    const deadline = nowMs() + PEER_PHASE_MS_MAX;
    const p = await phase(emit, async () => {
      let sent = 0;
      while (sent < job.records) {
        if (nowMs() > deadline) throw new Error(`peer produce: ${sent} of ${job.records} records after ${PEER_PHASE_MS_MAX} ms`);
        const messages = job.records - sent >= window.length ? window : window.slice(0, job.records - sent);
        await producer.send({ topic: job.topic, messages });
        sent += messages.length;
      }
      return sent;
    });
    return { records: p.value, valueBytes: p.value * job.recordBytes, startMs: p.startMs, endMs: p.endMs, cpu: p.cpu };
  } finally {
    await producer.disconnect();
  }
}

/** Reads the partition from its start until `records` messages were handed to eachMessage. */
export async function peerConsumeJob(job: PeerJob, emit: (e: SpanEvent) => void = () => {}): Promise<PeerPhase> {
  const client = new Copyless({ brokers: [job.address], clientId: 'copyless-bench-peer-consumer' });
  const consumer = client.consumer(job.consumer ?? {});
  await consumer.connect();
  try {
    await consumer.assign([{ topic: job.topic, partition: 0, offset: 'earliest' }]);
    let records = 0;
    let valueBytes = 0;
    let timedOut = false;
    const p = await phase(emit, async (end) => {
      const guard = setTimeout(() => {
        timedOut = true;
        void consumer.stop();
      }, PEER_PHASE_MS_MAX);
      await consumer
        .run({
          eachMessage: ({ message }) => {
            records++;
            valueBytes += message.value?.length ?? 0;
            if (records < job.records) return;
            end();
            void consumer.stop();
          },
        })
        .finally(() => clearTimeout(guard));
    });
    if (timedOut) throw new Error(`peer consume: ${records} of ${job.records} records after ${PEER_PHASE_MS_MAX} ms`);
    return { records, valueBytes, startMs: p.startMs, endMs: p.endMs, cpu: p.cpu };
  } finally {
    await consumer.disconnect();
  }
}

