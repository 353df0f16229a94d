// Number formatting shared by the terminal table and the HTML report. Rates
// use decimal prefixes (GB/s = 10^9 bytes per second, as network figures
// are quoted); CPU cost is per binary GiB served.

import type { Summary } from '../stats.ts';
import type { DurabilityCounts, SgDmaAssumption, Unit } from '../types.ts';

const SI: Array<[number, string]> = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

function si(value: number, digits = 3): string {
  for (const [scale, prefix] of SI) {
    if (Math.abs(value) >= scale) return `${precise(value / scale, digits)} ${prefix}`;
  }
  return `${precise(value, digits)} `;
}

/** `digits` significant digits without exponent notation. */
function precise(value: number, digits: number): string {
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  return value.toFixed(Math.max(0, digits - 1 - magnitude));
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'rec/s':
      return `${si(value)}rec/s`;
    case 'B/s':
      return `${si(value)}B/s`;
    case '%':
      return `${value.toFixed(value >= 100 ? 0 : 1)}%`;
    case 'ratio':
      return `${(value * 100).toFixed(1)}%`;
    case 's/GiB':
      return `${precise(value, 2)} s/GiB`;
    case 'ms':
      return `${precise(value, 3)} ms`;
    case 'count':
      return Number.isInteger(value) ? String(value) : precise(value, 3);
    case 'x':
      return `${precise(value, 3)}x`;
  }
}

/** "median ±spread%" (spread omitted with one sample). */
export function formatSummary(s: Summary | undefined, unit: Unit): string {
  if (!s) return '-';
  const value = formatValue(s.median, unit);
  if (s.samples.length < 2) return value;
  return `${value} ±${s.spreadPct === null ? '?' : s.spreadPct.toFixed(s.spreadPct < 10 ? 1 : 0)}%`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return `${v} ${units[i]}`;
}

/** The SG-DMA assumption in words, or n/a when the broker does not report one. */
export function sgDmaLabel(a: SgDmaAssumption | null | undefined): string {
  if (!a) return 'n/a (the broker does not report it)';
  const copies = a.enabled ? '0 CPU copies (the NIC gathers straight from the page cache)' : '1 CPU copy (page cache to socket buffer)';
  return `${a.enabled ? 'on' : 'off'} (${a.source}${a.detail ? `: ${a.detail}` : ''}); sendfile counts ${copies}, modelled and native alike`;
}

/** A scenario's real fsyncs and simulated write-back in words; n/a when the broker does not report them. */
export function durabilityLabel(d: DurabilityCounts | null | undefined): string {
  if (d === undefined) return 'no broker';
  if (d === null) return 'fsyncs n/a (the broker does not report them)';
  const fsyncs = `${d.fsyncs.toLocaleString('en-US')} fsync${d.fsyncs === 1 ? '' : 's'}${d.fsyncs > 0 ? ` covering ${si(d.fsyncBytes)}B` : ''}`;
  return `${fsyncs}; simulated write-back ${d.writeBackPages.toLocaleString('en-US')} pages`;
}

/**
 * Modelled versus real, for the first screen of every report: what a figure
 * of each kind of mode is made of.
 */
export const MODELLED_VS_REAL =
  'Modelled modes (copy, mmap, sendfile, splice) serve from the broker\'s simulated page cache and COUNT what the kernel would do (system calls, copies, faults); they are not kernel zero-copy. copy really copies each response in user space; mmap, sendfile and splice run one identical code path that writes views of the cached pages, so among those three only the counts differ: their throughput and CPU differ by noise alone. Real modes (native-copy, native-sendfile) make real pread(2)+write(2) or sendfile(2) calls through the native addon on the OS page cache: their CPU and counts are real kernel work. Compare copy with the view modes, and native-copy with native-sendfile.';
