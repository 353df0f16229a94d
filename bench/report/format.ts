// Number formatting shared by the terminal table and the HTML report. Rates
// use decimal prefixes (GB/s = 10^9 bytes per second, as network and the
// issue's reference figures do); CPU cost is per binary GiB served.

import type { Summary } from '../stats.ts';
import type { Unit } from '../types.ts';

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
