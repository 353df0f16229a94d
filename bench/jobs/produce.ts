// Client job: one producer sending fixed-size records as fast as the SDK's
// batching and backpressure allow, for a duration or a record count.
// Records are sent through `send()` in chunks of about SEND_CHUNK_BYTES with
// a few chunks outstanding, the way an application streaming records would.

import crypto from 'node:crypto';
import { Copyless, type Acks } from '../../client/index.ts';
import { nowMs, sleep } from './clock.ts';

/** Bytes of records per `send()` call: large enough that per-call overhead is small, small enough to pipeline. */
const SEND_CHUNK_BYTES = 128 * 1024;
/** `send()` calls outstanding at once; the producer's own in-flight byte bound applies as well. */
const SENDS_OUTSTANDING_MAX = 16;

export interface ProduceJob {
  address: string;
  topic: string;
  /** Omit to let the partitioner spread records (no key: round robin). */
  partition?: number;
  recordBytes: number;
  acks: Acks;
  lingerMs: number;
  batchBytes: number;
  /** Stop after this long (ms) ... */
  durationMs?: number;
  /** ... or after exactly this many records. */
  records?: number;
  /** Epoch ms to start at, so several producer processes start together. */
  startAtMs?: number;
}

export interface ProduceJobResult {
  records: number;
  valueBytes: number;
  /** The timed span (epoch ms): from the first send to the last acknowledgement; connect and disconnect are outside it. */
  startMs: number;
  endMs: number;
  /** This client process's CPU time over the span. */
  cpu: { userSec: number; systemSec: number };
}

export async function produceJob(job: ProduceJob, emit: (data: unknown) => void): Promise<ProduceJobResult> {
  const client = new Copyless({ brokers: [job.address], clientId: 'copyless-bench-producer' });
  const producer = client.producer({ acks: job.acks, lingerMs: job.lingerMs, batchBytes: job.batchBytes });
  await producer.connect();
  try {
    const value = crypto.randomBytes(job.recordBytes);
    const perChunk = Math.max(1, Math.floor(SEND_CHUNK_BYTES / job.recordBytes));
    const chunk = Array.from({ length: perChunk }, () => (job.partition === undefined ? { value } : { value, partition: job.partition }));
    if (job.startAtMs) await sleep(job.startAtMs - nowMs());
    const cpuStart = process.cpuUsage();
    const startMs = nowMs();
    emit({ span: 'start' });
    const deadline = job.durationMs === undefined ? Infinity : startMs + job.durationMs;
    const limit = job.records ?? Infinity;
    const outstanding = new Set<Promise<unknown>>();
    let sent = 0;
    let lastEmit = startMs;
    while (sent < limit && nowMs() < deadline) {
      const messages = limit - sent >= perChunk ? chunk : chunk.slice(0, limit - sent);
      const p: Promise<unknown> = producer.send({ topic: job.topic, messages }).then(() => outstanding.delete(p));
      outstanding.add(p);
      sent += messages.length;
      if (outstanding.size >= SENDS_OUTSTANDING_MAX) await Promise.race(outstanding);
      if (nowMs() - lastEmit > 250) {
        lastEmit = nowMs();
        emit({ records: sent });
      }
    }
    await Promise.all(outstanding);
    await producer.flush();
    const endMs = nowMs();
    const cpu = process.cpuUsage(cpuStart);
    emit({ span: 'end' });
    return { records: sent, valueBytes: sent * job.recordBytes, startMs, endMs, cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6 } };
  } finally {
    await producer.disconnect();
  }
}
