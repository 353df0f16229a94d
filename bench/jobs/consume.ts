// Client job: one consumer reading a partition from one offset to another in
// a given fetch mode, as fast as it can, summing the per-fetch accounting the
// broker sends in the CopylessFetch trailer. Two readers: the SDK consumer
// (decodes every record, as an application would) and the wire consumer
// (wire-consume.ts: CRC-checks and counts whole batches, decodes nothing).
//
// What counts: whole batches the client received, each once per pass, never
// the broker's bytes (a response cut at maxBytes ends in a partial batch that
// the client drops and fetches again). The timed span starts after connect
// and assign and ends at the last record, and the job emits a SpanEvent at
// each end so the runner reads the broker's CPU over the same span; the
// client's own CPU over the span is measured here (process.cpuUsage).

import { Copyless, type FetchAccounting } from '../../client/index.ts';
import { nowMs } from './clock.ts';
import type { ConsumeJob, ConsumeJobResult, SpanEvent } from './consume-job.ts';
import { wireConsumeJob } from './wire-consume.ts';

/** A consume job that has not finished after this long is stuck (a broker that stopped answering), not slow. */
const CONSUME_JOB_MS_MAX = 180_000;

export function consumeJob(job: ConsumeJob, emit: (e: SpanEvent) => void = () => {}): Promise<ConsumeJobResult> {
  return job.reader === 'wire' ? wireConsumeJob(job, emit) : sdkConsumeJob(job, emit);
}

/** Counts what one consumer handler call delivered; the SDK's batches are whole batches. */
export class ConsumeTally {
  records = 0;
  bytes = 0;
  /** Value bytes of the records counted (what an application reading values sees). */
  valueBytes = 0;
  fetches = 0;
  readonly accounting: Record<string, number> = {};
  private lastAccounting: FetchAccounting | undefined;

  constructor(private readonly untilOffset: number) {}

  /** One eachBatch call; returns the offset of its last message (-1 when empty). */
  add(b: { messages: { offset: number; value: Buffer | null }[]; batchBytes: number; accounting: FetchAccounting | undefined }): number {
    if (b.accounting && b.accounting !== this.lastAccounting) {
      this.lastAccounting = b.accounting;
      this.fetches++;
      for (const [k, v] of Object.entries(b.accounting)) this.accounting[k] = (this.accounting[k] ?? 0) + v;
    } else if (!b.accounting) {
      this.fetches++; // a plain Kafka broker: one partition, so one batch per fetch
    }
    const messages = b.messages;
    let n = 0;
    // Touches every value, as an application would (the SDK may decode lazily).
    for (; n < messages.length && messages[n].offset < this.untilOffset; n++) this.valueBytes += messages[n].value?.length ?? 0;
    this.records += n;
    if (n > 0) this.bytes += b.batchBytes;
    return messages.length > 0 ? messages[messages.length - 1].offset : -1;
  }
}

async function sdkConsumeJob(job: ConsumeJob, emit: (e: SpanEvent) => void): Promise<ConsumeJobResult> {
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
    const tally = new ConsumeTally(job.untilOffset);
    let passesLeft = job.passes ?? 1;
    const cpuStart = process.cpuUsage();
    const startMs = nowMs();
    let endMs = startMs;
    let cpu = { user: 0, system: 0 };
    emit({ span: 'start' });
    const finish = () => {
      endMs = nowMs();
      cpu = process.cpuUsage(cpuStart);
      emit({ span: 'end' });
    };
    if (job.fromOffset >= job.untilOffset) finish();
    else {
      let timedOut = false;
      const guard = setTimeout(() => {
        timedOut = true;
        void consumer.stop();
      }, CONSUME_JOB_MS_MAX);
      await consumer
        .run({
          eachBatch: (batch) => {
            const lastOffset = tally.add(batch);
            if (lastOffset < job.untilOffset - 1) return;
            if (--passesLeft > 0 || nowMs() - startMs < (job.minSpanMs ?? 0)) {
              consumer.seek({ topic: job.topic, partition: job.partition, offset: job.fromOffset });
              return;
            }
            finish();
            void consumer.stop();
          },
        })
        .finally(() => clearTimeout(guard));
      if (timedOut) throw new Error(`consume of ${job.topic}/${job.partition} did not reach offset ${job.untilOffset} within ${CONSUME_JOB_MS_MAX} ms (${tally.records} records read)`);
    }
    return {
      records: tally.records,
      bytes: tally.bytes,
      fetches: tally.fetches,
      startMs,
      endMs,
      cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6 },
      accounting: tally.accounting,
    };
  } finally {
    await consumer.disconnect();
  }
}
