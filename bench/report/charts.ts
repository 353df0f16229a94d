// The report's charts, built from a BenchReport: which cases feed which
// chart. Every chart is always present (an empty one says "no data in this
// run"), so a reader finds the same figures in every report.

import type { BenchReport, CaseResult, ScenarioResult } from '../types.ts';
import { formatBytes, formatValue, sgDmaLabel } from './format.ts';
import { type BarSeries, renderBarChart, renderLineChart } from './svg.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GB = 1e9;

export interface ChartEntry {
  id: string;
  title: string;
  svg: string;
  /** How to read it, one or two sentences under the chart. */
  caption: string;
}

export const MODE_ORDER = ['copy', 'mmap', 'sendfile', 'splice', 'native-copy', 'native-sendfile'];

/**
 * The classic zero-copy table, per transfer of one file range, as the
 * textbooks print it (../shared/reference/zero-copy-and-page-cache.md §1):
 * user<->kernel switches and CPU copies. It counts mmap's mmap() with every
 * transfer and splice as "2" switches; the model counts per system call
 * (mmap once per segment, splice twice), so those two bars differ on purpose.
 * sendfile is listed without scatter/gather DMA (1 CPU copy); the chart
 * follows the run's SG-DMA assumption (0 with it). The native modes are the
 * real calls of the read+write and sendfile rows.
 */
export const CLASSIC_MODEL: Record<string, { modeSwitches: number; cpuCopies: number }> = {
  copy: { modeSwitches: 4, cpuCopies: 2 },
  mmap: { modeSwitches: 4, cpuCopies: 1 },
  sendfile: { modeSwitches: 2, cpuCopies: 1 },
  splice: { modeSwitches: 2, cpuCopies: 0 },
  'native-copy': { modeSwitches: 4, cpuCopies: 2 },
  'native-sendfile': { modeSwitches: 2, cpuCopies: 1 },
};

/** The classic table's CPU copies for a mode: with scatter/gather DMA, sendfile copies nothing on the CPU. */
function classicCopies(mode: string, sgDma: boolean): number | null {
  const row = CLASSIC_MODEL[mode];
  if (!row) return null;
  return sgDma && (mode === 'sendfile' || mode === 'native-sendfile') ? 0 : row.cpuCopies;
}

function scenario(r: BenchReport, name: string): ScenarioResult | undefined {
  return r.scenarios.find((s) => s.name === name);
}

function pick(s: ScenarioResult | undefined, where: Record<string, unknown>): CaseResult[] {
  return (s?.cases ?? []).filter((c) => Object.entries(where).every(([k, v]) => c.params[k] === v));
}

function modesIn(cases: CaseResult[]): string[] {
  const present = new Set(cases.map((c) => String(c.params.mode)));
  return MODE_ORDER.filter((m) => present.has(m));
}

/** Median, min-max range and unreliable flag of `metric` for each case (null where a case or figure is missing). */
function barOf(cases: Array<CaseResult | undefined>, metric: string): Pick<BarSeries, 'values' | 'ranges' | 'pale'> {
  const m = (c: CaseResult | undefined) => c?.metrics[metric];
  return {
    values: cases.map((c) => m(c)?.median ?? null),
    ranges: cases.map((c) => (m(c) ? ([m(c)!.min, m(c)!.max] as [number, number]) : null)),
    pale: cases.map((c) => Boolean(c?.caveats?.length)),
  };
}

const readerOf = (c: CaseResult) => String(c.params.reader ?? 'sdk');

const gbps = (v: number) => `${(v / GB).toFixed(v >= 10 * GB ? 0 : 2)} GB/s`;

function throughputChart(r: BenchReport): ChartEntry {
  const consume = scenario(r, 'consume');
  const warm = pick(consume, { cache: 'warm', sweep: false });
  const modes = modesIn(warm);
  const combos = [...new Set(warm.map((c) => `${c.params.recordBytes}|${c.params.fetchBytes}|${readerOf(c)}`))];
  const series = combos.map((combo) => {
    const [rec, fetch] = combo.split('|').map(Number);
    const reader = combo.split('|')[2];
    const find = (m: string) => warm.find((c) => c.params.mode === m && c.params.recordBytes === rec && c.params.fetchBytes === fetch && readerOf(c) === reader);
    return { label: `${formatBytes(rec)} records, ${formatBytes(fetch)} fetches, ${reader === 'wire' ? 'wire' : 'SDK'} consumer`, ...barOf(modes.map(find), 'bytesPerSec') };
  });
  const ceiling = r.ceilings.loopbackBytesPerSec;
  return {
    id: 'throughput-per-mode',
    title: 'Consumer throughput per fetch mode (warm cache)',
    svg: renderBarChart({ title: 'Consumer throughput per fetch mode (warm cache)', yLabel: 'GB/s (record bytes)', groups: modes, series, refLines: ceiling ? [{ label: 'loopback ceiling', value: ceiling }] : [], format: gbps }),
    caption: 'Stored bytes of whole record batches delivered to one consumer per second: median of the repeats, whiskers from the lowest to the highest repeat, pale dashed bars flagged unreliable. The SDK consumer decodes every record; the wire consumer only checks CRCs, so its bars show what the broker and loopback can serve. The dashed line is raw loopback TCP between two Node processes measured in this run.',
  };
}

function cpuChart(r: BenchReport): ChartEntry {
  const consume = scenario(r, 'consume');
  const all = pick(consume, { cache: 'warm', sweep: false, recordBytes: 64 * KiB, fetchBytes: MiB });
  // The broker's cost per byte, measured where the client does not hold it back: the wire consumer where it ran.
  const wire = all.filter((c) => readerOf(c) === 'wire');
  const cases = wire.length > 0 ? wire : all;
  const modes = modesIn(cases);
  const find = (m: string) => cases.find((c) => c.params.mode === m);
  return {
    id: 'cpu-per-gib',
    title: 'Broker CPU seconds per GiB served, per fetch mode',
    svg: renderBarChart({
      title: `Broker CPU per GiB served (64 KiB records, 1 MiB fetches, warm, ${wire.length > 0 ? 'wire' : 'SDK'} consumer)`,
      yLabel: 'CPU seconds per GiB',
      groups: modes,
      series: [
        { label: 'user', ...barOf(modes.map(find), 'brokerUserSecPerGiB') },
        { label: 'system', ...barOf(modes.map(find), 'brokerSysSecPerGiB') },
        { label: 'total', ...barOf(modes.map(find), 'brokerCpuSecPerGiB') },
      ],
      format: (v) => `${v.toFixed(2)} s`,
    }),
    caption: 'CPU time of the broker process (utime and stime from /proc/<pid>/stat, 10 ms ticks) divided by the GiB it served, over the same span as the throughput: median with min-max whiskers. Lower is better; it is what a mode costs per byte. mmap, sendfile and splice (modelled) run the same code, so their bars differ by noise only.',
  };
}

function sweepCharts(r: BenchReport): ChartEntry[] {
  const sweep = pick(scenario(r, 'consume'), { sweep: true });
  const modes = modesIn(sweep);
  const line = (key: string) =>
    modes.map((m) => {
      const cases = sweep.filter((c) => c.params.mode === m && c.metrics[key]).sort((a, b) => Number(a.params.fetchBytes) - Number(b.params.fetchBytes));
      return {
        label: m,
        points: cases.map((c) => [Number(c.params.fetchBytes), c.metrics[key].median] as [number, number]),
        ranges: cases.map((c) => [c.metrics[key].min, c.metrics[key].max] as [number, number]),
        pale: cases.map((c) => Boolean(c.caveats?.length)),
      };
    });
  const sizeLabel = (v: number) => formatBytes(v);
  return [
    {
      id: 'native-sweep-throughput',
      title: 'Native modes across fetch sizes: throughput',
      svg: renderLineChart({ title: 'native-sendfile vs native-copy: throughput by fetch size (warm)', xLabel: 'fetch size (bytes per Fetch, and per system call up to the call limit)', yLabel: 'GB/s', series: line('bytesPerSec'), xLog2: true, xFormat: sizeLabel, yFormat: gbps }),
      caption: 'Real system calls (the addon), real OS page cache. Small fetches pay per-request overhead in both processes; large ones amortise it, and the copy path then competes with sendfile (see bench/README.md).',
    },
    {
      id: 'native-sweep-cpu',
      title: 'Native modes across fetch sizes: CPU per GiB',
      svg: renderLineChart({ title: 'native-sendfile vs native-copy: broker CPU per GiB by fetch size', xLabel: 'fetch size', yLabel: 'CPU s/GiB', series: line('brokerCpuSecPerGiB'), xLog2: true, xFormat: sizeLabel, yFormat: (v) => `${v.toFixed(2)}` }),
      caption: 'Broker user+system CPU per GiB served at each fetch size. Where the lines cross is where pread+write stops losing to sendfile.',
    },
  ];
}

function latencyChart(r: BenchReport): ChartEntry {
  const cases = scenario(r, 'latency')?.cases ?? [];
  const keys: Array<[string, string]> = [
    ['latencyMsP50', 'p50'],
    ['latencyMsP99', 'p99'],
    ['latencyMsP999', 'p99.9'],
    ['latencyMsMax', 'max'],
  ];
  return {
    id: 'latency-percentiles',
    title: 'End-to-end latency percentiles',
    svg: renderBarChart({
      title: 'End-to-end latency by offered rate (coordinated-omission corrected)',
      yLabel: 'milliseconds',
      groups: cases.map((c) => c.label),
      series: keys.map(([key, label]) => ({ label, ...barOf(cases, key) })),
      refLines: cases.length ? [{ label: 'target p99', value: 5 }] : [],
      format: (v) => `${+v.toPrecision(2)} ms`,
      logY: true,
    }),
    caption: 'From the time each record was due to be sent (not when it was actually sent) to the time the consumer received it, so a stalled producer shows up as latency instead of hiding it.',
  };
}

function catchUpChart(r: BenchReport): ChartEntry {
  const cases = scenario(r, 'catch-up')?.cases ?? [];
  const series = cases.flatMap((c) => (c.series ?? []).map((s) => ({ label: s.label, points: s.points })));
  const phases = (cases[0]?.detail?.phases as Array<{ from: number; to: number; label: string }> | undefined) ?? [];
  return {
    id: 'catch-up-hit-ratio',
    title: 'Tail consumers\' page-cache hit ratio during a catch-up read',
    svg: renderLineChart({ title: 'Tail consumers: page-cache hit ratio over time (x = seconds from the replay start)', xLabel: 'seconds from the start of the replay', yLabel: 'hit ratio', series, bands: phases, yMin: 0, yMax: 1, yFormat: (v) => `${(v * 100).toFixed(0)}%` }),
    caption: 'Per-window page-cache hits / (hits + misses) of the tail consumers\' fetches, from the CopylessFetch accounting; the shaded bands are the phases of the first policy\'s run. Under plain LRU the replay pushes the batching consumer\'s pages out before it reads them; under two-list the pages the caught-up consumer read twice sit on the active list, which the one-pass replay cannot touch.',
  };
}

function accountingChart(r: BenchReport): ChartEntry {
  // One 64 KiB record per fetch is one transfer of one buffer: the unit the classic table counts.
  const cases = pick(scenario(r, 'consume'), { cache: 'warm', sweep: false, recordBytes: 64 * KiB, fetchBytes: 64 * KiB }).filter((c) => readerOf(c) === 'sdk');
  const modes = modesIn(cases);
  const sgDma = r.broker.sgDma?.enabled === true;
  const per = (m: string, key: string) => {
    const a = cases.find((c) => c.params.mode === m)?.detail?.accountingPerFetch as Record<string, number> | undefined;
    return a?.[key] ?? null;
  };
  return {
    id: 'copies-vs-model',
    title: 'Copies and mode switches per fetch, measured next to the classic model',
    svg: renderBarChart({
      title: 'Per fetch of one 64 KiB record: CPU copies and mode switches vs the classic table',
      yLabel: 'count per fetch',
      groups: modes,
      series: [
        { label: 'mode switches (accounting)', values: modes.map((m) => per(m, 'modeSwitches')) },
        { label: 'mode switches (classic table)', values: modes.map((m) => CLASSIC_MODEL[m]?.modeSwitches ?? null) },
        { label: 'CPU copies (accounting)', values: modes.map((m) => per(m, 'cpuCopies')) },
        { label: 'CPU copies (classic table)', values: modes.map((m) => classicCopies(m, sgDma)) },
      ],
      format: (v) => formatValue(v, 'count'),
    }),
    caption: `Record-path counts per Fetch from the CopylessFetch trailer (modelled modes: the model; native modes: the system calls the addon really made, so a 1 MiB slice split into several calls shows more than the table) next to the classic per-transfer table. The table counts mmap() with every transfer and splice as 2 switches; the model counts per system call (mmap once per segment, two splice calls). SG-DMA assumption of this run: ${sgDmaLabel(r.broker.sgDma)}; the table's sendfile rows follow it (${sgDma ? '0 CPU copies' : '1 CPU copy'}).`,
  };
}

function produceChart(r: BenchReport): ChartEntry {
  const cases = scenario(r, 'produce')?.cases ?? [];
  return {
    id: 'produce-throughput',
    title: 'Producer throughput',
    svg: renderBarChart({
      title: 'Producer throughput (records per second)',
      yLabel: 'records/s',
      groups: cases.map((c) => c.id),
      series: [{ label: 'records/s', ...barOf(cases, 'recordsPerSec') }],
      refLines: cases.length ? [{ label: 'target (1 producer, 100 B, acks=1)', value: 1_000_000 }] : [],
      logY: true,
    }),
    caption: 'Records acknowledged per second; case ids are producers/acks/record size. acks=all waits for fdatasync on this single broker.',
  };
}

export function buildCharts(r: BenchReport): ChartEntry[] {
  return [throughputChart(r), cpuChart(r), ...sweepCharts(r), latencyChart(r), catchUpChart(r), accountingChart(r), produceChart(r)];
}
