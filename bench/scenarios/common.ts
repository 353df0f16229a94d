// Helpers shared by the scenarios: broker lifetime, CPU figures around a
// measurement, and the load jobs run in client processes.

import type { BrokerHandle } from '../broker-handle.ts';
import type { Child } from '../child.ts';
import type { ConsumeJob, ConsumeJobResult } from '../jobs/consume.ts';
import type { ProduceJob, ProduceJobResult } from '../jobs/produce.ts';
import { cpuDelta, processCpu, type CpuTimes } from '../proc-stat.ts';
import type { BenchContext } from '../runner.ts';
import type { Params } from '../types.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Start a broker with `options`, run `fn`, and always stop it. */
export async function withBroker<T>(ctx: BenchContext, options: Params, fn: (broker: BrokerHandle) => Promise<T>): Promise<T> {
  const broker = await ctx.broker(options);
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

/** CPU time of the broker and the given client processes, to subtract after a measurement. */
export interface CpuMark {
  broker: CpuTimes | null;
  clients: Array<CpuTimes | null>;
  atMs: number;
}

export function cpuMark(broker: BrokerHandle, clients: Child[]): CpuMark {
  return { broker: broker.cpu(), clients: clients.map((c) => processCpu(c.pid)), atMs: performance.now() };
}

/**
 * Figures from two marks around a measurement that moved `bytes`: broker CPU
 * seconds per GiB (user, system, total) and each side's CPU use as a
 * percentage of one core (client: the busiest client process).
 */
export function cpuFigures(before: CpuMark, after: CpuMark, bytes: number, busySeconds?: number): Record<string, number> {
  const out: Record<string, number> = {};
  // Idle time inside the marks (a synchronised start) costs no CPU, so the busy span is the fair denominator.
  const seconds = busySeconds ?? (after.atMs - before.atMs) / 1000;
  const b = cpuDelta(before.broker, after.broker);
  if (b && bytes > 0) {
    const gib = bytes / GiB;
    out.brokerUserSecPerGiB = b.userSec / gib;
    out.brokerSysSecPerGiB = b.systemSec / gib;
    out.brokerCpuSecPerGiB = (b.userSec + b.systemSec) / gib;
  }
  if (b && seconds > 0) out.brokerCpuPct = ((b.userSec + b.systemSec) / seconds) * 100;
  const clients = before.clients.map((c, i) => cpuDelta(c, after.clients[i])).filter((c): c is CpuTimes => c !== null);
  if (clients.length > 0 && seconds > 0) out.clientCpuPct = (Math.max(...clients.map((c) => c.userSec + c.systemSec)) / seconds) * 100;
  return out;
}

export function produce(client: Child, job: ProduceJob): Promise<ProduceJobResult> {
  return client.call<ProduceJobResult>('produce', job);
}

export function consume(client: Child, job: ConsumeJob): Promise<ConsumeJobResult> {
  return client.call<ConsumeJobResult>('consume', job);
}

export function sizeLabel(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB}MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB}KiB`;
  return `${bytes}B`;
}
