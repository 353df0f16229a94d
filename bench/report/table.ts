// The terminal form of a report: the machine and broker header, "What this
// run shows", one table per scenario (median ±spread over the repeats, cases
// flagged unreliable marked), its notes and fsyncs, and the targets.

import { busyWarning } from '../machine.ts';
import type { BenchReport, ScenarioResult } from '../types.ts';
import { MODELLED_VS_REAL, durabilityLabel, formatSummary, formatValue, sgDmaLabel } from './format.ts';

/** Appended to the label of a case whose figures are flagged unreliable. */
export const UNRELIABLE_MARK = ' (!)';

export function renderHeader(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `copyless bench: ${r.command}`,
    `machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.nodeVersion}, ${m.platform} ${m.kernel}`,
    `broker: ${r.broker.kind === 'child' ? 'child process per scenario (CPU measured from /proc)' : `external ${r.broker.address} (broker CPU NOT measured)`}; ${r.broker.fsyncPolicy}; fsyncs counted per scenario below`,
    `SG-DMA assumption: ${sgDmaLabel(r.broker.sgDma)}`,
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

/** "What this run shows" and the modelled-versus-real note: the part to read first. */
export function renderConclusions(r: BenchReport): string {
  if (r.conclusions.length === 0) return '';
  return ['== What this run shows', ...r.conclusions.map((c) => `- ${c}`), `- Modelled vs real: ${MODELLED_VS_REAL}`].join('\n');
}

/** A plain text table; the first column is left-aligned, the rest right-aligned (figures) unless `leftAll`. */
export function textTable(head: string[], rows: string[][], leftAll = false): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || leftAll ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderScenario(s: ScenarioResult): string {
  const head = ['case', ...s.columns.map((c) => c.label)];
  const rows = s.cases.map((c) => [`${c.label}${c.caveats?.length ? UNRELIABLE_MARK : ''}`, ...s.columns.map((col) => formatSummary(c.metrics[col.key], col.unit))]);
  const broker = s.durability === undefined ? '' : `; broker: ${durabilityLabel(s.durability)}`;
  const parts = [`== ${s.name}: ${s.title} (${(s.durationMs / 1000).toFixed(1)} s${broker})`];
  if (rows.length > 0) parts.push(textTable(head, rows));
  for (const c of s.cases) if (c.caveats?.length) parts.push(`  ${UNRELIABLE_MARK.trim()} ${c.label}: ${c.caveats.join('; ')}`);
  for (const n of s.notes) parts.push(`  note: ${n}`);
  if (s.error) parts.push(`  ERROR: ${s.error}`);
  return parts.join('\n');
}

export function renderTargets(r: BenchReport): string {
  if (r.targets.length === 0) return '';
  const rows = r.targets.map((t) => [t.status.toUpperCase(), t.description, t.detail]);
  return `== targets\n${textTable(['status', 'target', 'measured'], rows, true)}`;
}

export function renderReport(r: BenchReport): string {
  return [renderHeader(r), renderConclusions(r), ...r.scenarios.map(renderScenario), renderTargets(r), `total ${(r.durationMs / 1000).toFixed(1)} s`]
    .filter(Boolean)
    .join('\n\n');
}
