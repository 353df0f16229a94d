// What the web dashboard costs the broker: broker CPU with the page open (two
// stats pushes a second with the activity and the page map, plus the page's
// HTTP polling) against the same broker with nothing watching, on a broker
// holding --segments segments and a full --cache-mb simulated page cache.
//
//   node --import tsx bench/dashboard-cost.ts [--segments 1000] [--cache-mb 256] [--rounds 4] [--phase-sec 10] [--json out.json]
//
// The broker runs in a child process; its CPU time is read from /proc/<pid>/stat
// (10 ms ticks) over each phase. After one unmeasured watched phase (JIT
// compiling the stats path is a one-off, not a steady cost), phases alternate,
// idle then watched, `--rounds` times, so a noisy neighbour hits both alike; the broker is otherwise idle, so
// all of the difference is the dashboard's. The "page" is emulated by a
// WebSocket client sending exactly what broker/web sends on the view given by
// --view (cache, the default and the costliest: subscribe with intervalMs 500,
// include activity and pageMap; overview: activity only; GET /groups every 2 s
// on both) and decoding every frame; the browser's own CPU is not the broker's
// and is not counted. The child also times its stats work per push in-process (page map
// build + frame encoding + activity), which is steadier than /proc on a shared machine.
//
// Filling: --segments batches of --segment-kib each, one per segment (the topic
// rolls on segment.ms=1), spread over --partitions partitions, then written back
// so the flusher is quiet while measuring. No fsync happens during the phases.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { decodePageMapFrame, encodePageMapFrame, STATS_INCLUDES, type StatsMessage } from '../broker/dashboard/messages.ts';
import { PageMapBuilder } from '../broker/dashboard/page-map.ts';
import { activitySnapshot } from '../broker/dashboard/stats-source.ts';
import { startBroker, type RunningBroker } from '../broker/server.ts';
import { encodeRecordBatch } from '../src/record/index.ts';
import { busyWarning, machineInfo } from './machine.ts';
import { cpuDelta, processCpu } from './proc-stat.ts';

const STATS_INTERVAL_MS = 500;
const GROUPS_POLL_MS = 2000;

interface Options {
  segments: number;
  partitions: number;
  segmentKib: number;
  cacheMb: number;
  rounds: number;
  phaseSec: number;
  json: string | null;
  view: 'cache' | 'overview';
  /** Set in the broker's own process: its data dir. */
  child: string | null;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      segments: { type: 'string', default: '1000' },
      partitions: { type: 'string', default: '10' },
      'segment-kib': { type: 'string', default: '288' },
      'cache-mb': { type: 'string', default: '256' },
      rounds: { type: 'string', default: '4' },
      'phase-sec': { type: 'string', default: '10' },
      json: { type: 'string' },
      view: { type: 'string', default: 'cache' },
      child: { type: 'string' },
    },
  });
  return {
    segments: Number(values.segments),
    partitions: Number(values.partitions),
    segmentKib: Number(values['segment-kib']),
    cacheMb: Number(values['cache-mb']),
    rounds: Number(values.rounds),
    phaseSec: Number(values['phase-sec']),
    json: values.json ?? null,
    view: values.view === 'overview' ? 'overview' : 'cache',
    child: values.child ?? null,
  };
}

// ------------------------------------------------------------------ child: the broker

interface ChildReady {
  pid: number;
  httpPort: number;
  segments: number;
  residentPages: number;
  capacityPages: number;
}

/**
 * The stats work of one push for the view, timed in the broker's own process
 * as CPU time (process.cpuUsage), which a busy neighbour does not inflate the
 * way it inflates wall time: what one push costs, with no socket in the way.
 */
function timeStatsWork(running: RunningBroker, pushes: number, view: Options['view']): { cpuMsPerPush: number; frameBytes: number; cells: number } {
  const { broker } = running;
  const builder = new PageMapBuilder(broker.pageCache, () => broker.logs.all());
  let previous: Uint8Array | null = null;
  let frameBytes = 0;
  let cells = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < pushes; i++) {
    const message: Record<string, unknown> = { op: 'stats', timestamp: Date.now(), ...broker.stats(), activity: activitySnapshot(broker) };
    if (view === 'cache') {
      const map = builder.build();
      const frame = encodePageMapFrame(map.cells, previous, i);
      message.pageMap = { layout: i === 0 ? map.layout : undefined, activePages: map.activePages, readAhead: map.readAhead };
      previous = map.cells;
      frameBytes = frame.length;
      cells = map.cells.length;
    }
    JSON.stringify(message);
  }
  const used = process.cpuUsage(before);
  return { cpuMsPerPush: (used.user + used.system) / 1000 / pushes, frameBytes, cells };
}

async function child(o: Options, dataDir: string): Promise<void> {
  const running = await startBroker(
    { dataDir, port: 0, httpPort: 0, pageCacheMb: o.cacheMb, messageBytesMax: 2 * 1024 * 1024 },
    { logLevel: 'silent' },
  );
  const base = `http://127.0.0.1:${running.httpPort}`;
  await fill(base, o);
  const cache = running.broker.pageCache.stats();
  const segments = running.broker.logs.all().reduce((n, l) => n + l.segments().length, 0);
  const ready: ChildReady = { pid: process.pid, httpPort: running.httpPort!, segments, residentPages: cache.residentPages, capacityPages: cache.capacityPages };
  process.send!({ ready });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'time') process.send!({ timed: timeStatsWork(running, 100, o.view) });
    if (m.cmd === 'stop') void running.close().then(() => process.exit(0));
  });
}

/** One batch per segment (segment.ms=1 rolls before every append), round-robin over the partitions; then write back. */
async function fill(base: string, o: Options): Promise<void> {
  const r = await fetch(`${base}/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cost', partitions: o.partitions, config: { 'segment.ms': '1' } }),
  });
  if (r.status !== 201) throw new Error(`create topic: ${r.status} ${await r.text()}`);
  const recordBytes = 4000;
  const batch = encodeRecordBatch(Array.from({ length: Math.max(1, Math.floor((o.segmentKib * 1024) / (recordBytes + 20))) }, (_, i) => ({ value: Buffer.alloc(recordBytes, i) })));
  for (let s = 0; s < o.segments; s++) {
    const p = await fetch(`${base}/topics/cost/records?partition=${s % o.partitions}`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.kafka.recordbatch' },
      body: batch,
    });
    if (p.status !== 200) throw new Error(`produce: ${p.status} ${await p.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 2)); // so the segment is >= segment.ms old at the next append
  }
  await fetch(`${base}/broker/page-cache/write-back`, { method: 'POST' });
}

// ------------------------------------------------------------------ parent: the page and the measurement

/** What broker/web does with the page open on the overview: the stats subscription and the groups poll. */
function openPage(port: number, view: Options['view']): { close(): void; pushes: () => number; bytes: () => number } {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  let pending: StatsMessage['pageMap'] | null = null;
  let cells: Uint8Array | null = null;
  let pushes = 0;
  let bytes = 0;
  ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', channel: 'stats', intervalMs: STATS_INTERVAL_MS, include: STATS_INCLUDES.filter((x) => x !== 'pageMap' || view === 'cache') })));
  ws.on('message', (data: Buffer, binary: boolean) => {
    bytes += data.length;
    if (binary) {
      if (pending) cells = decodePageMapFrame(new Uint8Array(data), pending.keyframe ? null : cells).cells;
      pending = null;
      return;
    }
    const m = JSON.parse(data.toString()) as StatsMessage;
    if (m.op === 'stats') {
      pushes++;
      pending = m.pageMap ?? null;
    }
  });
  const poll = setInterval(() => void fetch(`http://127.0.0.1:${port}/groups`).then((r) => r.arrayBuffer()), GROUPS_POLL_MS);
  return {
    close() {
      clearInterval(poll);
      ws.close();
    },
    pushes: () => pushes,
    bytes: () => bytes,
  };
}

interface Phase {
  watched: boolean;
  wallSec: number;
  cpuSec: number;
  cpuPercent: number;
  pushes: number;
  bytesPerSec: number;
}

async function phase(pid: number, port: number, watched: boolean, o: Options): Promise<Phase> {
  const sec = o.phaseSec;
  const page = watched ? openPage(port, o.view) : null;
  if (page) await new Promise((r) => setTimeout(r, 1000)); // the keyframe and layout are a one-off: not part of the steady cost
  const bytes0 = page?.bytes() ?? 0;
  const pushes0 = page?.pushes() ?? 0;
  const before = processCpu(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, sec * 1000));
  const d = cpuDelta(before, processCpu(pid));
  const wallSec = (performance.now() - t0) / 1000;
  const out: Phase = {
    watched,
    wallSec,
    cpuSec: d ? d.userSec + d.systemSec : NaN,
    cpuPercent: d ? ((d.userSec + d.systemSec) / wallSec) * 100 : NaN,
    pushes: (page?.pushes() ?? 0) - pushes0,
    bytesPerSec: ((page?.bytes() ?? 0) - bytes0) / wallSec,
  };
  page?.close();
  await new Promise((r) => setTimeout(r, 500));
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function parent(o: Options): Promise<void> {
  const loadStart = os.loadavg()[0];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-dash-cost-'));
  const proc = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--child', dataDir], { execArgv: ['--import', 'tsx'] });
  const message = <T>(key: string) => new Promise<T>((resolve, reject) => {
    const on = (m: Record<string, unknown>) => {
      if (key in m) {
        proc.off('message', on);
        resolve(m[key] as T);
      }
    };
    proc.on('message', on);
    proc.once('exit', (code) => reject(new Error(`broker child exited (${code})`)));
  });
  try {
    console.log(`filling: ${o.segments} segments of ${o.segmentKib} KiB over ${o.partitions} partitions, ${o.cacheMb} MiB simulated page cache...`);
    const ready = await message<ChildReady>('ready');
    console.log(`broker pid ${ready.pid}: ${ready.segments} segments, ${ready.residentPages} of ${ready.capacityPages} cache pages resident; the page on its ${o.view} view`);
    await phase(ready.pid, ready.httpPort, true, o); // warm-up, not counted
    const phases: Phase[] = [];
    for (let r = 0; r < o.rounds; r++) {
      for (const watched of [false, true]) {
        const p = await phase(ready.pid, ready.httpPort, watched, o);
        phases.push(p);
        console.log(`round ${r + 1} ${watched ? 'page open' : 'no page  '}: broker CPU ${p.cpuPercent.toFixed(2)}% of a core over ${p.wallSec.toFixed(1)} s${watched ? `, ${p.pushes} pushes, ${(p.bytesPerSec / 1024).toFixed(1)} KiB/s to the page` : ''}`);
      }
    }
    proc.send({ cmd: 'time' });
    const timed = await message<{ cpuMsPerPush: number; frameBytes: number; cells: number }>('timed');
    const idle = mean(phases.filter((p) => !p.watched).map((p) => p.cpuPercent));
    const watched = mean(phases.filter((p) => p.watched).map((p) => p.cpuPercent));
    const diffs = phases.filter((p) => p.watched).map((p, i) => p.cpuPercent - phases.filter((q) => !q.watched)[i].cpuPercent);
    const machine = machineInfo(loadStart);
    const result = {
      params: { ...o, statsIntervalMs: STATS_INTERVAL_MS, groupsPollMs: GROUPS_POLL_MS },
      broker: ready,
      phases,
      idleCpuPercent: idle,
      watchedCpuPercent: watched,
      addedCpuPercent: watched - idle,
      addedCpuPercentPerRound: diffs,
      addedCpuPercentMedian: median(diffs),
      inProcess: { ...timed, cpuPercentAt2PerSec: (timed.cpuMsPerPush * (1000 / STATS_INTERVAL_MS)) / 10 },
      machine,
    };
    console.log('');
    console.log('| measure | value |');
    console.log('| --- | ---: |');
    console.log(`| broker CPU, no page (mean of ${o.rounds}) | ${idle.toFixed(2)}% of a core |`);
    console.log(`| broker CPU, page open (mean of ${o.rounds}) | ${watched.toFixed(2)}% of a core |`);
    console.log(`| added by the page, mean (per round: ${diffs.map((d) => d.toFixed(2)).join(', ')}) | ${(watched - idle).toFixed(2)}% of a core |`);
    console.log(`| added by the page, median of the rounds | ${median(diffs).toFixed(2)}% of a core |`);
    const work = o.view === 'cache' ? `page map of ${timed.cells} cells + delta frame + activity + JSON` : 'activity + JSON';
    console.log(`| stats work per push, in-process CPU time (${work}) | ${timed.cpuMsPerPush.toFixed(2)} ms |`);
    console.log(`| the same at two pushes a second | ${result.inProcess.cpuPercentAt2PerSec.toFixed(2)}% of a core |`);
    if (o.view === 'cache') console.log(`| steady page-map delta frame (idle cache) | ${timed.frameBytes} bytes |`);
    console.log(`\nmachine: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.nodeVersion}, load ${machine.loadAverageStart.toFixed(1)} -> ${machine.loadAverageEnd.toFixed(1)}`);
    const busy = busyWarning(machine);
    if (busy) console.log(`warning: ${busy}`);
    const jsonPath = o.json ?? path.join(os.tmpdir(), `copyless-dashboard-cost-${Date.now()}.json`);
    fs.writeFileSync(jsonPath, JSON.stringify(result, null, 2));
    console.log(`json: ${jsonPath}`);
  } finally {
    proc.send({ cmd: 'stop' });
    await new Promise((r) => proc.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const o = options();
if (o.child) await child(o, o.child);
else await parent(o);
