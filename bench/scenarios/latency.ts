// `latency`: end-to-end latency (producer send to consumer receipt) at fixed
// offered rates, coordinated-omission aware (see jobs/latency.ts): each
// record's latency runs from the moment it was due, so a stall is charged to
// every record it delayed. Producer and consumer share one client process
// (one clock); the broker runs in its own. Like Kafka's end-to-end latency
// test: one partition, acks=1, 100-byte records; lingerMs 0, because a linger
// is latency added on purpose.

import type { LatencyJobResult } from '../jobs/latency.ts';
import type { LoopDelay } from '../loop-delay.ts';
import { measure, type BenchContext, type Scenario } from '../runner.ts';
import { createTopic } from '../sdk.ts';
import type { ScenarioResult } from '../types.ts';
import { cpuFigures, cpuMark, withBroker } from './common.ts';

const RECORD_BYTES = 100;
const LINGER_MS = 0;
const FETCH_MODE = 'sendfile';
/** Long-poll wait: an append wakes the fetch at once, so this only bounds an idle fetch. */
const MAX_WAIT_MS = 500;

function plan(quick: boolean): { rates: number[]; durationMs: number; warmupMs: number } {
  return quick ? { rates: [10_000], durationMs: 2000, warmupMs: 500 } : { rates: [1_000, 10_000, 50_000], durationMs: 6000, warmupMs: 1000 };
}

async function run(ctx: BenchContext, out: ScenarioResult): Promise<void> {
  const p = plan(ctx.quick);
  const [client] = await ctx.clients(1);
  await withBroker(ctx, {}, async (broker) => {
    let topicIndex = 0;
    for (const rate of p.rates) {
      const metrics = await measure(ctx, `${rate} rec/s`, async () => {
        const topic = ctx.topic(`latency-${topicIndex++}`);
        await createTopic(broker.address, topic, 1);
        await Promise.all([broker.loopDelay(true), client.call('loopDelayReset')]);
        const before = cpuMark(broker, [client]);
        const r = await client.call<LatencyJobResult>('latency', {
          address: broker.address,
          topic,
          partition: 0,
          rate,
          durationMs: p.durationMs,
          warmupMs: p.warmupMs,
          recordBytes: RECORD_BYTES,
          acks: 1,
          lingerMs: LINGER_MS,
          fetchMode: FETCH_MODE,
          maxWaitMs: MAX_WAIT_MS,
        });
        const after = cpuMark(broker, [client]);
        const [brokerDelay, clientDelay] = await Promise.all([broker.loopDelay(), client.call<LoopDelay>('loopDelay')]);
        if (r.received < r.sent) ctx.progress.say(`latency ${rate} rec/s: ${r.sent - r.received} of ${r.sent} records not received within the drain time`);
        const { brokerCpuPct, clientCpuPct } = cpuFigures(before, after, 0);
        return {
          latencyMsP50: r.latencyMsP50,
          latencyMsP99: r.latencyMsP99,
          latencyMsP999: r.latencyMsP999,
          latencyMsMax: r.latencyMsMax,
          achievedRate: r.achievedRate,
          lost: r.sent - r.received,
          clientLoopDelayMsMax: clientDelay.maxMs,
          ...(brokerDelay ? { brokerLoopDelayMsMax: brokerDelay.maxMs } : {}),
          ...(brokerCpuPct === undefined ? {} : { brokerCpuPct }),
          ...(clientCpuPct === undefined ? {} : { clientCpuPct }),
        };
      });
      out.cases.push({
        id: `rate=${rate}`,
        label: `${rate.toLocaleString('en-US')} rec/s`,
        params: { rate, recordBytes: RECORD_BYTES, acks: 1, lingerMs: LINGER_MS, fetchMode: FETCH_MODE, maxWaitMs: MAX_WAIT_MS, durationMs: p.durationMs, warmupMs: p.warmupMs, partitions: 1 },
        metrics,
      });
    }
  });
  out.notes.push(
    `Latency is measured from each record's due time (start + i / rate) to its receipt, recorded in an HdrHistogram (hdr-histogram-js, 3 significant digits); the first ${p.warmupMs} ms of each run are not recorded. The percentiles are the median over the repeats. "stall" is the longest event-loop delay of that process during the run (perf_hooks monitorEventLoopDelay): a latency spike with a stall of the same size was a blocked process, not the network.`,
  );
}

export const latencyScenario: Scenario = {
  name: 'latency',
  title: 'End-to-end latency at fixed offered rates (coordinated-omission aware)',
  columns: [
    { key: 'latencyMsP50', label: 'p50', unit: 'ms' },
    { key: 'latencyMsP99', label: 'p99', unit: 'ms' },
    { key: 'latencyMsP999', label: 'p99.9', unit: 'ms' },
    { key: 'latencyMsMax', label: 'max', unit: 'ms' },
    { key: 'achievedRate', label: 'sent', unit: 'rec/s' },
    { key: 'brokerLoopDelayMsMax', label: 'broker stall', unit: 'ms' },
    { key: 'clientLoopDelayMsMax', label: 'client stall', unit: 'ms' },
    { key: 'brokerCpuPct', label: 'broker CPU', unit: '%' },
    { key: 'clientCpuPct', label: 'client CPU', unit: '%' },
  ],
  steps: (ctx) => plan(ctx.quick).rates.length * ctx.repeats,
  run,
};
