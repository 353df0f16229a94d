// Client job: one consumer reading a partition from one offset to another in
// a given fetch mode, as fast as it can, summing the per-fetch accounting the
// broker sends in the CopylessFetch trailer.

import { Copyless, type FetchAccounting } from '../../client/index.ts';
import { nowMs } from './clock.ts';

/** A consume job that has not finished after this long is stuck (a broker that stopped answering), not slow. */
const CONSUME_JOB_MS_MAX = 180_000;

export interface ConsumeJob {
  address: string;
  topic: string;
  partition: number;
  fetchMode: string;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  fromOffset: number;
  /** Stop once every record before this offset has been delivered ... */
  untilOffset: number;
  /** ... this many times: after each pass the consumer seeks back to fromOffset (default 1). */
  passes?: number;
}

export interface ConsumeJobResult {
  records: number;
  /** Record bytes served (accounting `bytes`: whole stored batches), or value bytes against a non-copyless broker. */
  bytes: number;
  fetches: number;
  startMs: number;
  endMs: number;
  /** Sum of every fetch's accounting (empty against a non-copyless broker). */
  accounting: Record<string, number>;
}

export async function consumeJob(job: ConsumeJob): Promise<ConsumeJobResult> {
  const client = new Copyless({ brokers: [job.address], clientId: 'copyless-bench-consumer' });
  const consumer = client.consumer({
    fetchMode: job.fetchMode,
    maxBytes: job.maxBytes,
    maxBytesPerPartition: job.maxBytesPerPartition,
    maxWaitMs: job.maxWaitMs,
  });
  await consumer.connect();
  try {
    await consumer.assign([{ topic: job.topic, partition: job.partition, offset: job.fromOffset }]);
    const sum: Record<string, number> = {};
    let records = 0;
    let valueBytes = 0;
    let fetches = 0;
    let last: FetchAccounting | undefined;
    const startMs = nowMs();
    let endMs = startMs;
    let passesLeft = job.passes ?? 1;
    if (job.fromOffset >= job.untilOffset) return { records: 0, bytes: 0, fetches: 0, startMs, endMs, accounting: sum };
    let timedOut = false;
    const guard = setTimeout(() => {
      timedOut = true;
      void consumer.stop();
    }, CONSUME_JOB_MS_MAX);
    await consumer.run({
      eachBatch: ({ messages, accounting }) => {
        if (accounting && accounting !== last) {
          last = accounting;
          fetches++;
          for (const [k, v] of Object.entries(accounting)) sum[k] = (sum[k] ?? 0) + v;
        } else if (!accounting) {
          fetches++; // a plain Kafka broker: one partition, so one batch per fetch
        }
        for (const m of messages) {
          if (m.offset >= job.untilOffset) break;
          records++;
          valueBytes += m.value?.length ?? 0;
        }
        const lastOffset = messages[messages.length - 1]?.offset ?? -1;
        if (lastOffset < job.untilOffset - 1) return;
        if (--passesLeft > 0) {
          consumer.seek({ topic: job.topic, partition: job.partition, offset: job.fromOffset });
          return;
        }
        endMs = nowMs();
        void consumer.stop();
      },
    }).finally(() => clearTimeout(guard));
    if (timedOut) throw new Error(`consume of ${job.topic}/${job.partition} did not reach offset ${job.untilOffset} within ${CONSUME_JOB_MS_MAX} ms (${records} records read)`);
    return { records, bytes: sum.bytes ?? valueBytes, fetches, startMs, endMs, accounting: sum };
  } finally {
    await consumer.disconnect();
  }
}
