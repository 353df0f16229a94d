// Helpers shared by the scenarios: broker lifetime, CPU figures around a
// measurement, and the load jobs run in client processes.

import type { BrokerHandle } from '../broker-handle.ts';
import type { Child } from '../child.ts';
import type { ConsumeJob, ConsumeJobResult, SpanEvent } from '../jobs/consume-job.ts';
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
  const clients = before.clients.map((c, i) => cpuDelta(c, after.clients[i])).filter((c): c is CpuTimes => c !== null);
  return spanCpuFigures({ broker: cpuDelta(before.broker, after.broker), clients }, bytes, busySeconds ?? (after.atMs - before.atMs) / 1000);
}

/** CPU time spent over one timed span: the broker's (null when not measurable) and each client process's. */
export interface SpanCpu {
  broker: CpuTimes | null;
  clients: CpuTimes[];
}

/** cpuFigures from CPU times already taken over the `seconds` of the span that moved `bytes`. */
export function spanCpuFigures(cpu: SpanCpu, bytes: number, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  const b = cpu.broker;
  if (b && bytes > 0) {
    const gib = bytes / GiB;
    out.brokerUserSecPerGiB = b.userSec / gib;
    out.brokerSysSecPerGiB = b.systemSec / gib;
    out.brokerCpuSecPerGiB = (b.userSec + b.systemSec) / gib;
  }
  if (b) out.brokerCpuSec = b.userSec + b.systemSec;
  if (b && seconds > 0) out.brokerCpuPct = ((b.userSec + b.systemSec) / seconds) * 100;
  if (cpu.clients.length > 0 && seconds > 0) out.clientCpuPct = (Math.max(...cpu.clients.map((c) => c.userSec + c.systemSec)) / seconds) * 100;
  return out;
}

/** A job result that carries its own timed span and its process's CPU over it. */
export interface SpannedResult {
  startMs: number;
  endMs: number;
  cpu: CpuTimes;
}

/**
 * Runs jobs that each emit a SpanEvent at the start and the end of their
 * timed span, and reads the broker's CPU when the first span starts and when
 * the last one ends: broker CPU, client CPU (each job's own) and time then
 * cover the same span, without connect, topic lookup or disconnect.
 */
export async function spanned<R extends SpannedResult>(broker: BrokerHandle, jobs: Array<(onEvent: (e: SpanEvent) => void) => Promise<R>>): Promise<{ results: R[]; cpu: SpanCpu }> {
  let started = 0;
  let ended = 0;
  let first: CpuTimes | null = null;
  let last: CpuTimes | null = null;
  const onEvent = (e: SpanEvent) => {
    if (e?.span === 'start' && started++ === 0) first = broker.cpu();
    if (e?.span === 'end' && ++ended === jobs.length) last = broker.cpu();
  };
  const results = await Promise.all(jobs.map((job) => job(onEvent)));
  // A job that never emitted (an empty read) leaves the marks unset: no broker figure rather than a wrong one.
  const brokerCpu = started === jobs.length && ended === jobs.length ? cpuDelta(first, last) : null;
  return { results, cpu: { broker: brokerCpu, clients: results.map((r) => r.cpu) } };
}

export function produce(client: Child, job: ProduceJob, onEvent?: (e: SpanEvent) => void): Promise<ProduceJobResult> {
  return client.call<ProduceJobResult>('produce', job, onEvent as ((data: unknown) => void) | undefined);
}

export function consume(client: Child, job: ConsumeJob, onEvent?: (e: SpanEvent) => void): Promise<ConsumeJobResult> {
  return client.call<ConsumeJobResult>('consume', job, onEvent as ((data: unknown) => void) | undefined);
}

export function sizeLabel(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB}MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB}KiB`;
  return `${bytes}B`;
}
