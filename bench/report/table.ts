// The terminal form of a report: the machine and broker header, one table per
// scenario (median ±spread over the repeats), its notes, and the targets.

import { busyWarning } from '../machine.ts';
import type { BenchReport, ScenarioResult } from '../types.ts';
import { formatSummary, formatValue } from './format.ts';

export function renderHeader(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `copyless bench: ${r.command}`,
    `machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.nodeVersion}, ${m.platform} ${m.kernel}`,
    `broker: ${r.broker.kind === 'child' ? 'child process per scenario (CPU measured from /proc)' : `external ${r.broker.address} (broker CPU NOT measured)`}; ${r.broker.fsyncPolicy}`,
    `repeats: ${r.repeats}${r.quick ? ' (--quick: small runs, for checks, not for quoting)' : ''}; figures are median ±spread (half range / median)`,
  ];
  const c = r.ceilings;
  if (c.loopbackBytesPerSec) {
    lines.push(
      `ceilings: loopback ${formatValue(c.loopbackBytesPerSec, 'B/s')}, loopback+copy ${formatValue(c.loopbackCopyBytesPerSec ?? NaN, 'B/s')}, memcpy ${formatValue(c.memcpyBytesPerSec ?? NaN, 'B/s')}, loopback round trip p99 ${formatValue(c.rttMsP99 ?? NaN, 'ms')}`,
    );
  }
  const busy = busyWarning(m);
  if (busy) lines.push(`WARNING: ${busy}`);
  return lines.join('\n');
}

/** A plain text table; the first column is left-aligned, the rest right-aligned (figures) unless `leftAll`. */
export function textTable(head: string[], rows: string[][], leftAll = false): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || leftAll ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderScenario(s: ScenarioResult): string {
  const head = ['case', ...s.columns.map((c) => c.label)];
  const rows = s.cases.map((c) => [c.label, ...s.columns.map((col) => formatSummary(c.metrics[col.key], col.unit))]);
  const parts = [`== ${s.name}: ${s.title} (${(s.durationMs / 1000).toFixed(1)} s)`];
  if (rows.length > 0) parts.push(textTable(head, rows));
  for (const n of s.notes) parts.push(`  note: ${n}`);
  if (s.error) parts.push(`  ERROR: ${s.error}`);
  return parts.join('\n');
}

export function renderTargets(r: BenchReport): string {
  if (r.targets.length === 0) return '';
  const rows = r.targets.map((t) => [t.status.toUpperCase(), t.description, t.detail]);
  return `== targets (issue #6)\n${textTable(['status', 'target', 'measured'], rows, true)}`;
}

export function renderReport(r: BenchReport): string {
  return [renderHeader(r), ...r.scenarios.map(renderScenario), renderTargets(r), `total ${(r.durationMs / 1000).toFixed(1)} s`]
    .filter(Boolean)
    .join('\n\n');
}
