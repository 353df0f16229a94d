// Client job: end-to-end latency at a fixed offered rate, coordinated-omission
// aware. Record i is *due* at start + i / rate; its value carries that due
// time, and latency is measured from it to the moment the consumer (in this
// same process, so on the same clock) receives the record. A producer that
// stalls therefore shows its stall as latency for every record that should
// have gone out meanwhile, instead of quietly sending fewer records
// (Gil Tene's "coordinated omission"). Latencies go into an HdrHistogram.

import * as hdr from 'hdr-histogram-js';
import { Copyless, type Acks } from '../../client/index.ts';
import { sleep } from './clock.ts';

/** Latencies are recorded in microseconds; 60 s is far beyond anything a healthy run sees. */
const LATENCY_US_MAX = 60_000_000;
/** The send loop's timer period: records due since the last tick go out together. */
const TICK_MS = 1;
/** How long to wait for the last records after the final send before counting the rest as lost. */
const DRAIN_MS_MAX = 5_000;

export interface LatencyJob {
  address: string;
  topic: string;
  partition: number;
  /** Offered load, records per second. */
  rate: number;
  durationMs: number;
  /** Records due in the first warmupMs are sent but not recorded (connections, JIT, first segment pages). */
  warmupMs: number;
  recordBytes: number;
  acks: Acks;
  lingerMs: number;
  fetchMode: string;
  maxWaitMs: number;
}

export interface LatencyJobResult {
  sent: number;
  received: number;
  recorded: number;
  latencyMsP50: number;
  latencyMsP99: number;
  latencyMsP999: number;
  latencyMsMax: number;
  latencyMsMean: number;
  /** Records sent per second over the measured period (the offered rate, if the producer kept up). */
  achievedRate: number;
}

export async function latencyJob(job: LatencyJob): Promise<LatencyJobResult> {
  const client = new Copyless({ brokers: [job.address], clientId: 'copyless-bench-latency' });
  const producer = client.producer({ acks: job.acks, lingerMs: job.lingerMs });
  const consumer = client.consumer({ fetchMode: job.fetchMode, maxWaitMs: job.maxWaitMs });
  await Promise.all([producer.connect(), consumer.connect()]);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_US_MAX, numberOfSignificantValueDigits: 3 });
  try {
    await consumer.assign([{ topic: job.topic, partition: job.partition, offset: 'latest' }]);
    const total = Math.max(1, Math.round((job.rate * job.durationMs) / 1000));
    const start = performance.now() + 100;
    const recordFrom = start + job.warmupMs;
    let received = 0;
    let recorded = 0;
    let allReceived: () => void = () => {};
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    const running = consumer.run({
      eachBatch: ({ messages }) => {
        const now = performance.now();
        for (const m of messages) {
          const due = m.value?.readDoubleLE(0) ?? now;
          received++;
          if (due >= recordFrom) {
            histogram.recordValue(Math.max(1, Math.round((now - due) * 1000)));
            recorded++;
          }
        }
        if (received >= total) allReceived();
      },
    });
    const { sent, lastSendAt } = await sendAtRate(producer, job, start, total);
    await Promise.race([done, sleep(DRAIN_MS_MAX)]);
    await consumer.stop();
    await running;
    const seconds = (lastSendAt - start) / 1000;
    return {
      sent,
      received,
      recorded,
      latencyMsP50: histogram.getValueAtPercentile(50) / 1000,
      latencyMsP99: histogram.getValueAtPercentile(99) / 1000,
      latencyMsP999: histogram.getValueAtPercentile(99.9) / 1000,
      latencyMsMax: histogram.maxValue / 1000,
      latencyMsMean: histogram.mean / 1000,
      achievedRate: seconds > 0 ? sent / seconds : 0,
    };
  } finally {
    histogram.destroy();
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
  }
}

/** Send record i at start + i / rate, stamped with that due time; resolves once all are acknowledged. */
async function sendAtRate(
  producer: ReturnType<Copyless['producer']>,
  job: LatencyJob,
  start: number,
  total: number,
): Promise<{ sent: number; lastSendAt: number }> {
  const intervalMs = 1000 / job.rate;
  const pending = new Set<Promise<unknown>>();
  let failure: unknown = null;
  let i = 0;
  let lastSendAt = start;
  await sleep(start - performance.now());
  while (i < total && failure === null) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    if (due > i) {
      const messages = [];
      for (; i < due; i++) {
        const value = Buffer.alloc(job.recordBytes);
        value.writeDoubleLE(start + i * intervalMs, 0);
        messages.push({ value, partition: job.partition });
      }
      const p: Promise<unknown> = producer.send({ topic: job.topic, messages }).then(
        () => pending.delete(p),
        (e: unknown) => (failure = e),
      );
      pending.add(p);
      lastSendAt = performance.now();
    }
    await sleep(TICK_MS);
  }
  await Promise.all(pending);
  if (failure !== null) throw failure;
  return { sent: i, lastSendAt };
}
