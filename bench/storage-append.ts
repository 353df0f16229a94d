// Append throughput of the storage engine alone (no sockets): PartitionLog.append
// of pre-encoded RecordBatch v2 payloads over the size ladder, once without
// fsync and once with an fdatasync after every batch (log.flush(), what acks=all
// waits for).
//
//   tsx bench/storage-append.ts [--mib 256] [--fsync-mib 32] [--batch-bytes 65536]
//        [--repeat 3] [--cache-mb 1024] [--sizes 100,1024,65536,1048576] [--dir DIR] [--json FILE]
//
// "no fsync" means what Kafka does by default: each append is a write(2) into
// the OS page cache plus a copy into the simulated page cache, where the pages
// stay dirty. Nothing is fsynced by the run itself; the simulated page cache
// fsyncs only if a writer pushes dirty pages past dirtyRatio (the throttle
// column). Its flusher timer is not started. Each run uses a fresh log, closed
// (flushed) at its end, so runs do not inherit each other's dirty pages. All
// runs share one page cache, as a broker does for its whole life, and its
// frame memory is faulted in once before measuring (a long-running broker's
// cache has long been filled); a fresh arena would add a page fault per 4 KiB.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PAGE_BYTES, SEGMENT_BYTES_DEFAULT } from '../src/limits.ts';
import { PageCache } from '../src/storage/page-cache.ts';
import { machineInfo } from './machine.ts';
import {
  formatRate,
  machineLine,
  makeBatch,
  MiB,
  openBenchLog,
  printTable as printRightAligned,
  recordAndBatchCells,
  recordsPerBatch,
  storageBenchOptions,
  storageBenchParams,
  type StorageBenchRow,
  writeJsonReport,
} from './script-util.ts';
import { percentileSorted, summarize } from './stats.ts';

/** Bytes appended untimed before each measured run (at most WARMUP_BATCHES batches), so the JIT has compiled the path. */
const WARMUP_BYTES = 16 * MiB;
const WARMUP_BATCHES = 200;

const { values: args } = parseArgs({
  options: { ...storageBenchOptions('160'), 'fsync-mib': { type: 'string', default: '32' } },
});

const params = {
  mibPerRunNoFsync: Number(args.mib),
  mibPerRunFsync: Number(args['fsync-mib']),
  ...storageBenchParams(args),
};

type Mode = 'no fsync' | 'fsync every batch';

interface Row extends StorageBenchRow<Mode> {
  latencyUsP50: number;
  latencyUsP99: number;
  fsyncs: number;
  throttleEvents: number;
}

const cache = new PageCache({ capacityBytes: Math.floor((params.cacheMb * MiB) / PAGE_BYTES) * PAGE_BYTES });

/**
 * Faults in every frame of the page cache once (untimed) by writing a scratch
 * file's worth of pages into it; the scratch file is empty on disk, so the
 * throttle's fdatasync of it costs nothing, and its pages are then dropped.
 */
function faultInCacheFrames(): void {
  const dir = fs.mkdtempSync(path.join(params.dir, 'copyless-bench-warm-'));
  const fd = fs.openSync(path.join(dir, 'scratch'), 'w+');
  const id = cache.registerFile({ name: 'scratch', fd, size: 0 });
  const chunk = Buffer.alloc(MiB, 1);
  for (let at = 0; at < cache.capacityPages * PAGE_BYTES; at += chunk.length) cache.write(id, at, chunk);
  cache.unregisterFile(id, { writeBack: false });
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** One measured run: `batches` appends of `payload`; returns seconds and per-append latencies (µs). */
async function run(payload: Buffer, batches: number, mode: Mode): Promise<{ seconds: number; latencies: number[]; fsyncs: number; throttles: number }> {
  const { log, dir } = openBenchLog({ parentDir: params.dir, prefix: 'copyless-bench-append-', pageCache: cache });
  try {
    const warmup = Math.min(WARMUP_BATCHES, Math.ceil(WARMUP_BYTES / payload.length));
    for (let i = 0; i < warmup; i++) log.append(payload);
    await log.flush();
    const before = cache.stats();
    const latencies = new Array<number>(batches);
    const start = process.hrtime.bigint();
    let last = start;
    for (let i = 0; i < batches; i++) {
      log.append(payload);
      if (mode === 'fsync every batch') await log.flush();
      const now = process.hrtime.bigint();
      latencies[i] = Number(now - last) / 1000;
      last = now;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const after = cache.stats();
    return { seconds, latencies, fsyncs: after.fsyncs - before.fsyncs, throttles: after.throttleEvents - before.throttleEvents };
  } finally {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(recordBytes: number, mode: Mode): Promise<Row> {
  const perBatch = recordsPerBatch(recordBytes, params.batchBytes);
  const payload = makeBatch(recordBytes, perBatch);
  const mib = mode === 'no fsync' ? params.mibPerRunNoFsync : params.mibPerRunFsync;
  const batches = Math.max(1, Math.ceil((mib * MiB) / payload.length));
  const msgs: number[] = [];
  const mibs: number[] = [];
  let latencies: number[] = [];
  let fsyncs = 0;
  let throttles = 0;
  for (let r = 0; r < params.repeat; r++) {
    const res = await run(payload, batches, mode);
    msgs.push((batches * perBatch) / res.seconds);
    mibs.push((batches * payload.length) / MiB / res.seconds);
    latencies = latencies.concat(res.latencies);
    fsyncs += res.fsyncs;
    throttles += res.throttles;
  }
  latencies.sort((a, b) => a - b);
  return {
    recordBytes,
    recordsPerBatch: perBatch,
    batchBytes: payload.length,
    mode,
    msgsPerSec: summarize(msgs),
    mibPerSec: summarize(mibs),
    latencyUsP50: percentileSorted(latencies, 50),
    latencyUsP99: percentileSorted(latencies, 99),
    fsyncs: Math.round(fsyncs / params.repeat),
    throttleEvents: Math.round(throttles / params.repeat),
  };
}

function printTable(rows: Row[]): void {
  const header = ['record', 'batch', 'mode', 'msgs/s', 'MiB/s', '± spread', 'p50 µs', 'p99 µs', 'fsyncs/run', 'throttles/run'];
  const lines = rows.map((r) => [
    ...recordAndBatchCells(r),
    r.mode,
    formatRate(r.msgsPerSec.median),
    r.mibPerSec.median.toFixed(1),
    r.mibPerSec.spreadPct === null ? '-' : `${r.mibPerSec.spreadPct.toFixed(1)}%`,
    r.latencyUsP50.toFixed(1),
    r.latencyUsP99.toFixed(1),
    String(r.fsyncs),
    String(r.throttleEvents),
  ]);
  printRightAligned(header, lines);
}

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log('copyless storage append benchmark (PartitionLog.append, no sockets)');
  console.log(machineLine(machine));
  console.log(`data dir: ${params.dir}; simulated page cache ${params.cacheMb} MiB (dirtyRatio 20%, frames faulted in before measuring); segments ${SEGMENT_BYTES_DEFAULT / MiB} MiB`);
  console.log(`per run: ${params.mibPerRunNoFsync} MiB without fsync, ${params.mibPerRunFsync} MiB with fsync; ${params.repeat} runs each; MiB/s counts batch bytes appended`);
  console.log('"no fsync" = write(2) to the OS page cache + copy into the simulated page cache (dirty); NOT durable until a flush.\n');
  faultInCacheFrames();
  // The fsync runs go first: after the no-fsync runs the kernel's own flusher
  // would be writing their data back and competing for the disk.
  const rows: Row[] = [];
  for (const mode of ['fsync every batch', 'no fsync'] as const) {
    spawnSync('sync');
    for (const size of params.recordSizes) rows.push(await measure(size, mode));
  }
  rows.sort((a, b) => (a.mode === b.mode ? 0 : a.mode === 'no fsync' ? -1 : 1));
  printTable(rows);
  writeJsonReport(args.json, { bench: 'storage-append', machine, params, rows });
}

await main();
