// Facts about the machine a run measured, recorded with every result so a
// figure is never read without knowing what produced it.

import os from 'node:os';
import type { MachineInfo, Params } from './types.ts';

/** Machine facts; the load averages are the 1-minute figure when the run began and the highest seen during it. */
export function machineInfo(loadAverageStart: number = os.loadavg()[0], loadAverageMax: number = loadAverageStart): MachineInfo {
  const loadAverageEnd = os.loadavg()[0];
  const cpus = os.cpus();
  return {
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    cpuModel: cpus[0]?.model.trim() || 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryBytes: os.totalmem(),
    loadAverageStart,
    loadAverageEnd,
    loadAverageMax: Math.max(loadAverageStart, loadAverageEnd, loadAverageMax),
  };
}

/** Load the run may add beyond the core count by itself: its broker and client keep about one core each, plus short-lived helpers. */
const BENCH_OWN_LOAD = 1;

/** A warning when other work competed for the CPUs during the run, or null. */
export function busyWarning(m: MachineInfo): string | null {
  if (m.loadAverageMax <= m.cores + BENCH_OWN_LOAD) return null;
  return `the machine was busy (1-minute load average up to ${m.loadAverageMax.toFixed(1)} on ${m.cores} cores; ${m.loadAverageStart.toFixed(1)} at the start, ${m.loadAverageEnd.toFixed(1)} at the end): other processes competed for the CPUs, so throughput may be low and latency high; rerun on an idle machine before quoting`;
}

/**
 * The fsync policy in words, from the broker's flush options: copyless, like
 * Kafka, leaves durability to the OS page cache unless `flushIntervalMessages`
 * or `flushIntervalMs` is set; acks=all additionally waits for fdatasync of
 * the batch (the single-broker stand-in for "in sync replicas have it").
 */
export function fsyncPolicyLabel(config: Params): string {
  const messages = Number(config.flushIntervalMessages ?? Infinity);
  const ms = Number(config.flushIntervalMs ?? Infinity);
  const timer =
    Number.isFinite(messages) || Number.isFinite(ms)
      ? `fsync every ${Number.isFinite(messages) ? `${messages} messages` : ''}${Number.isFinite(messages) && Number.isFinite(ms) ? ' or ' : ''}${Number.isFinite(ms) ? `${ms} ms` : ''}`
      : 'NO FSYNC on a timer (writes reach the OS page cache only)';
  return `${timer}; acks=all waits for fdatasync`;
}
