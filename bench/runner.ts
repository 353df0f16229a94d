// The benchmark runner: the context every scenario runs in (broker under
// test, client processes, ceilings, progress), repeats with median and spread
// (`measure`), and the assembly of one BenchReport per run. The scenarios
// themselves are registered in scenarios/index.ts.

import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Child } from './child.ts';
import { startChildBroker, type BrokerHandle } from './broker-handle.ts';
import { NO_DURABILITY, durabilityDelta, durabilityOf, durabilitySum, sgDmaOf } from './broker-stats.ts';
import { fsyncPolicyLabel, machineInfo } from './machine.ts';
import { externalBrokerHandle } from './sdk.ts';
import type { Progress } from './progress.ts';
import { summarizeRuns, type Summary } from './stats.ts';
import { evaluateTargets } from './targets.ts';
import { markCaveats } from './reliability.ts';
import { conclusions } from './report/conclusions.ts';
import {
  REPORT_SCHEMA,
  type BenchReport,
  type BrokerUnderTest,
  type Ceilings,
  type Column,
  type Params,
  type ScenarioResult,
} from './types.ts';

export interface Scenario {
  name: string;
  title: string;
  /** The table's metric columns, in order. */
  columns: Column[];
  /** Progress steps the scenario will tick (an estimate for the bar). */
  steps(ctx: BenchContext): number;
  /** Measure, appending cases and notes to `out` as they finish (a failure keeps what finished). */
  run(ctx: BenchContext, out: ScenarioResult): Promise<void>;
}

export interface BenchOptions {
  quick: boolean;
  repeats: number;
  /** host:port of an existing broker to measure instead of starting one per scenario. */
  brokerAddress: string | null;
  progress: Progress;
  /** The command line, recorded in the report. */
  command: string;
}

export interface BenchContext {
  readonly quick: boolean;
  readonly repeats: number;
  readonly external: string | null;
  readonly ceilings: Ceilings;
  readonly progress: Progress;
  /** A broker with these options: a fresh child process, or the `--broker` one (options then cannot apply). */
  broker(options: Params): Promise<BrokerHandle>;
  /** `count` client processes (started on first use, reused across scenarios). */
  clients(count: number): Promise<Child[]>;
  /** A topic name unique to this run, so runs against one `--broker` never read each other's records. */
  topic(base: string): string;
}

/** How often the runner samples the 1-minute load average (the kernel updates it every 5 s). */
const LOAD_SAMPLE_MS = 5000;
const CLIENT_ENTRY = fileURLToPath(new URL('./client-process.ts', import.meta.url));

/**
 * Run `fn` ctx.repeats times and summarise each figure it returns. A figure
 * in B/s also gets `pctLoopback`: the share of the loopback ceiling measured
 * earlier in this run.
 */
export async function measure(
  ctx: BenchContext,
  label: string,
  fn: (repeat: number) => Promise<Record<string, number>>,
): Promise<Record<string, Summary>> {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < ctx.repeats; i++) {
    const figures = await fn(i);
    const ceiling = ctx.ceilings.loopbackBytesPerSec;
    if (ceiling && figures.bytesPerSec !== undefined && figures.pctLoopback === undefined) {
      figures.pctLoopback = (figures.bytesPerSec / ceiling) * 100;
    }
    runs.push(figures);
    ctx.progress.tick(ctx.repeats > 1 ? `${label} (${i + 1}/${ctx.repeats})` : label);
  }
  return summarizeRuns(runs);
}

/** Scenario names in the order `all` runs them; `limits` always runs first so ceilings exist. */
export const SCENARIO_ORDER = ['limits', 'produce', 'consume', 'catch-up', 'latency', 'responsiveness', 'defaults'] as const;

export async function runBench(scenarios: Scenario[], o: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const loadAverageStart = os.loadavg()[0];
  let loadAverageMax = loadAverageStart;
  const loadSampler = setInterval(() => (loadAverageMax = Math.max(loadAverageMax, os.loadavg()[0])), LOAD_SAMPLE_MS).unref();
  const ceilings: Ceilings = { loopbackBytesPerSec: null, loopbackCopyBytesPerSec: null, memcpyBytesPerSec: null, rttMsP99: null };
  const brokerUnderTest: BrokerUnderTest = {
    kind: o.brokerAddress ? 'external' : 'child',
    address: o.brokerAddress,
    cpuMeasured: !o.brokerAddress,
    fsyncPolicy: 'unknown (no broker was started)',
    nativeAvailable: null,
    nativeReason: null,
    config: {},
  };
  const pool: Child[] = [];
  let firstBroker = true;
  /** The scenario running now: the brokers it uses add their durability work to it. */
  let current: ScenarioResult | null = null;
  const runId = started.toString(36);
  const ctx: BenchContext = {
    quick: o.quick,
    repeats: o.repeats,
    external: o.brokerAddress,
    ceilings,
    progress: o.progress,
    async broker(options) {
      const handle = o.brokerAddress ? await externalBrokerHandle(o.brokerAddress) : await startChildBroker(options);
      const stats = await handle.stats().catch(() => null);
      if (firstBroker) {
        firstBroker = false;
        Object.assign(brokerUnderTest, {
          address: handle.kind === 'external' ? handle.address : null,
          fsyncPolicy: fsyncPolicyLabel(handle.config),
          nativeAvailable: handle.nativeAvailable,
          nativeReason: handle.nativeReason,
          sgDma: sgDmaOf(stats),
          config: handle.config,
        });
      }
      return withDurability(handle, durabilityOf(stats), current);
    },
    async clients(count) {
      while (pool.length < count) pool.push(await Child.start(CLIENT_ENTRY, { name: `client ${pool.length + 1}` }));
      return pool.slice(0, count);
    },
    topic: (base) => `bench-${runId}-${base}`,
  };
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      current = { name: scenario.name, title: scenario.title, durationMs: 0, columns: scenario.columns, cases: [], notes: [] };
      results.push(await runScenario(ctx, scenario, current));
    }
  } finally {
    clearInterval(loadSampler);
    o.progress.end();
    await Promise.all(pool.map((c) => c.stop()));
  }
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    command: o.command,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    quick: o.quick,
    repeats: o.repeats,
    machine: machineInfo(loadAverageStart, loadAverageMax),
    broker: brokerUnderTest,
    ceilings,
    scenarios: results,
    targets: [],
    conclusions: [],
  };
  markCaveats(report);
  report.targets = evaluateTargets(report);
  report.conclusions = conclusions(report);
  return report;
}

/**
 * The handle, whose stop() first adds the broker's durability work since
 * `baseline` (its stats when the scenario got it) to the scenario's
 * `durability`: unknown (null) once one broker of the scenario did not report it.
 */
export function withDurability(handle: BrokerHandle, baseline: ReturnType<typeof durabilityOf>, out: ScenarioResult | null): BrokerHandle {
  return {
    ...handle,
    async stop() {
      if (out !== null) {
        const now = durabilityOf(await handle.stats().catch(() => null));
        out.durability = durabilitySum(out.durability === undefined ? NO_DURABILITY : out.durability, durabilityDelta(baseline, now));
      }
      await handle.stop();
    },
  };
}

async function runScenario(ctx: BenchContext, scenario: Scenario, out: ScenarioResult): Promise<ScenarioResult> {
  const started = Date.now();
  ctx.progress.begin(scenario.name, scenario.steps(ctx));
  try {
    await scenario.run(ctx, out);
  } catch (e) {
    out.error = (e as Error)?.message ?? String(e);
    ctx.progress.say(`${scenario.name} failed: ${out.error}`);
  }
  ctx.progress.end();
  out.durationMs = Date.now() - started;
  return out;
}

