// The broker under test, in a process of its own so the benchmark can read
// its CPU time from /proc and so clients and broker never share an event
// loop. Started by broker-handle.ts as
//   node --import tsx bench/broker-process.ts '<json options>'
// with a temp data dir the parent owns; reports its port and resolved config
// once listening (see child.ts for the IPC protocol).

import fs from 'node:fs';
import path from 'node:path';
import { startBroker } from '../broker/server.ts';
import type { OptionName } from '../broker/config.ts';
import { dropFileCache, native } from '../broker/native/index.ts';
import { serveParent } from './child.ts';
import { loopDelayHandlers } from './loop-delay.ts';

export interface BrokerReady {
  host: string;
  port: number;
  pid: number;
  config: Record<string, unknown>;
  native: { available: boolean; reason: string | null };
}

export interface CacheDrop {
  /** Pages dropped from the broker's simulated page cache (CopylessDropCaches). */
  simulatedPages: number;
  /** Files whose pages were dropped from the OS page cache (posix_fadvise DONTNEED); 0 without the addon. */
  osFiles: number;
  osDropped: boolean;
}

/** Segment and index files under the data dir: every file whose OS cached pages a cold run must drop. */
function dataFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...dataFiles(full));
    else if (entry.isFile() && /\.(log|index|timeindex)$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** Drop the OS page cache of every data file: any descriptor of a file drops that file's pages. */
function dropOsCache(dir: string): number {
  let files = 0;
  for (const file of dataFiles(dir)) {
    const fd = fs.openSync(file, 'r');
    try {
      dropFileCache(fd);
      files++;
    } finally {
      fs.closeSync(fd);
    }
  }
  return files;
}

async function run(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as Partial<Record<OptionName, unknown>> & { dataDir: string };
  const running = await startBroker({ ...options, port: 0, httpPort: -1 }, { logLevel: 'silent' });
  const ready: BrokerReady = {
    host: running.host,
    port: running.port,
    pid: process.pid,
    config: { ...running.config },
    native: { available: native.available, reason: native.reason },
  };
  serveParent(
    {
      dropCaches: (): CacheDrop => {
        const simulatedPages = running.broker.pageCache.dropCaches();
        const osFiles = native.available ? dropOsCache(options.dataDir) : 0;
        return { simulatedPages, osFiles, osDropped: native.available };
      },
      stats: () => running.broker.stats(),
      cpuUsage: () => process.cpuUsage(),
      ...loopDelayHandlers,
    },
    ready,
    () => running.close(),
  );
}

run().catch((e) => {
  process.stderr.write(`broker-process: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
