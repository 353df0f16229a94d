// The broker a benchmark measures, seen from the runner: either a child
// process started on a fresh temp data dir (bench/broker-process.ts), whose
// CPU time is read from /proc, or an existing broker named with `--broker`,
// whose CPU the runner cannot see (every report says so).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from './child.ts';
import type { BrokerReady, CacheDrop } from './broker-process.ts';
import { processCpu, type CpuTimes } from './proc-stat.ts';
import type { LoopDelay } from './loop-delay.ts';
import type { Params } from './types.ts';

const BROKER_ENTRY = fileURLToPath(new URL('./broker-process.ts', import.meta.url));

export interface BrokerHandle {
  readonly kind: 'child' | 'external';
  /** host:port of the Kafka listener. */
  readonly address: string;
  /** The broker's resolved options (read back from it). */
  readonly config: Params;
  readonly nativeAvailable: boolean | null;
  readonly nativeReason: string | null;
  /** CPU time of the broker process so far; null for an external broker or without /proc. */
  cpu(): CpuTimes | null;
  /** Empty the simulated page cache and (child broker with the addon) the OS page cache of the data files. */
  dropCaches(): Promise<CacheDrop>;
  /** The broker's stats snapshot (CopylessStats: fetch modes, page cache, and on newer brokers sgDma and durability). */
  stats(): Promise<unknown>;
  /** Reset / read the broker's event-loop delay monitor; null for an external broker. */
  loopDelay(reset?: boolean): Promise<LoopDelay | null>;
  /** Stop the child broker and remove its data dir; an external broker is left running. */
  stop(): Promise<void>;
}

/** Start a broker in a child process on a new temp data dir with these options (broker config names). */
export async function startChildBroker(options: Params): Promise<BrokerHandle> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-bench-'));
  let child: Child;
  try {
    child = await Child.start(BROKER_ENTRY, { name: 'broker', args: [JSON.stringify({ ...options, dataDir })] });
  } catch (e) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const ready = child.info as BrokerReady;
  return {
    kind: 'child',
    address: `${ready.host}:${ready.port}`,
    config: plainParams(ready.config),
    nativeAvailable: ready.native.available,
    nativeReason: ready.native.reason,
    cpu: () => processCpu(child.pid),
    dropCaches: () => child.call<CacheDrop>('dropCaches'),
    stats: () => child.call('stats'),
    loopDelay: (reset = false) => (reset ? child.call('loopDelayReset').then(() => null) : child.call<LoopDelay>('loopDelay')),
    async stop() {
      await child.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * An existing broker. `info` is what it answered to CopylessBrokerInfo (or
 * null for a plain Kafka broker); `dropSimulated` calls CopylessDropCaches.
 * Its OS page cache cannot be dropped from here: cold runs say so.
 */
export function externalBroker(
  address: string,
  info: { config?: Record<string, unknown>; fetchModes?: { native?: { available?: boolean; reason?: string | null } } } | null,
  dropSimulated: () => Promise<number>,
  stats: () => Promise<unknown> = async () => null,
): BrokerHandle {
  return {
    kind: 'external',
    address,
    config: plainParams(info?.config ?? {}),
    nativeAvailable: info?.fetchModes?.native?.available ?? null,
    nativeReason: info?.fetchModes?.native?.reason ?? null,
    cpu: () => null,
    dropCaches: async () => ({ simulatedPages: await dropSimulated(), osFiles: 0, osDropped: false }),
    stats,
    loopDelay: async () => null,
    stop: async () => {},
  };
}

/** Keep the scalar options (what a report can show); Infinity stays a number for the fsync label. */
function plainParams(config: Record<string, unknown>): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'httpToken') continue;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
