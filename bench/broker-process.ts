// The broker under test, in a process of its own so the benchmark can read
// its CPU time from /proc and so clients and broker never share an event
// loop. Started by broker-handle.ts as
//   node --import tsx bench/broker-process.ts '<json options>'
// with a temp data dir the parent owns; reports its port and resolved config
// once listening (see child.ts for the IPC protocol).

import { startBroker } from '../broker/server.ts';
import type { OptionName } from '../broker/config.ts';
import { native } from '../broker/native/index.ts';
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
        const { droppedPages, osFiles, osDropped } = running.broker.dropCaches();
        return { simulatedPages: droppedPages, osFiles, osDropped };
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
