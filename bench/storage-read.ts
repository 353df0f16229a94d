// Read throughput of the storage engine alone (no sockets): a consumer-style
// scan of a whole partition with PartitionLog.read (index lookup and header
// scan) followed by PageCache.read of each slice, over the size ladder.
//
//   tsx bench/storage-read.ts [--mib 256] [--fetch-bytes 1048576] [--batch-bytes 65536]
//        [--repeat 3] [--cache-mb 1024] [--sizes 100,1024,65536,1048576] [--dir DIR] [--json FILE]
//
// Modes:
//   hot          every page is resident in the simulated page cache; a read
//                returns views over the cache frames (what a zero-copy send
//                hands to the socket) and the bytes are not touched.
//   hot + copy   the same, then the views are copied into a fetch-sized user
//                buffer (what a read(2)-based copy send costs on top).
//   cold         PageCache.dropCaches() before each pass, so every page is a
//                miss filled by pread(2) with read-ahead. Honest caveat: the
//                OS page cache still holds the segment files (dropping it
//                needs root and hits the whole machine), so a "disk" read
//                here is a memory copy from the kernel's cache, not a device read.
// MiB/s counts the whole batches delivered; a slice's trailing partial batch
// (cut by maxBytes, dropped by clients) is read again by the next fetch.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { PAGE_BYTES, SEGMENT_BYTES_DEFAULT } from '../src/limits.ts';
import type { PartitionLog } from '../src/storage/log.ts';
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

const { values: args } = parseArgs({
  options: { ...storageBenchOptions('256'), 'fetch-bytes': { type: 'string', default: String(MiB) } },
});

const params = {
  mibPerLog: Number(args.mib),
  fetchBytes: Number(args['fetch-bytes']),
  ...storageBenchParams(args),
};

type Mode = 'hot' | 'hot + copy' | 'cold';

interface Row extends StorageBenchRow<Mode> {
  fetchUsP50: number;
  fetchUsP99: number;
  hitRatio: number;
  diskReadMib: number;
}

interface Pass {
  seconds: number;
  bytes: number;
  records: number;
  fetchUs: number[];
}

/**
 * One consumer pass over the whole log. Every batch has `perBatch` records and
 * `batchBytes` bytes, so the next fetch offset follows from the whole batches
 * in the slice without parsing them (a client would parse them).
 */
function scan(log: PartitionLog, cache: PageCache, batchBytes: number, perBatch: number, copyInto: Buffer | null): Pass {
  const fetchUs: number[] = [];
  let offset = log.logStartOffset;
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    const t0 = process.hrtime.bigint();
    const slice = log.read(offset, params.fetchBytes);
    if (!slice) break;
    const r = cache.read(slice.fileId, slice.position, slice.length);
    if (copyInto) {
      let at = 0;
      for (const v of r.views) at += v.copy(copyInto, at);
    }
    slice.release();
    const whole = Math.max(1, Math.floor(slice.length / batchBytes));
    offset = slice.firstOffset + whole * perBatch;
    bytes += whole * batchBytes;
    fetchUs.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, bytes, records: (bytes / batchBytes) * perBatch, fetchUs };
}

function measure(recordBytes: number): Row[] {
  const perBatch = recordsPerBatch(recordBytes, params.batchBytes);
  const payload = makeBatch(recordBytes, perBatch);
  const cache = new PageCache({ capacityBytes: Math.floor((params.cacheMb * MiB) / PAGE_BYTES) * PAGE_BYTES });
  const { log, dir } = openBenchLog({ parentDir: params.dir, prefix: 'copyless-bench-read-', pageCache: cache });
  const rows: Row[] = [];
  try {
    const batches = Math.max(1, Math.ceil((params.mibPerLog * MiB) / payload.length));
    for (let i = 0; i < batches; i++) log.append(payload);
    cache.dropCaches(); // writes the appended pages back (clean) before reading
    scan(log, cache, payload.length, perBatch, null); // untimed: fills the cache and warms the JIT
    const copyBuffer = Buffer.alloc(Math.max(params.fetchBytes, payload.length));
    for (const mode of ['hot', 'hot + copy', 'cold'] as const) {
      const passes: Pass[] = [];
      const before = cache.stats();
      for (let r = 0; r < params.repeat; r++) {
        if (mode === 'cold') cache.dropCaches();
        passes.push(scan(log, cache, payload.length, perBatch, mode === 'hot + copy' ? copyBuffer : null));
      }
      const after = cache.stats();
      const hits = after.hits - before.hits;
      const misses = after.misses - before.misses;
      const fetchUs = passes.flatMap((p) => p.fetchUs).sort((a, b) => a - b);
      rows.push({
        recordBytes,
        recordsPerBatch: perBatch,
        batchBytes: payload.length,
        mode,
        msgsPerSec: summarize(passes.map((p) => p.records / p.seconds)),
        mibPerSec: summarize(passes.map((p) => p.bytes / MiB / p.seconds)),
        fetchUsP50: percentileSorted(fetchUs, 50),
        fetchUsP99: percentileSorted(fetchUs, 99),
        hitRatio: hits + misses === 0 ? 1 : hits / (hits + misses),
        diskReadMib: ((misses + (after.readAheadPages - before.readAheadPages)) * PAGE_BYTES) / MiB / params.repeat,
      });
    }
  } finally {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function printTable(rows: Row[]): void {
  const header = ['record', 'batch', 'mode', 'msgs/s', 'MiB/s', '± spread', 'fetch p50 µs', 'fetch p99 µs', 'page hit ratio', 'pread MiB/pass'];
  const lines = rows.map((r) => [
    ...recordAndBatchCells(r),
    r.mode,
    formatRate(r.msgsPerSec.median),
    r.mibPerSec.median.toFixed(0),
    r.mibPerSec.spreadPct === null ? '-' : `${r.mibPerSec.spreadPct.toFixed(1)}%`,
    r.fetchUsP50.toFixed(1),
    r.fetchUsP99.toFixed(1),
    r.hitRatio.toFixed(3),
    r.diskReadMib.toFixed(0),
  ]);
  printRightAligned(header, lines);
}

function main(): void {
  const machine = machineInfo();
  console.log('copyless storage read benchmark (PartitionLog.read + PageCache.read, no sockets)');
  console.log(machineLine(machine));
  console.log(`data dir: ${params.dir}; ${params.mibPerLog} MiB log per size, segments ${SEGMENT_BYTES_DEFAULT / MiB} MiB; fetch maxBytes ${params.fetchBytes}; simulated page cache ${params.cacheMb} MiB; ${params.repeat} passes each`);
  console.log('hot = views over cache frames, bytes untouched; hot + copy = views copied to a user buffer;');
  console.log('cold = simulated cache dropped before each pass; the OS page cache still holds the files, so misses are memory copies, not device reads.\n');
  const rows = params.recordSizes.flatMap((size) => measure(size));
  printTable(rows);
  writeJsonReport(args.json, { bench: 'storage-read', machine, params, rows });
}

main();
