// The shapes of a benchmark run's results: what the terminal table, the JSON
// file (`--json`) and the HTML report (`--report`) are all made from. The JSON
// file is exactly a `BenchReport`; `schema` names its version so a reader can
// refuse a file it does not understand.

import type { Summary } from './stats.ts';

export const REPORT_SCHEMA = 'copyless-bench/1';

export type ParamValue = string | number | boolean | null;
export type Params = Record<string, ParamValue>;

/** A column of a scenario's table: a metric key in each case's `metrics`, how to label and format it. */
export interface Column {
  key: string;
  label: string;
  /** Display unit; also picks the formatter: 'rec/s', 'B/s', '%', 's/GiB', 'ms', 'count', 'ratio', 'x' (a multiple). */
  unit: Unit;
}

export type Unit = 'rec/s' | 'B/s' | '%' | 's/GiB' | 'ms' | 'count' | 'ratio' | 'x';

/** A time series for a chart: x in seconds from the start of the case, y in the series' unit. */
export interface Series {
  label: string;
  unit: Unit;
  points: Array<[number, number]>;
}

/** One measured configuration of a scenario (a row of its table), repeated `repeats` times. */
export interface CaseResult {
  /** Unique within its scenario, e.g. `sendfile/warm/1MiB`. */
  id: string;
  label: string;
  /** Every parameter that shaped the measurement. */
  params: Params;
  /** Metric key -> median, min, max and spread over the repeats. */
  metrics: Record<string, Summary>;
  series?: Series[];
  /** Scenario-specific facts that are not repeated figures (per-fetch accounting, phase boundaries). */
  detail?: Record<string, unknown>;
  /** Why this case's figures are unreliable (too short, noisy, coarse CPU; see reliability.ts); absent when they are not. */
  caveats?: string[];
}

export interface ScenarioResult {
  name: string;
  title: string;
  durationMs: number;
  /**
   * The broker's durability counters over the scenario (every broker it
   * started, or the external one): real fsyncs and what the simulated cache
   * wrote back. Null when the broker does not report them (an older broker).
   */
  durability?: DurabilityCounts | null;
  columns: Column[];
  cases: CaseResult[];
  /** What a reader must know to read the figures (what was modelled, what was skipped and why). */
  notes: string[];
  /** Set when the scenario could not run; its cases are then whatever finished. */
  error?: string;
}

export interface MachineInfo {
  nodeVersion: string;
  platform: string;
  kernel: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** 1-minute load average when the run started, when it ended, and the highest seen every 5 s in between: above `cores`, other work competed for the CPUs. */
  loadAverageStart: number;
  loadAverageEnd: number;
  loadAverageMax: number;
}

/** How the broker counts scatter/gather DMA for sendfile, modelled and native alike (stats `sgDma`). */
export interface SgDmaAssumption {
  enabled: boolean;
  /** Where the assumption came from: the --sg-dma flag, detected from the socket's device, or the default. */
  source: 'flag' | 'detected' | 'default';
  /** In words, e.g. "loopback interface lo: scatter-gather on". */
  detail: string;
}

/** Durability work the broker did (stats `durability`); a scenario reports the difference over its run. */
export interface DurabilityCounts {
  /** Real fdatasync calls for log data, whatever the cause (acks=all, flush policy, close, ...). */
  fsyncs: number;
  /** Bytes those fsyncs covered (the broker's best estimate). */
  fsyncBytes: number;
  /** Pages and bytes the simulated page cache wrote back (bookkeeping of the model). */
  writeBackPages: number;
  writeBackBytes: number;
}

/** The broker a run measured: a child process it started, or an existing one (`--broker`). */
export interface BrokerUnderTest {
  kind: 'child' | 'external';
  address: string | null;
  /** Whether broker CPU time was measured (only for a child broker, from /proc/<pid>/stat). */
  cpuMeasured: boolean;
  /** How durable an acknowledged write is, e.g. "no fsync on a timer; acks=all waits for fdatasync". */
  fsyncPolicy: string;
  nativeAvailable: boolean | null;
  nativeReason: string | null;
  /** The SG-DMA assumption the broker reported (stats `sgDma`); null when it does not report one. */
  sgDma?: SgDmaAssumption | null;
  /** Broker options the run set or read back (page cache size, policy, segment bytes, ...). */
  config: Params;
}

/** The machine's own ceilings, measured in the same run (the `limits` scenario). */
export interface Ceilings {
  /** Loopback TCP between two Node processes, 1 MiB writes, bytes per second. */
  loopbackBytesPerSec: number | null;
  /** The same with one extra user-space copy of each write before it is sent. */
  loopbackCopyBytesPerSec: number | null;
  /** Buffer.copy of large buffers in Node, bytes per second. */
  memcpyBytesPerSec: number | null;
  /** p99 of a 100-byte loopback ping-pong between two Node processes, ms: the latency floor. */
  rttMsP99: number | null;
}

/** One of the benchmark's targets (bench/README.md): met, missed (by how much), or not measured in this run. */
export interface TargetResult {
  id: string;
  description: string;
  status: 'met' | 'missed' | 'not measured' | 'info';
  /** The measured figure and the target in words, e.g. "1.21 M rec/s vs >= 1.00 M rec/s (+21%)". */
  detail: string;
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  command: string;
  startedAt: string;
  durationMs: number;
  quick: boolean;
  repeats: number;
  machine: MachineInfo;
  broker: BrokerUnderTest;
  ceilings: Ceilings;
  scenarios: ScenarioResult[];
  targets: TargetResult[];
  /** "What this run shows": sentences computed from the figures (report/conclusions.ts). */
  conclusions: string[];
}
