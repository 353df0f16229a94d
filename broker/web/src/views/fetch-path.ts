// Fetch path: the last fetch of a chosen fetch mode or Kafka connection drawn
// the way the zero-copy article draws an I/O path: three lanes (user space,
// kernel space, hardware), each copy an arrow marked CPU or DMA, each system
// call with its two mode switches across the user/kernel boundary, and the
// numbers taken from that fetch's own accounting. It follows the mode live:
// change the broker's default mode here, or a connection's with
// CopylessSetFetchMode, and the next push redraws it.

import type { FetchTrace } from '../../../dashboard/messages.ts';
import { esc, fmtAgo, fmtBytes, fmtInt } from '../format.ts';
import { FETCH_MODES, MODE_COLORS, isModelledMode, modeBadge, type FetchMode } from '../modes.ts';
import { NODES, pathModel, totalSyscalls, type NodeId, type PathArrow, type PathModel } from '../path-model.ts';
import type { PathTarget, State, Store } from '../store.ts';
import { onAction, type View } from '../view.ts';

const W = 980;
const LANES = { user: [0, 130], kernel: [130, 300], hardware: [300, 420] } as const;
const H = LANES.hardware[1];
const BOX_W = 150;
const BOX_H = 54;
const COLUMN_X = [350, 590, 822];
const BOX_Y = { user: 40, kernel: 196, hardware: 340 };
const SYSCALL_X0 = 74;
const SYSCALL_DX = 76;
const ARROW_COLORS = { cpu: '#d62728', dma: '#1f6fb4', ref: '#6b7280', unobserved: '#9ca3af' };

interface Box {
  x: number;
  y: number;
}

function box(id: NodeId): Box {
  const n = NODES[id];
  return { x: COLUMN_X[n.column], y: BOX_Y[n.lane] };
}

/** Where the segment from the centre of `a` towards the centre of `b` leaves box `a`. */
function edgePoint(a: Box, b: Box, pad: number): [number, number] {
  const ax = a.x + BOX_W / 2;
  const ay = a.y + BOX_H / 2;
  const dx = b.x + BOX_W / 2 - ax;
  const dy = b.y + BOX_H / 2 - ay;
  const sx = dx === 0 ? Infinity : (BOX_W / 2 + pad) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (BOX_H / 2 + pad) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [ax + dx * s, ay + dy * s];
}

/** The selected target resolved to a mode and that mode's last fetch (of the connection, for a connection). */
export function resolveTarget(state: State): { mode: FetchMode; trace: FetchTrace | null; label: string } {
  const a = state.activity;
  const t: PathTarget = state.pathTarget;
  if (t.kind === 'connection') {
    const c = a?.connections.kafka.find((k) => k.id === t.id);
    const mode = c?.fetchMode ?? a?.defaultFetchMode ?? 'sendfile';
    const trace = a?.connectionFetch && a.connectionFetch.connection === t.id ? a.connectionFetch : null;
    return { mode, trace, label: c ? `connection ${t.id}${c.clientId ? ` (${c.clientId})` : ''}` : `connection ${t.id} (closed)` };
  }
  const mode = t.kind === 'mode' ? t.mode : (a?.defaultFetchMode ?? 'sendfile');
  return { mode, trace: a?.lastFetch[mode] ?? null, label: t.kind === 'mode' ? `mode ${mode}` : `broker default (${mode})` };
}

function arrowSvg(ar: PathArrow, i: number): string {
  const a = box(ar.from);
  const b = box(ar.to);
  const [x1, y1] = edgePoint(a, b, 4);
  const [x2, y2] = edgePoint(b, a, 10);
  const color = ARROW_COLORS[ar.kind];
  const dash = ar.kind === 'ref' ? ' stroke-dasharray="7 5"' : ar.kind === 'unobserved' ? ' stroke-dasharray="2 4"' : ar.idle ? ' stroke-dasharray="4 4"' : '';
  const width = ar.kind === 'cpu' || ar.kind === 'dma' ? 3 : 2;
  const mx = (x1 + x2) / 2;
  const my = (y1 + y2) / 2;
  const vertical = Math.abs(x2 - x1) < 1;
  const horizontal = Math.abs(y2 - y1) < 1;
  // Beside a vertical arrow (left of the last column, where there is room), above a horizontal one,
  // and on the outer side of a diagonal (left of one going up, right of one going down).
  let lx = mx;
  let ly = my - 24;
  let anchor = 'middle';
  if (vertical) {
    const left = NODES[ar.from].column === 2;
    [lx, ly, anchor] = [mx + (left ? -10 : 10), my - 4, left ? 'end' : 'start'];
  } else if (!horizontal) {
    const up = y2 < y1;
    [lx, ly, anchor] = [mx + (up ? -14 : 6), my + (up ? 4 : -18), up ? 'end' : 'start'];
  }
  const tag = ar.kind === 'cpu' ? 'CPU copy' : ar.kind === 'dma' ? 'DMA' : ar.kind === 'ref' ? 'no copy' : 'not observed';
  const amount = ar.bytes === null ? '' : ` · ${fmtBytes(ar.bytes)}`;
  return `<g class="arrow ${ar.kind}${ar.idle ? ' idle' : ''}" data-kind="${ar.kind}" opacity="${ar.idle ? 0.45 : 1}">
    <line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${color}" stroke-width="${width}"${dash} marker-end="url(#head-${ar.kind}-${i})"/>
    <defs><marker id="head-${ar.kind}-${i}" viewBox="0 0 10 10" refX="2" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker></defs>
    <text x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="${anchor}" class="halo"><tspan class="arrow-tag" fill="${color}">${tag}${esc(amount)}</tspan><tspan x="${lx.toFixed(1)}" dy="14" class="arrow-label">${esc(ar.label)}</tspan></text>
  </g>`;
}

function nodeSvg(id: NodeId, m: PathModel): string {
  const b = box(id);
  const [label, sub] = id === 'cache' ? m.cacheLabel : [NODES[id].label, ''];
  const cx = b.x + BOX_W / 2;
  const text = sub
    ? `<text x="${cx}" y="${b.y + 23}" text-anchor="middle">${esc(label)}</text><text x="${cx}" y="${b.y + 40}" text-anchor="middle" class="node-sub">${esc(sub)}</text>`
    : `<text x="${cx}" y="${b.y + BOX_H / 2 + 5}" text-anchor="middle">${esc(label)}</text>`;
  return `<g class="node ${NODES[id].lane}" data-node="${id}"><rect x="${b.x}" y="${b.y}" width="${BOX_W}" height="${BOX_H}" rx="8"/>${text}</g>`;
}

/** Modes whose bytes never enter user space: a ghost box says the broker process does not touch them. */
function ghostSvg(m: PathModel): string {
  if (m.nodes.includes('app') || m.nodes.includes('mapped')) return '';
  const b = box('app');
  const w = BOX_W + 40;
  const x = b.x - 20;
  return `<g class="ghost"><rect x="${x}" y="${b.y}" width="${w}" height="${BOX_H}" rx="8"/><text x="${x + w / 2}" y="${b.y + 23}" text-anchor="middle">broker process</text><text x="${x + w / 2}" y="${b.y + 40}" text-anchor="middle" class="node-sub">never touches the bytes</text></g>`;
}

function syscallsSvg(m: PathModel): string {
  const boundary = LANES.user[1];
  return m.syscalls
    .map((s, i) => {
      const cx = SYSCALL_X0 + i * SYSCALL_DX;
      const top = boundary - 42;
      const bottom = boundary + 42;
      const color = s.trap ? '#9ca3af' : '#111827';
      const dash = s.trap ? ' stroke-dasharray="3 3"' : '';
      const count = s.count === null ? '×?' : `×${fmtInt(s.count)}`;
      const switches = s.trap ? 'traps' : s.count === null ? '' : `${fmtInt(2 * s.count)} switches`;
      return `<g class="syscall" data-name="${esc(s.name)}" data-count="${s.count ?? ''}">
        <text x="${cx}" y="${top - 10}" text-anchor="middle" class="sys-name">${esc(s.name)}${s.trap ? '' : '()'}</text>
        <line x1="${cx - 7}" y1="${top}" x2="${cx - 7}" y2="${bottom}" stroke="${color}" stroke-width="1.6"${dash} marker-end="url(#sw)"/>
        <line x1="${cx + 7}" y1="${bottom}" x2="${cx + 7}" y2="${top}" stroke="${color}" stroke-width="1.6"${dash} marker-end="url(#sw)"/>
        <text x="${cx}" y="${bottom + 16}" text-anchor="middle" class="sys-count">${count}</text>
        <text x="${cx}" y="${bottom + 30}" text-anchor="middle" class="sys-note">${switches}</text>
        ${s.note ? `<title>${esc(s.note)}</title>` : ''}
      </g>`;
    })
    .join('');
}

export function pathSvg(m: PathModel): string {
  const lanes = (Object.keys(LANES) as Array<keyof typeof LANES>)
    .map((lane) => {
      const [y0, y1] = LANES[lane];
      const name = lane === 'user' ? 'User space' : lane === 'kernel' ? 'Kernel space' : 'Hardware';
      const cy = (y0 + y1) / 2;
      return `<rect class="lane ${lane}" x="0" y="${y0}" width="${W}" height="${y1 - y0}"/><text class="lane-name" x="20" y="${cy}" text-anchor="middle" dominant-baseline="middle" transform="rotate(-90 20 ${cy})">${name}</text>`;
    })
    .join('');
  const total = totalSyscalls(m);
  return `<svg viewBox="0 0 ${W} ${H}" class="path" data-testid="fetch-path" data-mode="${m.mode}" role="img" aria-label="${esc(m.title)}">
    <defs><marker id="sw" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#111827"/></marker></defs>
    ${lanes}
    <line x1="0" y1="${LANES.user[1]}" x2="${W}" y2="${LANES.user[1]}" class="boundary"/>
    <text x="${SYSCALL_X0 - 16}" y="${LANES.user[0] + 26}" class="sys-title" data-testid="path-total">${total === null ? 'no fetch yet: each system call is 2 mode switches' : `${fmtInt(total)} system call${total === 1 ? '' : 's'} = ${fmtInt(2 * total)} mode switches`}</text>
    ${syscallsSvg(m)}
    ${ghostSvg(m)}
    ${m.nodes.map((id) => nodeSvg(id, m)).join('')}
    ${m.arrows.map((a, i) => arrowSvg(a, i)).join('')}
  </svg>`;
}

function targetSelect(state: State): string {
  const t = state.pathTarget;
  const a = state.activity;
  const opt = (value: string, label: string, selected: boolean) => `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(label)}</option>`;
  const options = [opt('default', `broker default${a ? ` (${a.defaultFetchMode})` : ''}`, t.kind === 'default')];
  for (const m of FETCH_MODES) options.push(opt(`mode:${m}`, `mode ${m}`, t.kind === 'mode' && t.mode === m));
  for (const c of a?.connections.kafka ?? []) options.push(opt(`conn:${c.id}`, `connection ${c.id}${c.clientId ? ` ${c.clientId}` : ''} (${c.fetchMode})`, t.kind === 'connection' && t.id === c.id));
  if (t.kind === 'connection' && !a?.connections.kafka.some((c) => c.id === t.id)) options.push(opt(`conn:${t.id}`, `connection ${t.id} (closed)`, true));
  return `<label>Draw the last fetch of <select data-action="path-target" data-testid="path-target">${options.join('')}</select></label>`;
}

function tryControls(state: State, mode: FetchMode): string {
  const parts = (state.activity?.topics ?? []).flatMap((t) => t.partitions.filter((p) => p.logEndOffset > p.logStartOffset).map((p) => `${t.name}/${p.partition}`));
  if (parts.length === 0) return '<span class="muted small">Produce to a topic, then run a fetch here.</span>';
  const available = state.activity?.availableFetchModes.includes(mode) ?? false;
  return `<select data-try-partition>${parts.map((p) => `<option>${esc(p)}</option>`).join('')}</select>
    <button data-action="try-fetch" data-mode="${mode}"${available ? '' : ' disabled title="the native addon is unavailable"'}>Run one ${esc(mode)} fetch</button>`;
}

function facts(trace: FetchTrace | null, mode: FetchMode, label: string, now: number): string {
  if (!trace) return `<p class="muted" data-testid="path-no-fetch">No fetch with records in mode ${esc(mode)} yet for ${esc(label)}: the drawing shows the path without numbers.</p>`;
  const a = trace.accounting;
  const row = (k: string, v: string) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`;
  const parts = trace.partitions.map((p) => `${esc(p.topic)}-${p.partition} @${p.firstOffset} (${fmtBytes(p.bytes)})`).join(', ');
  const native = trace.native
    ? row('real calls', `sendfile ${trace.native.sendfileCalls}, pread ${trace.native.preadCalls}, write ${trace.native.writeCalls}, poll ${trace.native.pollCalls}, EAGAIN ${trace.native.eagain}`)
    : '';
  return `<table class="kv facts" data-testid="path-facts">
    ${row('fetch', `${fmtAgo(trace.at, now)}${trace.connection !== null ? ` · Kafka connection ${trace.connection}` : ' · HTTP or WebSocket'} · ${parts}`)}
    ${row('bytes', fmtBytes(a.bytes))}
    ${row('system calls / mode switches', `<b data-testid="path-syscalls">${a.syscalls}</b> / ${a.modeSwitches} <span class="muted">(record path; +${a.headerSyscalls} header write)</span>`)}
    ${row('CPU copies', `${a.cpuCopies} · ${fmtBytes(a.cpuCopyBytes)} <span class="muted">(kernel→user ${fmtBytes(a.cpuCopyBytesKernelToUser)}, user→kernel ${fmtBytes(a.cpuCopyBytesUserToKernel)}, kernel→kernel ${fmtBytes(a.cpuCopyBytesKernelToKernel)})</span>`)}
    ${row('DMA transfers', `${a.dmaCopies} · ${fmtBytes(a.dmaBytes)} <span class="muted">(disk→cache ${fmtBytes(a.dmaBytesDiskToCache)}, cache→NIC ${fmtBytes(a.dmaBytesCacheToNic)}, socket→NIC ${fmtBytes(a.dmaBytesSocketToNic)})</span>`)}
    ${isModelledMode(trace.mode) ? row('page cache', `${a.pageCacheHits} hits, ${a.pageCacheMisses} misses, ${a.readAheadPages} read ahead, ${a.pinnedPages} pinned, ${a.pageFaults} faults`) : ''}
    ${native}
  </table>`;
}

export const fetchPath: View = {
  id: 'path',
  title: 'Fetch path',
  mount(root, store: Store) {
    root.innerHTML = `
      <section class="card">
        <div class="toolbar"><span data-slot="target"></span><span data-slot="try"></span></div>
        <div data-slot="heading"></div>
        <div class="path-wrap" data-slot="drawing"></div>
        <div class="legend">
          <span class="key"><i class="arrow-key cpu"></i>CPU copy</span><span class="key"><i class="arrow-key dma"></i>DMA transfer</span>
          <span class="key"><i class="arrow-key ref"></i>page references, no copy</span><span class="key"><i class="arrow-key unobserved"></i>real, not observed</span>
          <span class="key">↓↑ one system call = two mode switches (user → kernel → user)</span>
        </div>
        <div data-slot="facts"></div>
      </section>`;
    onAction(root, 'change', 'path-target', (el) => {
      const v = (el as HTMLSelectElement).value;
      if (v === 'default') store.setPathTarget({ kind: 'default' });
      else if (v.startsWith('mode:')) store.setPathTarget({ kind: 'mode', mode: v.slice(5) as FetchMode });
      else store.setPathTarget({ kind: 'connection', id: Number(v.slice(5)) });
    });
    onAction(root, 'click', 'try-fetch', (el) => {
      const sel = root.querySelector<HTMLSelectElement>('[data-try-partition]');
      if (!sel) return;
      const [topic, partition] = sel.value.split('/');
      void store.tryFetch(el.dataset.mode as FetchMode, topic, Number(partition));
    });
  },
  render(state) {
    const { mode, trace, label } = resolveTarget(state);
    const model = pathModel(mode, trace, state.activity?.sgDma ?? false);
    return {
      target: targetSelect(state),
      try: tryControls(state, mode),
      heading: `<h2>${modeBadge(mode)} <span class="path-title" style="--c:${MODE_COLORS[mode]}">${esc(model.title)}</span></h2><p class="muted">${esc(label)} · ${esc(model.caption)}</p>`,
      drawing: pathSvg(model),
      facts: facts(trace, mode, label, state.now),
    };
  },
};
