// A small live line chart drawn on a canvas. Hand-rolled rather than a
// charting library: the page redraws a few series of a few hundred points
// twice a second, which a canvas does in well under a millisecond, and the
// heat map is a canvas anyway (65,536 cells would be 65,536 SVG nodes), so
// one drawing technique serves both with no dependency to ship. The legend is
// HTML, rendered by the views; this file only paints.

export interface ChartSeries {
  label: string;
  color: string;
  /** [time ms, value] in time order. */
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface LineChartSpec {
  series: ChartSeries[];
  /** Time window shown, ending at `now`. */
  windowMs: number;
  now: number;
  yFormat: (v: number) => string;
  /** A y maximum to show at least (so an idle chart is not all noise). */
  yMinMax?: number;
  /** Bytes: ticks on powers of two (64 KiB, 128 KiB...) rather than of ten. */
  yBinary?: boolean;
  emptyText?: string;
}

export const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

/** Round tick values covering [0, max]: steps of 1, 2, 2.5, 5 x 10^k, or of 2^k for bytes. */
export function niceTicks(max: number, count = 4, binary = false): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const step = binary ? 2 ** Math.ceil(Math.log2(raw)) : ([1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) ?? raw);
  const ticks = [];
  for (let v = 0; v <= max * 1.0001; v += step) ticks.push(v);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

/** Size the canvas's backing store to its CSS box at the device pixel ratio; returns the context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

export function paintLineChart(canvas: HTMLCanvasElement, spec: LineChartSpec): void {
  const { ctx, w, h } = fitCanvas(canvas);
  const m = { top: 8, right: 10, bottom: 20, left: 58 };
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  if (pw <= 0 || ph <= 0) return;
  const t0 = spec.now - spec.windowMs;
  let max = spec.yMinMax ?? 0;
  for (const s of spec.series) for (const [t, v] of s.points) if (t >= t0 && v > max) max = v;
  // What is drawn, for a reader that cannot see the canvas (tests, screen readers).
  let shown = 0;
  for (const s of spec.series) for (const [t, v] of s.points) if (t >= t0 && v > shown) shown = v;
  canvas.dataset.max = String(shown);
  const ticks = niceTicks(max || 1, 4, spec.yBinary);
  const top = ticks[ticks.length - 1];
  const x = (t: number) => m.left + ((t - t0) / spec.windowMs) * pw;
  const y = (v: number) => m.top + ph - (v / top) * ph;

  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (const v of ticks) {
    ctx.strokeStyle = v === 0 ? '#c9ced6' : '#eceff3';
    ctx.beginPath();
    ctx.moveTo(m.left, Math.round(y(v)) + 0.5);
    ctx.lineTo(m.left + pw, Math.round(y(v)) + 0.5);
    ctx.stroke();
    ctx.fillStyle = '#6b7280';
    ctx.fillText(spec.yFormat(v), m.left - 6, y(v));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let s = 0; s <= spec.windowMs / 1000; s += spec.windowMs >= 120_000 ? 30 : 15) {
    ctx.fillText(s === 0 ? 'now' : `-${s}s`, x(spec.now - s * 1000), m.top + ph + 5);
  }

  let drawn = 0;
  ctx.save();
  ctx.beginPath();
  ctx.rect(m.left, m.top - 2, pw, ph + 4);
  ctx.clip();
  for (const s of spec.series) {
    const pts = s.points.filter(([t]) => t >= t0 - 1000);
    if (pts.length < 2) continue;
    drawn++;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.75;
    ctx.setLineDash(s.dashed ? [5, 3] : []);
    ctx.beginPath();
    pts.forEach(([t, v], i) => (i === 0 ? ctx.moveTo(x(t), y(v)) : ctx.lineTo(x(t), y(v))));
    ctx.stroke();
  }
  ctx.restore();
  if (drawn === 0 && spec.emptyText) {
    ctx.fillStyle = '#9ca3af';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(spec.emptyText, m.left + pw / 2, m.top + ph / 2);
  }
}
