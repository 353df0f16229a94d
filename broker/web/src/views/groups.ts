// Consumer groups: the groups, and for the chosen one its members with their
// assignments, each partition's committed offset and lag (messages and
// bytes), and the lag over time since the page started watching the group.

import { paintLineChart } from '../chart.ts';
import { esc, fmtAgo, fmtBytes, fmtCount, fmtInt } from '../format.ts';
import type { State, Store } from '../store.ts';
import { onAction, type View } from '../view.ts';

function groupList(state: State): string {
  const g = state.groups;
  if (!g) return '<p class="muted">loading…</p>';
  if (g.length === 0) return '<p class="muted">No consumer groups yet. Start one: <code>npx copyless consume demo --group g</code>.</p>';
  return `<ul class="picker">${g
    .map(
      (x) =>
        `<li><button data-action="group" data-id="${esc(x.groupId)}" class="${state.group === x.groupId ? 'on' : ''}">${esc(x.groupId)}<span class="muted">${esc(x.state)} · ${x.members} member${x.members === 1 ? '' : 's'}</span></button></li>`,
    )
    .join('')}</ul>`;
}

function groupDetail(state: State): string {
  const d = state.groupDetail;
  if (!state.group) return '<p class="muted">Pick a group.</p>';
  if (!d) return '<p class="muted">loading…</p>';
  const members = d.memberList.length
    ? `<table><thead><tr><th>member</th><th>client</th><th>host</th><th>assignment</th></tr></thead><tbody>${d.memberList
        .map(
          (m) => `<tr><td><code>${esc(m.memberId)}</code></td><td>${esc(m.clientId)}</td><td>${esc(m.clientHost)}</td>
            <td>${m.assignment.map((a) => `${esc(a.topic)}: ${a.partitions.join(', ')}`).join('; ') || '<span class="muted">none</span>'}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="muted">No members (offsets only).</p>';
  const parts = d.partitions
    .map(
      (p) => `<tr><td>${esc(p.topic)}-${p.partition}</td><td class="num">${p.committedOffset < 0 ? '–' : p.committedOffset}</td><td class="num">${p.logEndOffset}</td>
        <td class="num" data-testid="lag-messages">${fmtInt(p.lagMessages)}</td><td class="num">${fmtBytes(p.lagBytes)}</td>
        <td>${p.oldestUnconsumedAgeMs === null ? '' : `oldest unconsumed ${fmtAgo(state.now - p.oldestUnconsumedAgeMs, state.now)}`}</td><td><code>${esc(p.memberId ?? '')}</code></td></tr>`,
    )
    .join('');
  return `<h3>${esc(d.groupId)} <span class="tag">${esc(d.state)}</span> <span class="muted small">generation ${d.generationId}${d.protocol ? ` · ${esc(d.protocol)}` : ''} · total lag ${fmtInt(d.totalLag)}</span></h3>
    <h4>Members</h4>${members}
    <h4>Committed offsets and lag</h4>
    <table><thead><tr><th>partition</th><th class="num">committed</th><th class="num">log end</th><th class="num">lag</th><th class="num">lag bytes</th><th></th><th>owner</th></tr></thead><tbody>${parts}</tbody></table>`;
}

export const groups: View = {
  id: 'groups',
  title: 'Consumer groups',
  mount(root, store: Store) {
    root.innerHTML = `
      <div class="inspect-grid">
        <section class="card"><h2>Groups</h2><div data-slot="list"></div></section>
        <section class="card">
          <div data-slot="detail"></div>
          <div class="charts two">
            <figure><figcaption>lag, messages</figcaption><canvas data-chart="lag-messages"></canvas></figure>
            <figure><figcaption>lag, bytes</figcaption><canvas data-chart="lag-bytes"></canvas></figure>
          </div>
        </section>
      </div>`;
    onAction(root, 'click', 'group', (el) => store.selectGroup(el.dataset.id ?? null));
  },
  render(state) {
    return { list: groupList(state), detail: groupDetail(state) };
  },
  paint(root, state) {
    const history = state.group ? (state.lagHistory[state.group] ?? []) : [];
    const windowMs = Math.max(60_000, Math.min(600_000, history.length > 1 ? history[history.length - 1].t - history[0].t : 0));
    const common = { windowMs, now: state.now, emptyText: state.group ? 'collecting…' : 'pick a group' };
    paintLineChart(root.querySelector<HTMLCanvasElement>('canvas[data-chart="lag-messages"]')!, {
      ...common,
      series: [{ label: 'lag', color: '#4269d0', points: history.map((p) => [p.t, p.messages]) }],
      yFormat: fmtCount,
      yMinMax: 10,
    });
    paintLineChart(root.querySelector<HTMLCanvasElement>('canvas[data-chart="lag-bytes"]')!, {
      ...common,
      series: [{ label: 'lag bytes', color: '#e4572e', points: history.map((p) => [p.t, p.bytes]) }],
      yFormat: (v) => fmtBytes(v),
      yMinMax: 1024,
      yBinary: true,
    });
  },
};
