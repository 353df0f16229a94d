// `responsiveness`: does one heavy producer hold up everyone else? While
// `copyless produce` sends 300 MB of 8 KiB records at acks=1 into a fresh
// broker (the CLI exactly as a user runs it, in a process of its own), a
// second connection sends a small ApiVersions request every few milliseconds
// (jobs/ping.ts) and records each round trip. ApiVersions does no storage
// work, so its round trip is how long the broker's event loop kept a waiting
// client waiting: synchronous fsyncs, segment rolls, bulk reads, long runs of
// produce requests without a yield and GC pauses all show up here.
//
// Run with a 64 MiB simulated page cache (write-back and reclaim busy all the
// time) and with 2 GiB (no reclaim, no throttling). The broker's own event
// loop delay (perf_hooks) and the real fdatasync calls it made (stats
// `durability`) are reported next to the round trips.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BrokerHandle } from '../broker-handle.ts';
import type { PingJobResult } from '../jobs/ping.ts';
import { measure, type BenchContext, type Scenario } from '../runner.ts';
import { createTopic, withAdmin } from '../sdk.ts';
import type { ScenarioResult } from '../types.ts';
import { withBroker } from './common.ts';

const CLI_ENTRY = fileURLToPath(new URL('../../bin/copyless.js', import.meta.url));
const RECORD_BYTES = 8192;
const PAGE_CACHE_MB = [64, 2048] as const;
/** One ApiVersions request this often: 200 a second, next to nothing for the broker. */
const PING_INTERVAL_MS = 5;
/** The CLI run may take this long before the scenario gives up on it. */
const PRODUCE_MS_MAX = 300_000;

function plan(quick: boolean): { records: number } {
  // 40,000 x 8 KiB = 328 MB, the workload; quick runs a quarter of it.
  return { records: quick ? 10_000 : 40_000 };
}

async function run(ctx: BenchContext, out: ScenarioResult): Promise<void> {
  const p = plan(ctx.quick);
  const [pinger] = await ctx.clients(1);
  let topicIndex = 0;
  for (const pageCacheMb of PAGE_CACHE_MB) {
    const metrics = await measure(ctx, `page cache ${pageCacheMb} MiB`, () =>
      withBroker(ctx, { pageCacheMb }, async (broker) => {
        const topic = ctx.topic(`responsiveness-${topicIndex++}`);
        await createTopic(broker.address, topic, 1);
        const before = await durability(broker);
        await broker.loopDelay(true);
        await pinger.call('pingStart', { address: broker.address, intervalMs: PING_INTERVAL_MS });
        let produced: { seconds: number };
        let ping: PingJobResult;
        try {
          produced = await produceWithCli(broker.address, topic, p.records);
        } finally {
          ping = await pinger.call<PingJobResult>('pingStop');
        }
        const brokerDelay = await broker.loopDelay();
        const after = await durability(broker);
        return {
          roundTripMsP50: ping.roundTripMsP50,
          roundTripMsP99: ping.roundTripMsP99,
          roundTripMsP999: ping.roundTripMsP999,
          roundTripMsMax: ping.roundTripMsMax,
          pings: ping.answered,
          produceBytesPerSec: (p.records * RECORD_BYTES) / produced.seconds,
          ...(brokerDelay ? { brokerLoopDelayMsMax: brokerDelay.maxMs } : {}),
          ...(before && after ? { fsyncs: after.fsyncs - before.fsyncs } : {}),
        };
      }),
    );
    out.cases.push({
      id: `pageCacheMb=${pageCacheMb}`,
      label: `page cache ${pageCacheMb} MiB`,
      params: { pageCacheMb, records: p.records, recordBytes: RECORD_BYTES, acks: 1, pingIntervalMs: PING_INTERVAL_MS },
      metrics,
    });
  }
  out.notes.push(
    `While \`copyless produce TOPIC --count ${p.records} --size ${RECORD_BYTES}\` (acks=1, CLI defaults) runs in its own process, another connection sends ApiVersions v0 every ${PING_INTERVAL_MS} ms without waiting for answers; the round trip is from its write to its response. "fsyncs" are the real fdatasync calls the broker made for log data during the run (stats durability.fsyncs); "stall" is the broker's longest event-loop delay (perf_hooks).`,
  );
}

/** Run the CLI as a user would; resolves with its wall time. */
function produceWithCli(address: string, topic: string, records: number): Promise<{ seconds: number }> {
  const args = [CLI_ENTRY, 'produce', topic, '--broker', address, '--count', String(records), '--size', String(RECORD_BYTES), '--acks', '1'];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), PRODUCE_MS_MAX);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ seconds: (performance.now() - started) / 1000 });
      else reject(new Error(`copyless produce exited (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}

/** The broker's real fdatasync count for log data (stats `durability`), or null when it does not report one. */
async function durability(broker: BrokerHandle): Promise<{ fsyncs: number } | null> {
  const stats = await withAdmin(broker.address, (admin) => admin.stats());
  return stats.durability ? { fsyncs: stats.durability.fsyncs } : null;
}

export const responsivenessScenario: Scenario = {
  name: 'responsiveness',
  title: 'ApiVersions round trip from another connection while one client produces 300 MB at acks=1',
  columns: [
    { key: 'roundTripMsP50', label: 'p50', unit: 'ms' },
    { key: 'roundTripMsP99', label: 'p99', unit: 'ms' },
    { key: 'roundTripMsP999', label: 'p99.9', unit: 'ms' },
    { key: 'roundTripMsMax', label: 'max', unit: 'ms' },
    { key: 'brokerLoopDelayMsMax', label: 'broker stall', unit: 'ms' },
    { key: 'produceBytesPerSec', label: 'produce', unit: 'B/s' },
    { key: 'fsyncs', label: 'fsyncs', unit: 'count' },
  ],
  steps: (ctx) => PAGE_CACHE_MB.length * ctx.repeats,
  run,
};
