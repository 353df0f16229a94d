// `catch-up`: the "catch-up tax". A producer writes at a fixed rate and two
// consumers read the tail of the log (one caught up, one batching ~0.5 s
// behind, like a second consumer group) while a third consumer replays the
// backlog from offset 0, with a broker page cache much smaller than the
// backlog. Reported per policy (plain LRU, Linux-like two-list), per tail
// consumer and per phase (before, during and after the replay): the page-cache
// hit ratio from each fetch's accounting, and the caught-up consumer's
// produce-to-consume latency.
//
// Why the two tail consumers: the caught-up consumer reads each page moments
// after it is written, several times as the page fills (one fetch per produce
// request), so it hits in any policy and its pages reach the active list of
// the two-list cache. The batching consumer reads those pages again later:
// under plain LRU the replay's one-pass scan has pushed them out by then;
// under two-list the scan churns only the inactive list.

import type { BrokerHandle } from '../broker-handle.ts';
import type { Child } from '../child.ts';
import type { ConsumeJobResult } from '../jobs/consume-job.ts';
import type { TailJob, TailJobResult, TailTrace } from '../jobs/tail.ts';
import { measure, type BenchContext, type Scenario } from '../runner.ts';
import { createTopic } from '../sdk.ts';
import { percentileSorted, summarizeRuns } from '../stats.ts';
import type { CaseResult, ScenarioResult, Series } from '../types.ts';
import { KiB, MiB, consume, produce, withBroker } from './common.ts';

const POLICIES = ['lru', 'two-list'] as const;
type Policy = (typeof POLICIES)[number];
/** Backlog records: large, so the backlog is written quickly; the tail writes small records. */
const BACKLOG_RECORD_BYTES = 64 * KiB;
const TAIL_RECORD_BYTES = 100;
const TAIL_RECORDS_PER_SEC = 10_000;
/** Linger of the tail producer: a produce request (and so a tail fetch) every millisecond or so. */
const TAIL_LINGER_MS = 1;
/** The batching consumer waits for this much data (about half a second of the tail rate), at most LAG_WAIT_MS. */
const LAG_MIN_BYTES = 512 * KiB;
const LAG_WAIT_MS = 1000;
const REPLAY_FETCH_BYTES = MiB;
/** Width of one point of the hit-ratio-over-time chart. */
const WINDOW_MS = 250;

interface Plan {
  pageCacheMb: number;
  backlogBytes: number;
  beforeMs: number;
  afterMs: number;
}

function plan(quick: boolean): Plan {
  return quick
    ? { pageCacheMb: 8, backlogBytes: 128 * MiB, beforeMs: 1000, afterMs: 1000 }
    : { pageCacheMb: 32, backlogBytes: 384 * MiB, beforeMs: 3000, afterMs: 3000 };
}

interface Phases {
  tailStart: number;
  replayStart: number;
  replayEnd: number;
  tailEnd: number;
}

interface RunOutcome {
  figures: { tail: Record<string, number>; lagging: Record<string, number> };
  series: Series[];
  phases: Phases;
}

let runCount = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOnce(ctx: BenchContext, policy: Policy, p: Plan, clients: Child[]): Promise<RunOutcome> {
  const [tailClient, replayClient] = clients;
  return withBroker(ctx, { pageCacheMb: p.pageCacheMb, pageCachePolicy: policy }, async (broker: BrokerHandle) => {
    const topic = ctx.topic(`catch-up-${policy}-${++runCount}`);
    await createTopic(broker.address, topic, 1);
    const backlogRecords = Math.ceil(p.backlogBytes / BACKLOG_RECORD_BYTES);
    await produce(tailClient, { address: broker.address, topic, partition: 0, recordBytes: BACKLOG_RECORD_BYTES, acks: 1, lingerMs: 5, batchBytes: 256 * KiB, records: backlogRecords });
    const job: TailJob = { address: broker.address, topic, partition: 0, rate: TAIL_RECORDS_PER_SEC, recordBytes: TAIL_RECORD_BYTES, fetchMode: 'sendfile', lingerMs: TAIL_LINGER_MS, lagMinBytes: LAG_MIN_BYTES, lagWaitMs: LAG_WAIT_MS };
    const { startMs } = await tailClient.call<{ startMs: number }>('tailStart', job);
    let trace: TailJobResult;
    let replay: ConsumeJobResult;
    try {
      await sleep(p.beforeMs);
      replay = await consume(replayClient, { address: broker.address, topic, partition: 0, fetchMode: 'sendfile', maxBytes: REPLAY_FETCH_BYTES, maxBytesPerPartition: REPLAY_FETCH_BYTES, maxWaitMs: 100, fromOffset: 0, untilOffset: backlogRecords });
      await sleep(p.afterMs);
    } finally {
      trace = await tailClient.call<TailJobResult>('tailStop');
    }
    const phases: Phases = { tailStart: startMs, replayStart: replay.startMs, replayEnd: replay.endMs, tailEnd: trace.endMs };
    const replaySeconds = (replay.endMs - replay.startMs) / 1000;
    return {
      figures: {
        tail: { ...phaseFigures(trace.tail, phases, true), replayBytesPerSec: replay.bytes / replaySeconds },
        lagging: { ...phaseFigures(trace.lagging, phases, false), replayBytesPerSec: replay.bytes / replaySeconds },
      },
      series: [
        { label: `${policy}, caught-up consumer`, unit: 'ratio', points: windows(trace.tail, phases.replayStart) },
        { label: `${policy}, batching consumer`, unit: 'ratio', points: windows(trace.lagging, phases.replayStart) },
      ],
      phases,
    };
  });
}

const PHASES = ['Before', 'During', 'After'] as const;

function phaseOf(t: number, ph: Phases): (typeof PHASES)[number] | null {
  if (t < ph.tailStart) return null;
  if (t < ph.replayStart) return 'Before';
  if (t < ph.replayEnd) return 'During';
  return 'After';
}

/** Hit ratio per phase (and, for the caught-up consumer, p50/p99 latency per phase). */
function phaseFigures(trace: TailTrace, ph: Phases, withLatency: boolean): Record<string, number> {
  const hits = { Before: 0, During: 0, After: 0 };
  const total = { Before: 0, During: 0, After: 0 };
  for (let i = 0; i < trace.fetches.length; i += 3) {
    const phase = phaseOf(trace.fetches[i], ph);
    if (!phase) continue;
    hits[phase] += trace.fetches[i + 1];
    total[phase] += trace.fetches[i + 1] + trace.fetches[i + 2];
  }
  const out: Record<string, number> = {};
  for (const phase of PHASES) if (total[phase] > 0) out[`hitRatio${phase}`] = hits[phase] / total[phase];
  if (!withLatency) return out;
  const latencies = { Before: [] as number[], During: [] as number[], After: [] as number[] };
  for (let i = 0; i < trace.latencies.length; i += 2) {
    const phase = phaseOf(trace.latencies[i], ph);
    if (phase) latencies[phase].push(trace.latencies[i + 1]);
  }
  for (const phase of PHASES) {
    const sorted = latencies[phase].sort((a, b) => a - b);
    if (sorted.length === 0) continue;
    out[`latencyMsP50${phase}`] = percentileSorted(sorted, 50);
    out[`latencyMsP99${phase}`] = percentileSorted(sorted, 99);
  }
  return out;
}

/** Hit ratio per WINDOW_MS window, x in seconds from the replay's start. */
function windows(trace: TailTrace, origin: number): Array<[number, number]> {
  const buckets = new Map<number, [number, number]>();
  for (let i = 0; i < trace.fetches.length; i += 3) {
    const w = Math.floor((trace.fetches[i] - origin) / WINDOW_MS);
    const b = buckets.get(w) ?? [0, 0];
    b[0] += trace.fetches[i + 1];
    b[1] += trace.fetches[i + 1] + trace.fetches[i + 2];
    buckets.set(w, b);
  }
  return [...buckets.entries()]
    .filter(([, [, n]]) => n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([w, [h, n]]) => [((w + 0.5) * WINDOW_MS) / 1000, h / n]);
}

async function run(ctx: BenchContext, out: ScenarioResult): Promise<void> {
  const p = plan(ctx.quick);
  if (ctx.external) out.notes.push('External broker: the page-cache size and policy of this scenario could not be set; both rows measure the broker as configured.');
  const clients = await ctx.clients(2);
  for (const policy of POLICIES) {
    let last: RunOutcome | null = null;
    const tail: Record<string, number>[] = [];
    const lagging: Record<string, number>[] = [];
    await measure(ctx, `${policy} catch-up`, async () => {
      last = await runOnce(ctx, policy, p, clients);
      tail.push(last.figures.tail);
      lagging.push(last.figures.lagging);
      return {};
    });
    const outcome = last as RunOutcome | null;
    for (const [who, runs] of [['caught-up', tail], ['batching', lagging]] as const) {
      out.cases.push(caseOf(policy, who, runs, p, outcome));
    }
  }
  out.notes.push(
    `Page cache ${ctx.external ? "the broker's own" : `${p.pageCacheMb} MiB`}, backlog ${p.backlogBytes / MiB} MiB of ${BACKLOG_RECORD_BYTES / KiB} KiB records; tail: ${TAIL_RECORDS_PER_SEC} records/s of ${TAIL_RECORD_BYTES} B (lingerMs ${TAIL_LINGER_MS}); batching consumer: fetch.min.bytes ${LAG_MIN_BYTES / KiB} KiB, fetch.max.wait ${LAG_WAIT_MS} ms; replay: one consumer, ${REPLAY_FETCH_BYTES / MiB} MiB fetches, sendfile mode. Hit ratio = page-cache hits / (hits + misses) over the phase's fetches.`,
  );
}

function caseOf(policy: Policy, who: 'caught-up' | 'batching', runs: Record<string, number>[], p: Plan, outcome: RunOutcome | null): CaseResult {
  const summaries = summarizeRuns(runs);
  return {
    id: `${policy}/${who}`,
    label: `${policy}: ${who} tail consumer`,
    params: { policy, consumer: who, pageCacheMb: p.pageCacheMb, backlogBytes: p.backlogBytes, tailRate: TAIL_RECORDS_PER_SEC, tailRecordBytes: TAIL_RECORD_BYTES },
    metrics: summaries,
    series: outcome ? outcome.series.filter((s) => s.label.includes(who === 'caught-up' ? 'caught-up' : 'batching')) : undefined,
    detail: outcome ? { phases: bands(outcome.phases) } : undefined,
  };
}

/** The phases as chart bands, in seconds from the replay's start. */
function bands(ph: Phases): Array<{ from: number; to: number; label: string }> {
  const s = (t: number) => (t - ph.replayStart) / 1000;
  return [
    { from: s(ph.tailStart), to: 0, label: 'before' },
    { from: 0, to: s(ph.replayEnd), label: 'replay' },
    { from: s(ph.replayEnd), to: s(ph.tailEnd), label: 'after' },
  ];
}

export const catchUpScenario: Scenario = {
  name: 'catch-up',
  title: 'Catch-up read vs tail consumers: page-cache hit ratio and latency, plain LRU vs two-list',
  columns: [
    { key: 'hitRatioBefore', label: 'hits before', unit: 'ratio' },
    { key: 'hitRatioDuring', label: 'hits during', unit: 'ratio' },
    { key: 'hitRatioAfter', label: 'hits after', unit: 'ratio' },
    { key: 'latencyMsP99Before', label: 'p99 before', unit: 'ms' },
    { key: 'latencyMsP99During', label: 'p99 during', unit: 'ms' },
    { key: 'latencyMsP99After', label: 'p99 after', unit: 'ms' },
    { key: 'replayBytesPerSec', label: 'replay', unit: 'B/s' },
  ],
  steps: (ctx) => POLICIES.length * ctx.repeats,
  run,
};
