// Overview: produce and fetch rates per topic, the cost of each fetch mode
// (CPU copies, mode switches, DMA, page-cache hit ratio, per second), the
// topics' partitions with their end offsets, and the Kafka connections with
// the fetch mode each uses.

import { paintLineChart, PALETTE, type ChartSeries } from '../chart.ts';
import { esc, fmtAgo, fmtByteRate, fmtBytes, fmtCount, fmtInt, fmtPercent, fmtRate } from '../format.ts';
import { FETCH_MODES, MODE_COLORS, modeBadge, isModelledMode } from '../modes.ts';
import { modeOf, rateSeries, recentRate, recentRatio, topicOf, type Counter } from '../rates.ts';
import type { Sample, State } from '../store.ts';
import { onAction, type View } from '../view.ts';

const WINDOW_MS = 60_000;

function topicColor(state: State, name: string): string {
  const names = state.activity?.topics.map((t) => t.name) ?? [];
  return PALETTE[Math.max(0, names.indexOf(name)) % PALETTE.length];
}

function kpis(state: State): string {
  const s = state.samples;
  const sum = (f: (t: NonNullable<ReturnType<typeof topicOf>>) => number): Counter => (x) => x.activity?.topics.reduce((n, t) => n + f(t), 0);
  const cache = state.latest?.pageCache;
  const hit = recentRatio(s, (x) => x.pageCache.hits, (x) => x.pageCache.misses);
  const conns = state.activity?.connections;
  const card = (label: string, value: string, sub = '', testid = '') =>
    `<div class="kpi"${testid ? ` data-testid="${testid}"` : ''}><div class="kpi-value">${value}</div><div class="kpi-label">${esc(label)}</div>${sub ? `<div class="kpi-sub">${sub}</div>` : ''}</div>`;
  return [
    card('produced records/s', fmtCount(recentRate(s, sum((t) => t.producedRecords))), fmtByteRate(recentRate(s, sum((t) => t.producedBytes))), 'kpi-produce'),
    card('fetched records/s', fmtCount(recentRate(s, sum((t) => t.fetchedRecords))), fmtByteRate(recentRate(s, sum((t) => t.fetchedBytes))), 'kpi-fetch'),
    card('page-cache hit ratio', fmtPercent(hit), hit === null ? 'no lookups in the last 2 s' : 'last 2 s'),
    card('resident / dirty', cache ? `${fmtBytes(cache.residentPages * 4096)}` : '–', cache ? `${fmtInt(cache.dirtyPages)} dirty pages` : ''),
    card('connections', conns ? fmtInt(conns.kafkaTotal) : '–', conns ? `Kafka; ${conns.webSockets} WebSocket` : ''),
  ].join('');
}

function topicLegend(state: State): string {
  const topics = state.activity?.topics ?? [];
  if (topics.length === 0) return '<span class="muted">no topics yet</span>';
  return (
    topics.map((t) => `<span class="key"><i style="background:${topicColor(state, t.name)}"></i>${esc(t.name)}</span>`).join('') +
    '<span class="key"><i class="line"></i>produce</span><span class="key"><i class="line dashed"></i>fetch</span>'
  );
}

function topicsTable(state: State): string {
  const topics = state.activity?.topics ?? [];
  if (topics.length === 0) return '<p class="muted">No topics. Produce to one, e.g. <code>npx copyless produce demo</code>.</p>';
  const s = state.samples;
  const rows = topics.map((t) => {
    const pick = (f: (x: NonNullable<ReturnType<typeof topicOf>>) => number): Counter => (x) => {
      const a = topicOf(x, t.name);
      return a ? f(a) : undefined;
    };
    const estimated = recentRate(s, pick((x) => x.fetchedRecordsEstimated)) > 0;
    const ends = t.partitions
      .map(
        (p) =>
          `<span class="offset" title="log start ${p.logStartOffset}, size ${esc(fmtBytes(p.sizeBytes))}">${p.partition}:&nbsp;<b data-testid="end-offset" data-topic="${esc(t.name)}" data-partition="${p.partition}">${p.logEndOffset}</b></span>`,
      )
      .join(' ');
    return `<tr>
      <td><span class="swatch" style="background:${topicColor(state, t.name)}"></span>${esc(t.name)}</td>
      <td class="num">${fmtRate(recentRate(s, pick((x) => x.producedRecords)))}</td>
      <td class="num">${fmtByteRate(recentRate(s, pick((x) => x.producedBytes)))}</td>
      <td class="num">${estimated ? '≈' : ''}${fmtRate(recentRate(s, pick((x) => x.fetchedRecords)))}</td>
      <td class="num">${fmtByteRate(recentRate(s, pick((x) => x.fetchedBytes)))}</td>
      <td class="num">${fmtBytes(t.partitions.reduce((n, p) => n + p.sizeBytes, 0))}</td>
      <td class="offsets">${ends}</td></tr>`;
  });
  return `<table><thead><tr><th>topic</th><th class="num">produce</th><th class="num">bytes</th><th class="num">fetch</th><th class="num">bytes</th><th class="num">size</th><th>end offset by partition</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function modesTable(state: State): string {
  const s = state.samples;
  const rows = FETCH_MODES.map((mode) => {
    const f = (field: keyof NonNullable<ReturnType<typeof modeOf>>): Counter => (x) => modeOf(x, mode)?.[field];
    const fetches = recentRate(s, f('fetches'));
    const records = recentRate(s, (x) => x.activity?.modeRecords[mode]);
    const hit = recentRatio(s, f('pageCacheHits'), f('pageCacheMisses'));
    const total = state.latest?.modes[mode];
    const perFetch = total && total.fetches > 0 ? `${(total.cpuCopies / total.fetches).toFixed(1)} / ${(total.modeSwitches / total.fetches).toFixed(1)}` : '–';
    const idle = fetches === 0 ? ' class="idle"' : '';
    const available = state.activity?.availableFetchModes.includes(mode) ?? true;
    return `<tr${idle} data-mode="${mode}">
      <td>${modeBadge(mode)}${available ? '' : ' <span class="muted">(unavailable)</span>'}${state.activity?.defaultFetchMode === mode ? ' <span class="tag">default</span>' : ''}</td>
      <td class="num">${fmtRate(fetches)}</td>
      <td class="num">${isModelledMode(mode) || records === 0 ? '' : '≈'}${fmtRate(records)}</td>
      <td class="num">${fmtByteRate(recentRate(s, f('bytes')))}</td>
      <td class="num">${fmtRate(recentRate(s, f('cpuCopies')))}</td>
      <td class="num">${fmtByteRate(recentRate(s, f('cpuCopyBytes')))}</td>
      <td class="num">${fmtRate(recentRate(s, f('modeSwitches')))}</td>
      <td class="num">${fmtByteRate(recentRate(s, f('dmaBytes')))}</td>
      <td class="num">${isModelledMode(mode) ? fmtPercent(hit) : '<span class="muted" title="the real page cache is not observed from user space">n/a</span>'}</td>
      <td class="num">${perFetch}</td></tr>`;
  });
  return `<table class="modes"><thead><tr><th>fetch mode</th><th class="num">fetches/s</th><th class="num">records/s</th><th class="num">bytes/s</th><th class="num">CPU copies/s</th><th class="num">CPU copy bytes/s</th><th class="num">mode switches/s</th><th class="num">DMA bytes/s</th><th class="num">hit ratio</th><th class="num" title="since start: CPU copies / mode switches per fetch">per fetch</th></tr></thead><tbody>${rows.join('')}</tbody></table>
  <p class="note">Modelled modes count what the Linux kernel would do for each fetch on the simulated page cache; they are not kernel zero-copy. Native modes count the real system calls of the addon; their CPU copies are inferred from the calls, their records estimated from bytes (≈).</p>`;
}

function connectionsTable(state: State): string {
  const c = state.activity?.connections;
  if (!c || c.kafka.length === 0) return '<p class="muted">No Kafka connections.</p>';
  const rows = c.kafka.map(
    (k) => `<tr data-connection="${k.id}"><td class="num">${k.id}</td><td>${esc(k.clientId ?? '')}</td><td>${esc(k.remote)}</td><td>${modeBadge(k.fetchMode)}${k.sgDma && k.fetchMode === 'sendfile' ? ' <span class="tag">SG-DMA</span>' : ''}</td>
      <td class="num">${fmtInt(k.fetches)}</td><td>${fmtAgo(k.lastFetchAt, state.now)}</td><td><button data-action="draw-connection" data-id="${k.id}">fetch path</button></td></tr>`,
  );
  const more = c.kafkaTotal > c.kafka.length ? `<p class="muted">${c.kafkaTotal - c.kafka.length} more not listed.</p>` : '';
  return `<table><thead><tr><th class="num">id</th><th>client id</th><th>remote</th><th>fetch mode</th><th class="num">fetches</th><th>last fetch</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function modeLegend(): string {
  return FETCH_MODES.map((m) => `<span class="key"><i style="background:${MODE_COLORS[m]}"></i>${m}</span>`).join('');
}

function topicSeries(state: State, field: 'Records' | 'Bytes'): ChartSeries[] {
  const out: ChartSeries[] = [];
  for (const t of state.activity?.topics ?? []) {
    const color = topicColor(state, t.name);
    const pick = (k: 'produced' | 'fetched') => (x: Sample) => topicOf(x, t.name)?.[`${k}${field}`];
    out.push({ label: `${t.name} produce`, color, points: rateSeries(state.samples, pick('produced')) });
    out.push({ label: `${t.name} fetch`, color, dashed: true, points: rateSeries(state.samples, pick('fetched')) });
  }
  return out;
}

function modeSeries(state: State, field: 'cpuCopies' | 'modeSwitches' | 'dmaBytes'): ChartSeries[] {
  return FETCH_MODES.map((mode) => ({ label: mode, color: MODE_COLORS[mode], points: rateSeries(state.samples, (x) => modeOf(x, mode)?.[field]) }));
}

export const overview: View = {
  id: 'overview',
  title: 'Overview',
  mount(root, store) {
    root.innerHTML = `
      <section class="kpis" data-slot="kpis"></section>
      <section class="card">
        <h2>Produce and fetch by topic</h2>
        <div class="legend" data-slot="topic-legend"></div>
        <div class="charts two">
          <figure><figcaption>records/s</figcaption><canvas data-chart="records" data-testid="rate-chart"></canvas></figure>
          <figure><figcaption>bytes/s</figcaption><canvas data-chart="bytes"></canvas></figure>
        </div>
        <div data-slot="topics"></div>
      </section>
      <section class="card">
        <h2>Fetch modes</h2>
        <div data-slot="modes"></div>
        <div class="legend">${modeLegend()}</div>
        <div class="charts three">
          <figure><figcaption>CPU copies/s</figcaption><canvas data-chart="cpu"></canvas></figure>
          <figure><figcaption>mode switches/s</figcaption><canvas data-chart="switches"></canvas></figure>
          <figure><figcaption>DMA bytes/s</figcaption><canvas data-chart="dma"></canvas></figure>
        </div>
      </section>
      <section class="card">
        <h2>Kafka connections</h2>
        <div data-slot="connections"></div>
      </section>`;
    onAction(root, 'click', 'draw-connection', (el) => {
      store.setPathTarget({ kind: 'connection', id: Number(el.dataset.id) });
      location.hash = '#path';
    });
  },
  render(state) {
    return {
      kpis: kpis(state),
      'topic-legend': topicLegend(state),
      topics: topicsTable(state),
      modes: modesTable(state),
      connections: connectionsTable(state),
    };
  },
  paint(root, state) {
    const chart = (name: string) => root.querySelector<HTMLCanvasElement>(`canvas[data-chart="${name}"]`)!;
    const common = { windowMs: WINDOW_MS, now: state.latest?.timestamp ?? state.now, emptyText: 'waiting for data' };
    paintLineChart(chart('records'), { ...common, series: topicSeries(state, 'Records'), yFormat: fmtCount, yMinMax: 10 });
    paintLineChart(chart('bytes'), { ...common, series: topicSeries(state, 'Bytes'), yFormat: (v) => fmtBytes(v), yMinMax: 1024, yBinary: true });
    paintLineChart(chart('cpu'), { ...common, series: modeSeries(state, 'cpuCopies'), yFormat: fmtCount, yMinMax: 10 });
    paintLineChart(chart('switches'), { ...common, series: modeSeries(state, 'modeSwitches'), yFormat: fmtCount, yMinMax: 10 });
    paintLineChart(chart('dma'), { ...common, series: modeSeries(state, 'dmaBytes'), yFormat: (v) => fmtBytes(v), yMinMax: 1024, yBinary: true });
  },
};
