// Plain inline SVG charts for the HTML report: grouped bars (with min-max
// whiskers over the repeats and optional reference lines) and lines over x.
// No library and no external file, so a report opens offline and stays one
// file. Every chart is a complete <svg> element string.

export interface BarSeries {
  label: string;
  /** One value per group; null draws nothing. */
  values: Array<number | null>;
  /** Optional [min, max] per group, drawn as a whisker. */
  ranges?: Array<[number, number] | null>;
  /** Per group: the figure is flagged unreliable, so its bar is drawn pale and dashed. */
  pale?: boolean[];
}

export interface BarChart {
  title: string;
  yLabel: string;
  groups: string[];
  series: BarSeries[];
  /** Horizontal reference lines, e.g. the loopback ceiling. */
  refLines?: Array<{ label: string; value: number }>;
  format?: (v: number) => string;
  /** Logarithmic y axis (powers of ten), for figures spanning decades; values <= 0 are not drawn. */
  logY?: boolean;
}

export interface LineSeries {
  label: string;
  points: Array<[number, number]>;
  /** Optional [min, max] per point (same order as `points`), drawn as an error bar. */
  ranges?: Array<[number, number] | null>;
  /** Per point: flagged unreliable, drawn as a hollow marker. */
  pale?: boolean[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Shaded x intervals with a label, e.g. the phases of catch-up. */
  bands?: Array<{ from: number; to: number; label: string }>;
  /** Plot x on a log2 axis (fetch sizes); ticks are then the data's x values. */
  xLog2?: boolean;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  yMin?: number;
  yMax?: number;
}

export const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

const W = 760;
const H = 320;
const M = { top: 36, right: 16, bottom: 64, left: 70 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

/** Where the x-axis title sits; the legend starts LEGEND_GAP_PX below it, so the two never share a line. */
const X_LABEL_Y = H - 36;
const LEGEND_GAP_PX = 20;
const LEGEND_ROW_PX = 14;

function frame(title: string, body: string, legend: string[], xLabel: string, yLabel: string): string {
  const { svg: items, rows } = legendItems(legend);
  // The legend grows downwards: a chart with a long legend is taller, never overprinted.
  const height = H + Math.max(0, rows - 1) * LEGEND_ROW_PX;
  return [
    `<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="14" y="${M.top + PH / 2}" font-size="11" transform="rotate(-90 14 ${M.top + PH / 2})" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    xLabel ? `<text class="x-label" x="${M.left + PW / 2}" y="${X_LABEL_Y}" font-size="11" text-anchor="middle">${escapeXml(xLabel)}</text>` : '',
    body,
    items,
    '</svg>',
  ].join('');
}

/** Approximate width of 11 px sans-serif text: enough to lay legend items out without overlap. */
const CHAR_PX = 6.3;

function legendItems(labels: string[]): { svg: string; rows: number } {
  const rows: Array<Array<{ label: string; i: number; x: number }>> = [[]];
  let x = M.left;
  labels.forEach((label, i) => {
    const width = 14 + label.length * CHAR_PX + 18;
    if (x + width > W - M.right && rows[rows.length - 1].length > 0) {
      rows.push([]);
      x = M.left;
    }
    rows[rows.length - 1].push({ label, i, x });
    x += width;
  });
  const top = X_LABEL_Y + LEGEND_GAP_PX;
  const svg = rows
    .flatMap((row, r) =>
      row.map(({ label, i, x: lx }) => {
        const y = top + r * LEGEND_ROW_PX;
        return `<rect x="${lx.toFixed(1)}" y="${y - 9}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text class="legend" x="${(lx + 14).toFixed(1)}" y="${y}" font-size="11">${escapeXml(label)}</text>`;
      }),
    )
    .join('');
  return { svg, rows: labels.length === 0 ? 0 : rows.length };
}

function emptyChart(title: string, why: string): string {
  return frame(title, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="13" fill="#777">${escapeXml(why)}</text>`, [], '', '');
}

function yAxis(ticks: number[], y: (v: number) => number, format: (v: number) => string): string {
  return ticks
    .map((t) => `<line x1="${M.left}" x2="${M.left + PW}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e3e3"/><text x="${M.left - 6}" y="${y(t) + 4}" font-size="10" text-anchor="end">${escapeXml(format(t))}</text>`)
    .join('');
}

/** A min-max whisker: a vertical line with short caps, over a bar or a point. */
function whisker(cx: number, y1: number, y2: number, color = '#222'): string {
  const caps = [y1, y2].map((yy) => `<line x1="${(cx - 3).toFixed(1)}" x2="${(cx + 3).toFixed(1)}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="${color}"/>`).join('');
  return `<g class="whisker"><line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y1.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${color}"/>${caps}</g>`;
}

/** Width of one character of a 10 px tick label, generously rounded up. */
const TICK_CHAR_PX = 6;
const TICK_LINE_PX = 11;
/** Tick lines that fit between the plot and the legend. */
const TICK_LINES_MAX = 3;

/**
 * A group's label under its bars; wider than its group, it wraps at '/', ',' or
 * spaces into up to TICK_LINES_MAX lines, so neighbouring labels never overprint.
 */
function groupLabel(label: string, cx: number, groupW: number): string {
  const fits = (t: string) => t.length * TICK_CHAR_PX <= groupW - 4;
  let lines = [label];
  if (!fits(label)) {
    const words = label.split(/(?<=[/,])|\s+/).filter(Boolean);
    lines = [];
    for (const w of words) {
      const last = lines[lines.length - 1];
      if (last !== undefined && fits(last + w)) lines[lines.length - 1] = last + w;
      else lines.push(w);
    }
    if (lines.length > TICK_LINES_MAX) lines = [...lines.slice(0, TICK_LINES_MAX - 1), lines.slice(TICK_LINES_MAX - 1).join('')];
  }
  const tspans = lines.map((l, i) => `<tspan x="${cx.toFixed(1)}" dy="${i === 0 ? 0 : TICK_LINE_PX}">${escapeXml(l.trim())}</tspan>`).join('');
  return `<text class="x-tick" x="${cx.toFixed(1)}" y="${M.top + PH + 14}" font-size="10" text-anchor="middle"><title>${escapeXml(label)}</title>${tspans}</text>`;
}

export function renderBarChart(c: BarChart): string {
  const values = c.series.flatMap((s) => [...s.values, ...(s.ranges ?? []).map((r) => r?.[1] ?? null)]).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0 || c.groups.length === 0) return emptyChart(c.title, 'no data in this run');
  const all = [...values, ...(c.refLines ?? []).map((r) => r.value)];
  const fmt = c.format ?? shortNumber;
  let ticks: number[];
  let y: (v: number) => number;
  if (c.logY) {
    const positive = all.filter((v) => v > 0);
    // One decade below the smallest value, so the smallest bar is never zero-height.
    const lo = Math.ceil(Math.log10(Math.min(...positive, 1e300))) - 1;
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive, 1e-300))));
    ticks = Array.from({ length: hi - lo + 1 }, (_, k) => 10 ** (lo + k));
    y = (v: number) => M.top + PH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * PH;
  } else {
    const top = Math.max(...all) * 1.08 || 1;
    ticks = niceTicks(0, top);
    const yMax = Math.max(top, ticks[ticks.length - 1]);
    y = (v: number) => M.top + PH - (v / yMax) * PH;
  }
  const groupW = PW / c.groups.length;
  const barW = Math.min(40, (groupW * 0.8) / Math.max(1, c.series.length));
  const parts: string[] = [yAxis(ticks, y, fmt)];
  c.groups.forEach((g, gi) => {
    const x0 = M.left + gi * groupW + (groupW - barW * c.series.length) / 2;
    c.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined || !Number.isFinite(v) || (c.logY && v <= 0)) return;
      const x = x0 + si * barW;
      const pale = s.pale?.[gi] === true;
      const r = s.ranges?.[gi];
      const range = r && r[1] > r[0] ? ` (repeats ${fmt(r[0])} to ${fmt(r[1])})` : '';
      const look = pale ? ` fill-opacity="0.3" stroke="${PALETTE[si % PALETTE.length]}" stroke-dasharray="3 2" class="unreliable"` : '';
      parts.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(M.top + PH - y(v)).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"${look}><title>${escapeXml(`${g} / ${s.label}: ${fmt(v)}${range}${pale ? ' - unreliable (see the table)' : ''}`)}</title></rect>`);
      if (r && r[1] > r[0]) parts.push(whisker(x + (barW - 2) / 2, y(r[0]), y(r[1])));
    });
    parts.push(groupLabel(g, M.left + gi * groupW + groupW / 2, groupW));
  });
  for (const ref of c.refLines ?? []) {
    parts.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${y(ref.value)}" y2="${y(ref.value)}" stroke="#c00" stroke-dasharray="5 4"/><text x="${M.left + PW - 4}" y="${y(ref.value) - 4}" font-size="10" fill="#c00" text-anchor="end">${escapeXml(`${ref.label} ${fmt(ref.value)}`)}</text>`);
  }
  parts.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}" stroke="#444"/>`);
  return frame(c.title, parts.join(''), c.series.map((s) => s.label), '', c.logY ? `${c.yLabel} (log scale)` : c.yLabel);
}

export function renderLineChart(c: LineChart): string {
  const pts = c.series.flatMap((s) => s.points).filter(([x, yv]) => Number.isFinite(x) && Number.isFinite(yv));
  if (pts.length === 0) return emptyChart(c.title, 'no data in this run');
  const tx = (v: number) => (c.xLog2 ? Math.log2(v) : v);
  const xs = pts.map(([x]) => tx(x));
  const xLo = Math.min(...xs, ...(c.bands ?? []).map((b) => tx(b.from)));
  const xHi = Math.max(...xs, ...(c.bands ?? []).map((b) => tx(b.to)), xLo + 1e-9);
  const yLo = c.yMin ?? 0;
  const rangeTops = c.series.flatMap((s) => (s.ranges ?? []).map((r) => r?.[1] ?? -Infinity));
  const yTop = c.yMax ?? Math.max(...pts.map(([, v]) => v), ...rangeTops) * 1.08;
  const yticks = niceTicks(yLo, yTop || 1);
  const yHi = c.yMax ?? Math.max(yTop, yticks[yticks.length - 1]);
  const x = (v: number) => M.left + ((tx(v) - xLo) / (xHi - xLo || 1)) * PW;
  const y = (v: number) => M.top + PH - ((v - yLo) / (yHi - yLo || 1)) * PH;
  const xf = c.xFormat ?? shortNumber;
  const parts: string[] = [];
  (c.bands ?? []).forEach((b, i) => {
    parts.push(`<rect x="${x(b.from).toFixed(1)}" y="${M.top}" width="${Math.max(0, x(b.to) - x(b.from)).toFixed(1)}" height="${PH}" fill="${i % 2 ? '#f3f3f3' : '#fbf4e4'}"/><text x="${((x(b.from) + x(b.to)) / 2).toFixed(1)}" y="${M.top + 12}" font-size="10" text-anchor="middle" fill="#666">${escapeXml(b.label)}</text>`);
  });
  parts.push(yAxis(yticks, y, c.yFormat ?? shortNumber));
  const xticks = c.xLog2 ? [...new Set(pts.map(([v]) => v))].sort((a, b) => a - b) : niceTicks(xLo, xHi, 8);
  for (const t of xticks) parts.push(`<text class="x-tick" x="${x(t).toFixed(1)}" y="${M.top + PH + 14}" font-size="10" text-anchor="middle">${escapeXml(xf(t))}</text>`);
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const d = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).map(([a, b], j) => `${j ? 'L' : 'M'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    s.ranges?.forEach((r, j) => {
      const at = s.points[j];
      if (r && at && r[1] > r[0]) parts.push(whisker(x(at[0]), y(r[0]), y(r[1]), color));
    });
    if (s.points.length <= 40) {
      s.points.forEach(([a, b], j) => {
        const pale = s.pale?.[j] === true;
        const look = pale ? `fill="#fff" stroke="${color}" stroke-width="1.5" class="unreliable"` : `fill="${color}"`;
        parts.push(`<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" ${look}><title>${escapeXml(`${s.label}: ${xf(a)} -> ${(c.yFormat ?? shortNumber)(b)}${pale ? ' - unreliable (see the table)' : ''}`)}</title></circle>`);
      });
    }
  });
  parts.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}" stroke="#444"/>`);
  return frame(c.title, parts.join(''), c.series.map((s) => s.label), c.xLabel, c.yLabel);
}
