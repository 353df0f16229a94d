// Prints the classic zero-copy table with copyless's own MODELLED counts for one
// cold and one warm 1 MiB fetch in each modelled fetch mode. docs/zero-copy.md
// quotes its output. Usage: npx tsx bench/fetch-model-table.ts [--json]
//
// Scenario (every parameter stated):
//   - one segment file of SEGMENT_BYTES on the local disk, registered with a
//     fresh simulated page cache of PAGE_CACHE_BYTES (two-list policy, default
//     read-ahead of 32 pages) and a fresh FetchModel, per mode;
//   - cold: the first fetch of [0, FETCH_BYTES) (a consumer starting at the
//     beginning of the segment: nothing is cached, the read counts as sequential
//     so read-ahead runs); warm: the same fetch again (a second consumer reading
//     what the first just read);
//   - one partition, so one slice; the response header is left out (it is one
//     more write(2) in every mode, reported separately as headerSyscalls).
// These are counts from the model, not measurements of the kernel.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PageCache } from '../src/storage/page-cache.ts';
import { FetchModel } from '../src/fetch/fetch-model.ts';
import type { FetchAccounting } from '../src/fetch/accounting.ts';
import type { ModelledFetchMode } from '../src/fetch/fetch-mode.ts';

const MiB = 1024 * 1024;
const SEGMENT_BYTES = 4 * MiB;
const PAGE_CACHE_BYTES = 64 * MiB;
const FETCH_BYTES = 1 * MiB;

interface Row {
  label: string;
  mode: ModelledFetchMode;
  sgDma: boolean;
}

const ROWS: Row[] = [
  { label: 'copy (read + write)', mode: 'copy', sgDma: false },
  { label: 'mmap + write', mode: 'mmap', sgDma: false },
  { label: 'sendfile', mode: 'sendfile', sgDma: false },
  { label: 'sendfile + SG-DMA', mode: 'sendfile', sgDma: true },
  { label: 'splice', mode: 'splice', sgDma: false },
  { label: 'splice + SG-DMA', mode: 'splice', sgDma: true },
];

function measure(file: string, row: Row): { cold: FetchAccounting; warm: FetchAccounting } {
  const fd = fs.openSync(file, 'r');
  try {
    const pc = new PageCache({ capacityBytes: PAGE_CACHE_BYTES });
    const fileId = pc.registerFile({ name: path.basename(file), fd, size: SEGMENT_BYTES });
    const model = new FetchModel(pc);
    const slice = [{ fileId, position: 0, length: FETCH_BYTES, segmentKey: 'topic-0/00000000000000000000' }];
    const cold = model.serve(row.mode, slice, { sgDma: row.sgDma });
    cold.release();
    const warm = model.serve(row.mode, slice, { sgDma: row.sgDma });
    warm.release();
    return { cold: cold.accounting, warm: warm.accounting };
  } finally {
    fs.closeSync(fd);
  }
}

function table(title: string, rows: { label: string; a: FetchAccounting }[]): string {
  const head =
    '| mode | syscalls | mode switches | page faults major / minor | CPU copies | CPU bytes k→u / u→k / k→k | DMA copies | ' +
    'DMA bytes disk→cache / cache→NIC / sockbuf→NIC | hits / misses / read-ahead pages | pinned pages | mmap / pipe |';
  const sep = '|' + ' --- |'.repeat(11);
  const lines = rows.map(({ label, a }) =>
    `| ${label} | ${a.syscalls} | ${a.modeSwitches} | ${a.majorFaults} / ${a.minorFaults} | ${a.cpuCopies} | ` +
      `${a.cpuCopyBytesKernelToUser} / ${a.cpuCopyBytesUserToKernel} / ${a.cpuCopyBytesKernelToKernel} | ${a.dmaCopies} | ` +
      `${a.dmaBytesDiskToCache} / ${a.dmaBytesCacheToNic} / ${a.dmaBytesSocketToNic} | ` +
      `${a.pageCacheHits} / ${a.pageCacheMisses} / ${a.readAheadPages} | ${a.pinnedPages} | ${a.mmaps} / ${a.pipes} |`,
  );
  return [`**${title}**`, '', head, sep, ...lines].join('\n');
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-fetch-table-'));
  try {
    const file = path.join(dir, '00000000000000000000.log');
    fs.writeFileSync(file, Buffer.alloc(SEGMENT_BYTES, 0x61));
    const results = ROWS.map((row) => ({ row, ...measure(file, row) }));
    if (process.argv.includes('--json')) {
      const json = Object.fromEntries(results.map((r) => [r.row.label, { cold: r.cold, warm: r.warm }]));
      console.log(JSON.stringify({ fetchBytes: FETCH_BYTES, segmentBytes: SEGMENT_BYTES, modelled: true, results: json }, null, 2));
      return;
    }
    console.log(`MODELLED counts (not kernel measurements) for one ${FETCH_BYTES} B fetch from a ${SEGMENT_BYTES} B segment, ` +
      `page cache ${PAGE_CACHE_BYTES} B, two-list, read-ahead max 32 pages.\n`);
    console.log(table(`Cold cache: first fetch of [0, ${FETCH_BYTES})`, results.map((r) => ({ label: r.row.label, a: r.cold }))));
    console.log('');
    console.log(table('Warm cache: the same fetch again', results.map((r) => ({ label: r.row.label, a: r.warm }))));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
