// `npm run soak`: the reliability suite at full size, against broker
// processes on this machine (loopback only). Prints one table per scenario and
// writes every figure as JSON (default soak-result.json; --out to change).
// The CI tests (tests/reliability/*.test.ts) run the same scenarios small.
//
//   npm run soak                     the full run (about 10 minutes on 2 cores)
//   npm run soak -- --only fuzz,idle a subset
//   npm run soak -- --quick          every scenario at CI size

import fs from 'node:fs';
import os from 'node:os';
import { mb } from './harness.ts';
import { runDiskFull } from './scenarios/disk-full.ts';
import { runFuzz } from './scenarios/fuzz.ts';
import { runGroupChurn } from './scenarios/group-churn.ts';
import { runIdle } from './scenarios/idle.ts';
import { runKillLoop } from './scenarios/kill-loop.ts';
import { runSlowReaders } from './scenarios/slow-readers.ts';
import { runTornTail } from './scenarios/torn-tail.ts';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'soak-result.json';

const SCENARIOS: Record<string, () => Promise<unknown>> = {
  'kill-loop': () => runKillLoop({ acks: [-1, 1], kills: quick ? 2 : 20, batchRecords: 100, runMsMin: 300, runMsMax: 1500 }),
  'torn-tail': () => runTornTail({ cases: quick ? 6 : 75, batches: quick ? 10 : 40 }),
  fuzz: () => runFuzz({ frames: quick ? 3000 : 100_000, concurrency: 64, framesPerConnectionMax: 20 }),
  idle: () => runIdle({ connections: 1000, idleMs: quick ? 1500 : 5000 }),
  'slow-readers': () => runSlowReaders({ fillMb: quick ? 16 : 64, readers: 4, phaseMs: quick ? 3000 : 15_000, fetchBytes: 64 * MiB }),
  'disk-full': () => runDiskFull({ sizeMb: quick ? 12 : 32, valueBytes: 50_000 }),
  'group-churn': () => runGroupChurn({ rounds: quick ? 2 : 10, partitions: 4, recordsPerRound: quick ? 100 : 2000, roundMs: 1000 }),
};

const results: Record<string, unknown> = {};
const started = Date.now();
for (const [name, run] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue;
  const t0 = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  try {
    const r = await run();
    results[name] = { ...(Array.isArray(r) ? { phases: r } : (r as object)), durationS: Math.round((Date.now() - t0) / 100) / 10 };
    if (Array.isArray(r)) console.table(r.map((p) => ({ ...p, rssBaseBytes: `${mb(p.rssBaseBytes)} MiB`, rssAddedMaxBytes: `${mb(p.rssAddedMaxBytes)} MiB` })));
    else console.table(Object.entries(r as object).map(([k, v]) => ({ figure: k, value: typeof v === 'object' ? JSON.stringify(v) : v })));
  } catch (e) {
    results[name] = { error: (e as Error).stack ?? String(e) };
    console.error(`${name} failed:`, e);
  }
}
const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), loadAvg: os.loadavg(), node: process.version };
fs.writeFileSync(out, JSON.stringify({ machine, quick, durationS: Math.round((Date.now() - started) / 1000), results }, null, 2));
console.log(`\nwrote ${out} (${Math.round((Date.now() - started) / 1000)} s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
