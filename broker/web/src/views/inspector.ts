// Log inspector: topics, then a topic's partitions, then a partition's
// segments (base offsets, sizes, index entries, cached pages), and a batch
// browser over the stored RecordBatches (GET .../batches): offsets, CRC valid
// or not, compression, timestamps, producer; and each batch's records with
// keys, values and headers as text or hex.

import type { InspectedBatch } from '../../../http/batch-inspect.ts';
import { esc, fmtBytes, fmtClock, fmtInt, fmtTime } from '../format.ts';
import type { State, Store } from '../store.ts';
import { onAction, type View } from '../view.ts';

type JsonBytes = string | { base64: string } | null;

function bytesOf(v: JsonBytes): Uint8Array | null {
  if (v === null) return null;
  if (typeof v === 'string') return new TextEncoder().encode(v);
  const bin = atob(v.base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes shown as text when they are valid UTF-8 (else hex, marked), or always as hex. */
export function showBytes(v: JsonBytes, as: 'text' | 'hex'): string {
  const b = bytesOf(v);
  if (b === null) return '<span class="muted">null</span>';
  const hex = () => `<code class="hex">${[...b].map((x) => x.toString(16).padStart(2, '0')).join(' ')}</code>`;
  if (as === 'hex') return hex();
  try {
    return `<span class="text">${esc(utf8.decode(b))}</span>`;
  } catch {
    return `${hex()} <span class="tag">binary</span>`;
  }
}

function topicsList(state: State): string {
  const topics = state.topics;
  if (!topics) return '<p class="muted">loading…</p>';
  if (topics.length === 0) return '<p class="muted">No topics.</p>';
  return `<ul class="picker">${topics
    .map(
      (t) =>
        `<li><button data-action="topic" data-name="${esc(t.name)}" class="${state.topic === t.name ? 'on' : ''}">${esc(t.name)}<span class="muted">${t.partitions} p · ${fmtInt(t.messages)} msgs · ${fmtBytes(t.sizeBytes)}</span></button></li>`,
    )
    .join('')}</ul>`;
}

function partitionsTable(state: State): string {
  const d = state.topicDetail;
  if (!state.topic) return '<p class="muted">Pick a topic.</p>';
  if (!d) return '<p class="muted">loading…</p>';
  const rows = d.partitions.map(
    (p) => `<tr class="${state.partition === p.partition ? 'on' : ''}"><td><button data-action="partition" data-partition="${p.partition}">${p.partition}</button></td>
      <td class="num">${p.logStartOffset}</td><td class="num" data-testid="inspector-end-offset" data-partition="${p.partition}">${p.logEndOffset}</td><td class="num">${fmtBytes(p.sizeBytes)}</td>
      <td class="num">${p.segments.length}</td><td class="num">${fmtInt(p.residentPages)}</td></tr>`,
  );
  return `<h3>${esc(d.name)} <span class="muted small">${esc(d.topicId)}</span></h3>
    <table><thead><tr><th>partition</th><th class="num">log start</th><th class="num">log end</th><th class="num">size</th><th class="num">segments</th><th class="num">cached pages</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function segmentsTable(state: State): string {
  const p = state.topicDetail?.partitions.find((x) => x.partition === state.partition);
  if (!p) return '';
  const rows = p.segments.map((s, i) => {
    const next = p.segments[i + 1]?.baseOffset ?? p.logEndOffset;
    return `<tr><td class="num"><button data-action="batches-at" data-offset="${s.baseOffset}">${s.baseOffset}</button></td><td class="num">${next - 1 >= s.baseOffset ? next - 1 : '–'}</td>
      <td class="num">${fmtBytes(s.sizeBytes)}</td><td class="num">${fmtInt(s.indexEntries)}</td><td class="num">${fmtInt(s.timeIndexEntries)}</td>
      <td class="num">${fmtInt(s.residentPages)}</td><td class="num">${fmtInt(s.dirtyPages)}</td><td>${s.active ? '<span class="tag">active</span>' : ''}</td></tr>`;
  });
  return `<h3>Segments of partition ${p.partition}</h3>
    <table><thead><tr><th class="num">base offset</th><th class="num">last offset</th><th class="num">size</th><th class="num">index entries</th><th class="num">time-index entries</th><th class="num">cached pages</th><th class="num">dirty</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Records shown per batch; the rest are counted (a batch may hold thousands). */
const RECORDS_SHOWN_MAX = 25;
/** Batches shown open; the others start folded. */
const BATCHES_OPEN = 3;

function batchRow(b: InspectedBatch, as: 'text' | 'hex', open: boolean): string {
  const producer = b.producerId >= 0 ? `${b.producerId} (epoch ${b.producerEpoch}, seq ${b.baseSequence})` : '<span class="muted">none</span>';
  const crc = b.crcValid
    ? `<span class="ok" data-testid="crc-ok">✓ ${b.crc}</span>`
    : `<span class="bad" data-testid="crc-bad">✗ stored ${b.crc}, bytes hash to ${b.crcComputed}</span>`;
  const records = b.records
    ? `<table class="records"><thead><tr><th class="num">offset</th><th>time (UTC)</th><th>key</th><th>value</th><th>headers</th></tr></thead><tbody>${b.records
        .slice(0, RECORDS_SHOWN_MAX)
        .map(
          (r) => `<tr><td class="num">${r.offset}</td><td class="ts" title="${esc(fmtTime(r.timestamp))}">${fmtClock(r.timestamp)}</td><td class="key-cell">${showBytes(r.key, as)}</td><td class="val" data-testid="record-value">${showBytes(r.value, as)}</td>
            <td>${r.headers.map((h) => `<span class="hdr" data-testid="record-header"><b>${esc(h.key)}</b>=${showBytes(h.value, as)}</span>`).join(' ')}</td></tr>`,
        )
        .join('')}</tbody></table>${b.records.length > RECORDS_SHOWN_MAX ? `<p class="muted small">${b.records.length - RECORDS_SHOWN_MAX} more records in this batch</p>` : ''}`
    : `<p class="bad">${esc(b.recordsError ?? 'records not decoded')}</p>`;
  return `<details class="batch" data-testid="batch" data-base-offset="${b.baseOffset}"${open ? ' open' : ''}>
    <summary><b>${b.baseOffset}–${b.lastOffset}</b> · ${b.recordsCount} records · ${fmtBytes(b.totalBytes)} · <span data-testid="batch-compression">${esc(b.compression)}</span> · CRC ${crc}</summary>
    <table class="kv"><tr><th>position</th><td>byte ${fmtInt(b.filePosition)} of the segment file · magic ${b.magic} · leader epoch ${b.partitionLeaderEpoch}</td></tr>
      <tr><th>timestamps</th><td>${esc(b.timestampType)} · base ${fmtTime(b.baseTimestamp)} · max ${fmtTime(b.maxTimestamp)}</td></tr>
      <tr><th>producer</th><td>${producer}${b.transactional ? ' · transactional' : ''}${b.control ? ' · control batch' : ''}</td></tr></table>
    ${records}
  </details>`;
}

function batches(state: State): string {
  if (state.partition === null) return '';
  const b = state.batches;
  const toolbar = `<div class="toolbar"><label>from offset <input type="number" min="0" data-batch-offset value="${b?.fetchOffset ?? 0}"></label>
    <button data-action="load-batches">Load</button>
    ${b?.nextOffset != null ? `<button data-action="batches-at" data-offset="${b.nextOffset}">Next batches ›</button>` : ''}
    <span class="seg-buttons">show bytes as <button data-action="bytes-as" data-as="text" class="${state.bytesAs === 'text' ? 'on' : ''}">text</button><button data-action="bytes-as" data-as="hex" class="${state.bytesAs === 'hex' ? 'on' : ''}">hex</button></span>
    ${state.batchesLoading ? '<span class="muted">loading…</span>' : ''}</div>`;
  if (!b) return `<h3>Batches</h3>${toolbar}`;
  const list = b.batches.length === 0 ? '<p class="muted">No whole batch at this offset (the log ends here).</p>' : b.batches.map((x, i) => batchRow(x, state.bytesAs, i < BATCHES_OPEN)).join('');
  return `<h3>Batches of partition ${b.partition} <span class="muted small">read with the copy mode from segment ${b.segmentBaseOffset ?? '–'}; high watermark ${b.highWatermark}</span></h3>${toolbar}
    ${b.stopReason ? `<p class="bad">stopped: ${esc(b.stopReason)}</p>` : ''}${list}`;
}

export const inspector: View = {
  id: 'inspect',
  title: 'Log inspector',
  mount(root, store: Store) {
    root.innerHTML = `
      <div class="inspect-grid">
        <section class="card"><h2>Topics</h2><div data-slot="topics"></div></section>
        <section class="card"><div data-slot="partitions"></div><div data-slot="segments"></div></section>
      </div>
      <section class="card" data-slot="batches"></section>`;
    onAction(root, 'click', 'topic', (el) => store.selectTopic(el.dataset.name ?? null));
    onAction(root, 'click', 'partition', (el) => store.selectPartition(Number(el.dataset.partition)));
    onAction(root, 'click', 'batches-at', (el) => void store.loadBatches(Number(el.dataset.offset)));
    onAction(root, 'click', 'load-batches', () => {
      const v = Number(root.querySelector<HTMLInputElement>('[data-batch-offset]')?.value ?? 0);
      void store.loadBatches(Number.isSafeInteger(v) && v >= 0 ? v : 0);
    });
    onAction(root, 'click', 'bytes-as', (el) => store.setBytesAs(el.dataset.as === 'hex' ? 'hex' : 'text'));
  },
  render(state) {
    return { topics: topicsList(state), partitions: partitionsTable(state), segments: segmentsTable(state), batches: batches(state) };
  },
};
