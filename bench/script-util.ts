// What the plain storage benchmark scripts (storage-append.ts, storage-read.ts)
// share: their common command-line options, the batches they append, a fresh
// partition log in a temp dir, and the right-aligned table and JSON they write.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SEGMENT_BYTES_DEFAULT } from '../src/limits.ts';
import { BATCH_HEADER_BYTES, encodeRecordBatch } from '../src/record/index.ts';
import { PartitionLog, validateLogConfig } from '../src/storage/log.ts';
import type { PageCache } from '../src/storage/page-cache.ts';
import type { Summary } from './stats.ts';
import type { MachineInfo } from './types.ts';

export const MiB = 1024 * 1024;
/** A 1 MiB record plus its batch header needs more than the default messageBytesMax (1 MiB + 12). */
export const BENCH_MESSAGE_BYTES_MAX = 2 * MiB;

/** The parseArgs options every storage script takes; `mibDefault` is the script's own default for --mib. */
export function storageBenchOptions(mibDefault: string) {
  return {
    mib: { type: 'string', default: mibDefault },
    'batch-bytes': { type: 'string', default: '65536' },
    repeat: { type: 'string', default: '3' },
    'cache-mb': { type: 'string', default: '1024' },
    sizes: { type: 'string', default: '100,1024,65536,1048576' },
    dir: { type: 'string', default: os.tmpdir() },
    json: { type: 'string' },
  } as const;
}

/** The parameters that follow from storageBenchOptions (--mib excepted: each script names it for what it means). */
export function storageBenchParams(args: { 'batch-bytes'?: string; repeat?: string; 'cache-mb'?: string; sizes?: string; dir?: string }) {
  return {
    batchBytes: Number(args['batch-bytes']),
    repeat: Number(args.repeat),
    cacheMb: Number(args['cache-mb']),
    recordSizes: args.sizes!.split(',').map(Number),
    dir: args.dir!,
  };
}

/** The columns every storage script's result row starts with; `mode` is the script's own set of modes. */
export interface StorageBenchRow<Mode extends string> {
  recordBytes: number;
  recordsPerBatch: number;
  batchBytes: number;
  mode: Mode;
  msgsPerSec: Summary;
  mibPerSec: Summary;
}

/** One batch of `count` records of `recordBytes` each (null keys), as a producer would send it. */
export function makeBatch(recordBytes: number, count: number): Buffer {
  const value = Buffer.alloc(recordBytes, 0x61);
  return encodeRecordBatch(Array.from({ length: count }, () => ({ value })));
}

/** Records per batch so the batch stays within batchBytes (at least one). */
export function recordsPerBatch(recordBytes: number, batchBytes: number): number {
  const perRecord = makeBatch(recordBytes, 2).length - makeBatch(recordBytes, 1).length;
  return Math.max(1, Math.floor((batchBytes - BATCH_HEADER_BYTES) / perRecord));
}

/** A fresh single-partition log under a new temp dir (`prefix` names it); the caller closes the log and removes `dir`. */
export function openBenchLog(opts: { parentDir: string; prefix: string; pageCache: PageCache }): { log: PartitionLog; dir: string } {
  const dir = fs.mkdtempSync(path.join(opts.parentDir, opts.prefix));
  const config = validateLogConfig({ segmentBytes: SEGMENT_BYTES_DEFAULT, messageBytesMax: BENCH_MESSAGE_BYTES_MAX });
  const log = PartitionLog.open({ dir: path.join(dir, 'bench-0'), topic: 'bench', partition: 0, config, pageCache: opts.pageCache, recoveryPoint: 0, cleanShutdown: true });
  return { log, dir };
}

/** A rate with an M/k suffix past 10^6/10^4, whole units below. */
export function formatRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

/** The first two table cells of a row: the record size and the batch (records x = KiB). */
export function recordAndBatchCells(r: { recordBytes: number; recordsPerBatch: number; batchBytes: number }): [string, string] {
  return [r.recordBytes >= 1024 ? `${r.recordBytes / 1024} KiB` : `${r.recordBytes} B`, `${r.recordsPerBatch} x = ${(r.batchBytes / 1024).toFixed(1)} KiB`];
}

/** Prints a table with every column right-aligned. */
export function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(row(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(row(l));
}

export function machineLine(machine: MachineInfo): string {
  return `machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${machine.platform} ${machine.kernel}, node ${machine.nodeVersion}`;
}

/** Writes the run as JSON to `file` when --json was given. */
export function writeJsonReport(file: string | undefined, report: { bench: string; machine: MachineInfo; params: object; rows: object[] }): void {
  if (!file) return;
  fs.writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\nwrote ${file}`);
}
