// The self-contained HTML report (`--report FILE`): one file with inline CSS
// and inline SVG charts, no script, no font, no image and no link to anything
// outside it, so it opens offline, attaches to an issue and archives as is.

import { busyWarning } from '../machine.ts';
import type { BenchReport, CaseResult, Column, ScenarioResult } from '../types.ts';
import { RELIABILITY_RULES } from '../reliability.ts';
import { buildCharts } from './charts.ts';
import { MODELLED_VS_REAL, durabilityLabel, formatSummary, formatValue, sgDmaLabel } from './format.ts';
import { escapeXml as esc } from './svg.ts';

const CSS = `
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1d1d1f;line-height:1.4}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f5f5f7}
.met{color:#137333;font-weight:600}.missed{color:#c5221f;font-weight:600}.info,.notmeasured{color:#555}
.chart{margin:18px 0}.caption{font-size:13px;color:#444;max-width:760px}
.note{font-size:13px;color:#333}.warn{background:#fff4e5;padding:6px 10px;border-left:4px solid #f29900}
.shows{background:#f2f7ff;border-left:4px solid #4269d0;padding:4px 14px 4px 10px}.shows li{margin:4px 0}
.modes{font-size:13px;background:#f7f7f7;padding:6px 10px;border-left:4px solid #999}
tr.unreliable td{color:#8a6d00}tr.unreliable td:first-child::after{content:" (!)";font-weight:600}
.caveats{font-size:12px;color:#8a6d00}
details{font-size:12px;color:#444}code{background:#f5f5f7;padding:1px 4px}
`;

function kv(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td style="text-align:left">${esc(v)}</td></tr>`).join('')}</table>`;
}

function header(r: BenchReport): string {
  const m = r.machine;
  const c = r.ceilings;
  const rows: Array<[string, string]> = [
    ['command', r.command],
    ['started', `${r.startedAt} (${(r.durationMs / 1000).toFixed(1)} s)`],
    ['machine', `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB RAM, ${m.platform}, kernel ${m.kernel}`],
    ['load average', `${m.loadAverageStart.toFixed(2)} at the start, ${m.loadAverageEnd.toFixed(2)} at the end, ${m.loadAverageMax.toFixed(2)} at most (1 minute)`],
    ['Node', m.nodeVersion],
    ['broker', r.broker.kind === 'child' ? 'a child process per scenario on a temp data dir; CPU from /proc/<pid>/stat' : `external broker ${r.broker.address}: broker CPU NOT measured`],
    ['fsync policy', `${r.broker.fsyncPolicy}; the fsyncs the broker really ran are counted per scenario (Results)`],
    ['SG-DMA assumption', sgDmaLabel(r.broker.sgDma)],
    ['native modes', r.broker.nativeAvailable === null ? 'unknown' : r.broker.nativeAvailable ? 'available' : `unavailable: ${r.broker.nativeReason ?? ''}`],
    ['repeats', `${r.repeats} per measurement; figures are the median, ± the half range over the median${r.quick ? ' (--quick: small runs for checks, do not quote)' : ''}`],
    ['loopback ceiling', c.loopbackBytesPerSec ? formatValue(c.loopbackBytesPerSec, 'B/s') : 'not measured'],
    ['loopback + 1 copy', c.loopbackCopyBytesPerSec ? formatValue(c.loopbackCopyBytesPerSec, 'B/s') : 'not measured'],
    ['memcpy', c.memcpyBytesPerSec ? formatValue(c.memcpyBytesPerSec, 'B/s') : 'not measured'],
    ['loopback round trip p99', c.rttMsP99 ? formatValue(c.rttMsP99, 'ms') : 'not measured'],
  ];
  let warn = r.broker.kind === 'external' ? '<p class="warn">Measured against an existing broker: its CPU time was not measured, and options a scenario would set (page-cache size, policy) were not applied.</p>' : '';
  const busy = busyWarning(m);
  if (busy) warn += `<p class="warn">Warning: ${esc(busy)}.</p>`;
  return `<h1>copyless benchmark report</h1>${warn}${shows(r)}<p class="modes"><b>Modelled vs real.</b> ${esc(MODELLED_VS_REAL)}</p><h2>The run</h2>${kv(rows)}`;
}

/** "What this run shows": first on the page, computed from the figures (conclusions.ts). */
function shows(r: BenchReport): string {
  if (r.conclusions.length === 0) return '';
  return `<section class="shows" id="what-this-run-shows"><h2>What this run shows</h2><ul>${r.conclusions.map((c) => `<li>${esc(c)}</li>`).join('')}</ul></section>`;
}

function targets(r: BenchReport): string {
  if (r.targets.length === 0) return '';
  const rows = r.targets
    .map((t) => `<tr><td class="${t.status.replace(' ', '')}">${esc(t.status)}</td><td style="text-align:left">${esc(t.description)}</td><td style="text-align:left">${esc(t.detail)}</td></tr>`)
    .join('');
  return `<h2>Targets</h2><table><tr><th>status</th><th>target</th><th>measured</th></tr>${rows}</table>`;
}

function row(c: CaseResult, columns: Column[]): string {
  const flagged = Boolean(c.caveats?.length);
  const title = flagged ? ` title="${esc(`unreliable: ${c.caveats!.join('; ')}`)}"` : '';
  return `<tr${flagged ? ' class="unreliable"' : ''}><td${title}>${esc(c.label)}</td>${columns.map((col) => cell(c, col)).join('')}</tr>`;
}

function cell(c: CaseResult, col: Column): string {
  const s = c.metrics[col.key];
  const title = s ? `samples: ${s.samples.map((v) => formatValue(v, col.unit)).join(', ')}` : '';
  return `<td title="${esc(title)}">${esc(formatSummary(s, col.unit))}</td>`;
}

function scenarioSection(s: ScenarioResult): string {
  const head = `<tr><th>case</th>${s.columns.map((c) => `<th>${esc(c.label)}</th>`).join('')}</tr>`;
  const rows = s.cases.map((c) => row(c, s.columns)).join('');
  const params = s.cases
    .map((c) => `<li><code>${esc(c.id)}</code>: ${esc(Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(', '))}</li>`)
    .join('');
  const notes = s.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('');
  const error = s.error ? `<p class="warn">This scenario failed: ${esc(s.error)}</p>` : '';
  const broker = s.durability === undefined ? '' : `<p class="note" id="durability-${esc(s.name)}">Broker durability work in this scenario (its own counters): ${esc(durabilityLabel(s.durability))}.</p>`;
  const flagged = s.cases.filter((c) => c.caveats?.length);
  const caveats = flagged.length ? `<ul class="caveats">${flagged.map((c) => `<li>(!) ${esc(c.label)}: ${esc(c.caveats!.join('; '))}</li>`).join('')}</ul>` : '';
  return `<h3>${esc(s.name)}: ${esc(s.title)} <small>(${(s.durationMs / 1000).toFixed(1)} s)</small></h3>${error}<table>${head}${rows}</table>${caveats}${broker}${notes}<details><summary>parameters of every case</summary><ul>${params}</ul></details>`;
}

export function renderHtml(r: BenchReport): string {
  const charts = buildCharts(r)
    .map((c) => `<div class="chart" id="${esc(c.id)}">${c.svg}<p class="caption">${esc(c.caption)}</p></div>`)
    .join('');
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>copyless bench ${esc(r.startedAt)}</title><style>${CSS}</style></head><body>`,
    header(r),
    targets(r),
    `<h2>Charts</h2>${charts}`,
    `<h2>Results</h2>${r.scenarios.map(scenarioSection).join('')}`,
    `<h2>How to read this</h2><p class="note">Throughput is the stored bytes of whole record batches (or the records) a consumer received per second, also shown as a share of the loopback TCP ceiling measured in the same run. CPU per GiB is broker process time (user and system, from /proc) per GiB served, read over the same span as the time. Bars and points are medians of the repeats; whiskers span the lowest to the highest repeat. A case marked (!) and drawn pale was too short, too noisy or too coarse to mean much (${esc(RELIABILITY_RULES)}). The SDK consumer decodes every record as an application would; the wire consumer only checks each batch's CRC, so it shows what the broker and loopback can serve. See bench/README.md.</p>`,
    '</body></html>',
  ].join('\n');
}
