// Page cache: the simulated page cache as a heat map grouped by segment file,
// coloured by page state, updated with every push of the stats channel (twice
// a second); beside it the lists and flags as bars with the dirty thresholds,
// the hit ratio, read-ahead and reclaim. Clicking a segment shows its pages one
// by one (GET .../segments/:baseOffset/pages, refreshed every second).

import { CellState, PAGE_STATE_LETTERS } from '../../../dashboard/messages.ts';
import { fitCanvas } from '../chart.ts';
import { esc, fmtBytes, fmtCount, fmtDuration, fmtInt, fmtPercent, fmtRate } from '../format.ts';
import { BEYOND_EOF_COLOR, countCells, heatGeometry, hitTest, paintHeatMap, READ_AHEAD_COLOR, STATE_COLORS, STATE_NAMES, type HeatGeometry } from '../heat-map.ts';
import { recentRate, recentRatio } from '../rates.ts';
import type { State, Store } from '../store.ts';
import { onAction, type View } from '../view.ts';

function legend(state: State): string {
  const cells = state.pageMap ? countCells(state.pageMap.cells) : {};
  const ppc = state.pageMap?.layout.pagesPerCell ?? 1;
  const items = STATE_NAMES.map(
    ([code, name]) =>
      `<span class="key" data-testid="legend-${name.replace(/\W+/g, '-')}"><i style="background:${STATE_COLORS[code]}"></i>${esc(name)} <b data-testid="cells-${code}">${fmtInt(cells[code] ?? 0)}</b></span>`,
  );
  items.push(`<span class="key"><i style="background:${BEYOND_EOF_COLOR};border:1px solid #d5dae1"></i>room to grow</span>`);
  items.push(`<span class="key"><i style="background:transparent;border:1.5px solid ${READ_AHEAD_COLOR}"></i>read-ahead window</span>`);
  const scale = ppc === 1 ? 'one cell per page (4 KiB)' : `one cell per ${ppc} pages (${fmtBytes(ppc * 4096)}); a cell shows its most notable page, faded when only some of its pages are cached`;
  return `${items.join('')}<div class="muted small">${scale}. Precedence: pinned › under write-back › dirty › active › inactive.</div>`;
}

/** A stacked bar of `parts` over `total`, with optional threshold ticks. */
function bar(parts: Array<{ label: string; value: number; color: string }>, total: number, ticks: Array<{ at: number; label: string }> = []): string {
  const pct = (v: number) => `${Math.max(0, Math.min(100, (v / Math.max(1, total)) * 100)).toFixed(2)}%`;
  const segs = parts.map((p) => `<span class="seg" style="width:${pct(p.value)};background:${p.color}" title="${esc(p.label)}: ${fmtInt(p.value)} pages"></span>`).join('');
  const marks = ticks.map((t) => `<span class="tick" style="left:${pct(t.at)}" title="${esc(t.label)}"><em>${esc(t.label)}</em></span>`).join('');
  return `<div class="bar">${segs}${marks}</div>`;
}

function summary(state: State): string {
  const c = state.latest?.pageCache;
  const p = state.activity?.cache;
  if (!c || !p) return '<p class="muted">waiting for the stats channel…</p>';
  const s = state.samples;
  const free = c.capacityPages - c.residentPages;
  const rate = (k: keyof typeof c) => fmtRate(recentRate(s, (x) => x.pageCache[k] as number));
  const hit = recentRatio(s, (x) => x.pageCache.hits, (x) => x.pageCache.misses);
  const row = (k: string, v: string, testid = '') => `<tr><th>${esc(k)}</th><td${testid ? ` data-testid="${testid}"` : ''}>${v}</td></tr>`;
  return `
    <h3>Lists <span class="muted small">${fmtBytes(c.capacityPages * p.pageBytes)}, ${esc(p.policy)}</span></h3>
    ${bar(
      [
        { label: 'active', value: c.activePages, color: STATE_COLORS[CellState.ACTIVE] },
        { label: 'inactive', value: c.inactivePages, color: STATE_COLORS[CellState.INACTIVE] },
        { label: 'free', value: free, color: STATE_COLORS[CellState.NONE] },
      ],
      c.capacityPages,
    )}
    <div class="bar-legend"><span>active ${fmtInt(c.activePages)}</span><span>inactive ${fmtInt(c.inactivePages)}</span><span data-testid="free-pages">free ${fmtInt(free)}</span></div>
    <h3>Dirty and pinned</h3>
    ${bar(
      [
        { label: 'dirty', value: c.dirtyPages, color: STATE_COLORS[CellState.DIRTY] },
        { label: 'pinned', value: c.pinnedPages, color: STATE_COLORS[CellState.PINNED] },
      ],
      c.capacityPages,
      [
        { at: p.dirtyBackgroundPages, label: fmtPercent(p.dirtyBackgroundPages / p.capacityPages) },
        { at: p.dirtyLimitPages, label: fmtPercent(p.dirtyLimitPages / p.capacityPages) },
      ],
    )}
    <table class="kv">
      ${row('dirty pages', `${fmtInt(c.dirtyPages)} (${fmtPercent(c.dirtyPages / c.capacityPages)})`, 'dirty-pages')}
      ${row('flusher starts at', `${fmtInt(p.dirtyBackgroundPages)} pages <span class="muted">dirty_background_ratio</span>`)}
      ${row('writers throttled at', `${fmtInt(p.dirtyLimitPages)} pages <span class="muted">dirty_ratio</span>`)}
      ${row('expire / flusher', `${fmtDuration(p.dirtyExpireMs)} / every ${fmtDuration(p.dirtyWritebackMs)}`)}
      ${row('written back', `${rate('writeBackPages')} pages, ${rate('fsyncs')} fsyncs, ${fmtInt(c.throttleEvents)} throttles`)}
    </table>
    <h3>Hits and read-ahead</h3>
    <table class="kv">
      ${row('hit ratio', `${fmtPercent(hit)} <span class="muted">last 2 s</span> · ${fmtPercent(c.hitRatio)} <span class="muted">since start</span>`, 'hit-ratio')}
      ${row('hits / misses', `${rate('hits')} / ${rate('misses')}`)}
      ${row('read-ahead window', `up to ${p.readAheadMaxPages} pages (${fmtBytes(p.readAheadMaxPages * p.pageBytes)}), outlined where open`)}
      ${row('read ahead', `${rate('readAheadPages')} pages; used ${fmtCount(c.readAheadUsed)}, wasted ${fmtCount(c.readAheadWasted)}`)}
    </table>
    <h3>Reclaim</h3>
    <table class="kv">
      ${row('evictions clean / dirty', `${rate('evictionsClean')} / ${rate('evictionsDirty')}`)}
      ${row('promotions / demotions', `${rate('promotions')} / ${rate('demotions')}`)}
    </table>`;
}

function detail(state: State): string {
  const sel = state.selectedSegment;
  if (!sel) return '<p class="muted">Click a segment in the map to see its pages.</p>';
  const p = state.segmentPages;
  const title = `<h3>${esc(sel.topic)}-${sel.partition} · segment ${sel.baseOffset} <button data-action="close-segment" class="link">close</button></h3>`;
  if (!p) return `${title}<p class="muted">loading…</p>`;
  const ra = !p.readAhead
    ? 'none open'
    : p.readAhead.startPage >= p.pages
      ? `past the file's end (pages ${p.readAhead.startPage}–${p.readAhead.startPage + p.readAhead.pages - 1}${p.active ? ', ready for the next appends' : ''})`
      : `pages ${p.readAhead.startPage}–${p.readAhead.startPage + p.readAhead.pages - 1} (${p.readAhead.asyncPages} async)`;
  const counts = STATE_NAMES.filter(([code]) => code !== CellState.NONE)
    .map(([code, name]) => `<span class="key"><i style="background:${STATE_COLORS[code]}"></i>${esc(name)} ${fmtInt(countLetters(p.states, PAGE_STATE_LETTERS[code]))}</span>`)
    .join('');
  return `${title}
    <div class="muted small" data-testid="segment-summary">${fmtInt(p.pages)} pages, ${fmtBytes(p.sizeBytes)}${p.active ? ', active segment' : ''}; ${fmtInt(p.counts.resident)} cached; read-ahead ${ra}</div>
    <div class="legend">${counts}</div>`;
}

function countLetters(s: string, letter: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s[i] === letter) n++;
  return n;
}

const LETTER_COLORS: Record<string, string> = Object.fromEntries([...PAGE_STATE_LETTERS].map((l, code) => [l, STATE_COLORS[code]]));

function paintPages(canvas: HTMLCanvasElement, states: string, readAhead: { startPage: number; pages: number } | null): void {
  const cell = states.length > 4000 ? 4 : 8;
  const stride = cell + 1;
  const cols = Math.max(1, Math.floor(canvas.clientWidth / stride));
  canvas.style.height = `${Math.max(stride, Math.ceil(states.length / cols) * stride)}px`;
  const { ctx } = fitCanvas(canvas);
  for (let i = 0; i < states.length; i++) {
    ctx.fillStyle = LETTER_COLORS[states[i]] ?? STATE_COLORS[CellState.NONE];
    ctx.fillRect((i % cols) * stride, Math.floor(i / cols) * stride, cell, cell);
  }
  if (readAhead) {
    ctx.strokeStyle = READ_AHEAD_COLOR;
    for (let i = readAhead.startPage; i < Math.min(states.length, readAhead.startPage + readAhead.pages); i++) {
      ctx.strokeRect((i % cols) * stride + 0.5, Math.floor(i / cols) * stride + 0.5, cell - 1, cell - 1);
    }
  }
}

let geometry: HeatGeometry | null = null;

export const pageCache: View = {
  id: 'cache',
  title: 'Page cache',
  mount(root, store: Store) {
    root.innerHTML = `
      <div class="cache-grid">
        <section class="card map-card">
          <h2>Simulated page cache by segment</h2>
          <div class="legend" data-slot="legend"></div>
          <div class="hover muted small" data-hover>Hover a cell for its segment and pages; click to see the segment's pages.</div>
          <canvas class="heat" data-heat data-testid="heat-map"></canvas>
          <div data-slot="empty"></div>
        </section>
        <aside class="card side" data-slot="summary"></aside>
      </div>
      <section class="card"><div data-slot="detail"></div><canvas class="pages" data-pages></canvas></section>`;
    const canvas = root.querySelector<HTMLCanvasElement>('[data-heat]')!;
    const hover = root.querySelector<HTMLElement>('[data-hover]')!;
    const at = (e: MouseEvent) => {
      const map = store.state.pageMap;
      if (!map || !geometry) return null;
      const r = canvas.getBoundingClientRect();
      const hit = hitTest(geometry, map.layout, e.clientX - r.left, e.clientY - r.top);
      return hit && { hit, file: map.layout.files[hit.file], ppc: map.layout.pagesPerCell, code: map.cells[geometry.firstCell[hit.file] + hit.cell] };
    };
    canvas.addEventListener('mousemove', (e) => {
      const h = at(e);
      if (!h) return;
      const first = h.hit.cell * h.ppc;
      const name = STATE_NAMES.find(([c]) => c === (h.code & 7))?.[1] ?? (first >= h.file.pages ? 'past the end of the file' : '');
      hover.textContent = `${h.file.topic}-${h.file.partition} · segment ${h.file.baseOffset}${h.file.active ? ' (active)' : ''} · ${h.ppc === 1 ? `page ${first}` : `pages ${first}–${first + h.ppc - 1}`} of ${h.file.pages}: ${name}`;
    });
    canvas.addEventListener('click', (e) => {
      const h = at(e);
      if (h) store.selectSegment({ topic: h.file.topic, partition: h.file.partition, baseOffset: h.file.baseOffset });
    });
    onAction(root, 'click', 'close-segment', () => store.selectSegment(null));
  },
  render(state) {
    const empty = state.pageMap && state.pageMap.layout.files.length === 0 ? '<p class="muted">No segments yet: produce to a topic.</p>' : '';
    return { legend: legend(state), summary: summary(state), detail: detail(state), empty };
  },
  paint(root, state) {
    const canvas = root.querySelector<HTMLCanvasElement>('[data-heat]')!;
    const map = state.pageMap;
    if (map) {
      geometry = heatGeometry(map.layout, canvas.clientWidth || canvas.parentElement!.clientWidth);
      canvas.style.height = `${geometry.height}px`;
      const { ctx } = fitCanvas(canvas);
      paintHeatMap(ctx, geometry, map.layout, map.cells, map.readAhead, state.selectedSegment);
      canvas.dataset.seq = String(map.seq);
    }
    const pages = root.querySelector<HTMLCanvasElement>('[data-pages]')!;
    const p = state.segmentPages;
    pages.hidden = !p;
    if (p) paintPages(pages, p.states, p.readAhead);
  },
};
