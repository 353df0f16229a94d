// `copyless bench [SCENARIO...] [--quick] [--repeats N] [--broker host:port]
//                 [--json FILE] [--report FILE] [--no-progress]`
//
// Runs the named scenarios (default `all`), always after `limits` so every
// throughput can be shown against this machine's own ceilings. The results
// table goes to stdout, progress to stderr. Exit code 0 when every scenario
// ran, 1 when one failed (its partial results are still written), 2 for a
// usage error. A missed target is a finding, not a failure: it never changes
// the exit code.

import fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CopylessError } from '../src/errors.ts';
import { silentProgress, stderrProgress } from './progress.ts';
import { renderHtml } from './report/html.ts';
import { renderReport } from './report/table.ts';
import { SCENARIO_ORDER, runBench, type Scenario } from './runner.ts';
import { SCENARIOS } from './scenarios/index.ts';
import type { BenchReport } from './types.ts';

/** Most repeats accepted: three is the default; more than this is a typo, not a benchmark. */
export const BENCH_REPEATS_MAX = 50;
const QUICK_REPEATS_DEFAULT = 1;
const REPEATS_DEFAULT = 3;

export interface BenchCliOptions {
  scenarios: Scenario[];
  quick: boolean;
  repeats: number;
  broker: string | null;
  json: string | null;
  report: string | null;
  progress: boolean;
}

function parseRepeats(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > BENCH_REPEATS_MAX) {
    throw new InvalidArgumentError(`repeats must be an integer from 1 to ${BENCH_REPEATS_MAX} (BENCH_REPEATS_MAX), got ${JSON.stringify(raw)}`);
  }
  return n;
}

function parseBroker(raw: string): string {
  const m = /^([^:\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(raw);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new InvalidArgumentError(`broker must be host:port, got ${JSON.stringify(raw)}`);
  return raw;
}

/** Resolve scenario names: `all` or any of SCENARIO_ORDER, run in that order, with limits first. */
export function selectScenarios(names: string[]): Scenario[] {
  const wanted = new Set(names.length === 0 ? ['all'] : names);
  for (const n of wanted) {
    if (n !== 'all' && !SCENARIOS.has(n)) {
      throw new CopylessError('INVALID_CONFIG', `unknown scenario ${JSON.stringify(n)}; expected all or one of ${SCENARIO_ORDER.join(', ')}`, { field: 'scenario' });
    }
  }
  const all = wanted.has('all');
  return SCENARIO_ORDER.filter((n) => all || n === 'limits' || wanted.has(n)).map((n) => SCENARIOS.get(n) as Scenario);
}

/** Parse argv (after `bench`); throws CommanderError for usage errors and after --help. */
export function parseBenchArgs(argv: string[], out: { write(s: string): void } = process.stderr): BenchCliOptions {
  let parsed: BenchCliOptions | null = null;
  const program = new Command('copyless bench')
    .description('Measure copyless against this machine: producers, consumers per fetch mode, catch-up, latency, and the machine\'s own limits')
    .argument('[scenario...]', `all (default) or any of: ${SCENARIO_ORDER.join(', ')}`)
    .option('--quick', 'small runs of every scenario (under a minute in all), for checks, not for quoting')
    .option('--repeats <n>', `repeats per measurement (default ${REPEATS_DEFAULT}, ${QUICK_REPEATS_DEFAULT} with --quick)`, parseRepeats)
    .option('--broker <host:port>', 'measure an existing broker instead of starting one (broker CPU is then not measured)', parseBroker)
    .option('--json <file>', 'write the full results as JSON')
    .option('--report <file>', 'write a self-contained HTML report with charts')
    .option('--no-progress', 'no progress bars or lines on stderr')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => out.write(s) })
    .action((names: string[], o: { quick?: boolean; repeats?: number; broker?: string; json?: string; report?: string; progress: boolean }) => {
      parsed = {
        scenarios: selectScenarios(names),
        quick: Boolean(o.quick),
        repeats: o.repeats ?? (o.quick ? QUICK_REPEATS_DEFAULT : REPEATS_DEFAULT),
        broker: o.broker ?? null,
        json: o.json ?? null,
        report: o.report ?? null,
        progress: o.progress,
      };
    });
  program.parse(argv, { from: 'user' });
  if (!parsed) throw new CopylessError('INVALID_REQUEST', 'no bench command parsed');
  return parsed;
}

/** JSON with Infinity (an unset flush interval) kept as the string "Infinity" instead of null. */
export function reportJson(r: BenchReport): string {
  return `${JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

export async function main(argv: string[]): Promise<number> {
  let o: BenchCliOptions;
  try {
    o = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`copyless bench: ${(e as Error).message}\n`);
    return 2;
  }
  const report = await runBench(o.scenarios, {
    quick: o.quick,
    repeats: o.repeats,
    brokerAddress: o.broker,
    progress: o.progress ? stderrProgress() : silentProgress,
    command: `copyless bench ${argv.join(' ')}`.trim(),
  });
  process.stdout.write(`${renderReport(report)}\n`);
  if (o.json) fs.writeFileSync(o.json, reportJson(report));
  if (o.report) fs.writeFileSync(o.report, renderHtml(report));
  if (o.json || o.report) process.stderr.write(`wrote ${[o.json, o.report].filter(Boolean).join(' and ')}\n`);
  return report.scenarios.some((s) => s.error) ? 1 : 0;
}
