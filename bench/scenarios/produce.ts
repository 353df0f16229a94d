// `produce`: producer throughput against one broker, after Kafka's classic
// single-node benchmark ("one producer, no replication, 100-byte records").
// Cases: one producer at acks 0, 1 and all, and N producers (one client
// process each, one partition each) at acks=1, over record sizes 100 B,
// 1 KiB and 64 KiB. Each producer runs in its own client process with the
// SDK defaults a user gets: batches of PRODUCER_BATCH_BYTES_DEFAULT, linger
// PRODUCER_LINGER_MS_DEFAULT. acks=all on one broker means "the batch is
// fdatasync'ed" (see the fsync label of the run).

import type { Acks } from '../../client/index.ts';
import { PRODUCER_BATCH_BYTES_DEFAULT, PRODUCER_LINGER_MS_DEFAULT } from '../../src/limits.ts';
import type { ProduceJobResult } from '../jobs/produce.ts';
import { nowMs } from '../jobs/clock.ts';
import { measure, type BenchContext, type Scenario } from '../runner.ts';
import { durabilityDelta, durabilityOf } from '../broker-stats.ts';
import { createTopic, deleteTopic } from '../sdk.ts';
import type { ScenarioResult } from '../types.ts';
import { KiB, produce, sizeLabel, spanCpuFigures, spanned, withBroker } from './common.ts';

/** Producers of the multi-producer cases: one per core of a 2-core machine; more would only time-slice. */
const PRODUCERS_N = 2;
/** Lead time for N producer processes to receive their job before the common start. */
const START_LEAD_MS = 300;

interface ProduceCase {
  producers: number;
  acks: Acks;
  recordBytes: number;
}

function cases(quick: boolean): ProduceCase[] {
  const sizes = quick ? [100, 64 * KiB] : [100, 1 * KiB, 64 * KiB];
  const out: ProduceCase[] = [];
  for (const recordBytes of sizes) for (const acks of [0, 1, -1] as Acks[]) out.push({ producers: 1, acks, recordBytes });
  for (const recordBytes of quick ? [100] : sizes) out.push({ producers: PRODUCERS_N, acks: 1, recordBytes });
  return out;
}

const acksLabel = (a: Acks) => (a === -1 || a === 'all' ? 'all' : String(a));

async function run(ctx: BenchContext, out: ScenarioResult): Promise<void> {
  const durationMs = ctx.quick ? 500 : 3000;
  const clients = await ctx.clients(PRODUCERS_N);
  await withBroker(ctx, {}, async (broker) => {
    let topicIndex = 0;
    for (const c of cases(ctx.quick)) {
      const id = `${c.producers}p/acks=${acksLabel(c.acks)}/${sizeLabel(c.recordBytes)}`;
      const metrics = await measure(ctx, id, async () => {
        const topic = ctx.topic(`produce-${topicIndex++}`);
        await createTopic(broker.address, topic, c.producers);
        const used = clients.slice(0, c.producers);
        const durabilityBefore = durabilityOf(await broker.stats().catch(() => null));
        const startAtMs = nowMs() + START_LEAD_MS;
        const { results, cpu } = await spanned(
          broker,
          used.map((client, partition) => (onEvent) =>
            produce(client, {
              address: broker.address,
              topic,
              partition,
              recordBytes: c.recordBytes,
              acks: c.acks,
              lingerMs: PRODUCER_LINGER_MS_DEFAULT,
              batchBytes: PRODUCER_BATCH_BYTES_DEFAULT,
              durationMs,
              startAtMs,
            }, onEvent),
          ),
        );
        // Before the topic is deleted: a delete may close (and fsync) its segments.
        const durability = durabilityDelta(durabilityBefore, durabilityOf(await broker.stats().catch(() => null)));
        await deleteTopic(broker.address, topic); // keeps the run's disk use to one case's log
        const figures = rates(results);
        return { ...figures, ...(durability ? { fsyncs: durability.fsyncs } : {}), ...spanCpuFigures(cpu, sum(results, 'valueBytes'), figures.spanSec) };
      });
      out.cases.push({
        id,
        label: `${c.producers} producer${c.producers > 1 ? 's' : ''}, acks=${acksLabel(c.acks)}, ${sizeLabel(c.recordBytes)}`,
        params: {
          producers: c.producers,
          acks: c.acks === -1 ? -1 : Number(c.acks),
          recordBytes: c.recordBytes,
          batchBytes: PRODUCER_BATCH_BYTES_DEFAULT,
          lingerMs: PRODUCER_LINGER_MS_DEFAULT,
          durationMs,
          partitions: c.producers,
          compression: 'none',
        },
        metrics,
      });
    }
  });
  out.notes.push(
    `Each producer is a separate client process using the SDK with batchBytes=${PRODUCER_BATCH_BYTES_DEFAULT / KiB} KiB and lingerMs=${PRODUCER_LINGER_MS_DEFAULT}; ${PRODUCERS_N}-producer cases write one partition each. Throughput counts value bytes; acks=0 counts records written to the socket. fsyncs: the real fdatasync calls the broker counted during the case (its stats), n/a ("-") when it does not count them.`,
  );
}

function sum(results: ProduceJobResult[], key: 'records' | 'valueBytes'): number {
  return results.reduce((a, r) => a + r[key], 0);
}

/** Aggregate rate: all records over the span from the first start to the last acknowledgement. */
function rates(results: ProduceJobResult[]): Record<string, number> {
  const seconds = (Math.max(...results.map((r) => r.endMs)) - Math.min(...results.map((r) => r.startMs))) / 1000;
  return { recordsPerSec: sum(results, 'records') / seconds, bytesPerSec: sum(results, 'valueBytes') / seconds, spanSec: seconds };
}

export const produceScenario: Scenario = {
  name: 'produce',
  title: 'Producer throughput: 1 and N producers, acks 0/1/all, 100 B to 64 KiB records',
  columns: [
    { key: 'recordsPerSec', label: 'records/s', unit: 'rec/s' },
    { key: 'bytesPerSec', label: 'throughput', unit: 'B/s' },
    { key: 'pctLoopback', label: '% of loopback', unit: '%' },
    { key: 'brokerCpuSecPerGiB', label: 'broker CPU/GiB', unit: 's/GiB' },
    { key: 'brokerCpuPct', label: 'broker CPU', unit: '%' },
    { key: 'clientCpuPct', label: 'client CPU', unit: '%' },
    { key: 'fsyncs', label: 'fsyncs', unit: 'count' },
  ],
  steps: (ctx) => cases(ctx.quick).length * ctx.repeats,
  run,
};
