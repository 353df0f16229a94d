// The header: tabs, the live/offline indicator, and the study controls: the
// broker's default fetch mode and SG-DMA switch (PATCH /broker/config), write
// back dirty pages, drop the caches. With a bearer token configured these (and
// every read) need it: the page asks for it once and keeps it for the tab.

import { esc } from '../format.ts';
import { FETCH_MODES } from '../modes.ts';
import type { State, Store, ViewId } from '../store.ts';
import { onAction } from '../view.ts';

export const TOKEN_KEY = 'copyless-token';

function status(state: State): string {
  const label = { connecting: 'connecting…', open: 'live', closed: 'offline: reconnecting', unauthorized: 'token needed' }[state.link];
  return `<span class="status ${state.link}" data-testid="link-status"><i></i>${label}</span>${state.info ? `<span class="muted small">copyless ${esc(state.info.version)}</span>` : ''}`;
}

function studyControls(state: State): string {
  const a = state.activity;
  const available = a?.availableFetchModes ?? FETCH_MODES;
  const options = FETCH_MODES.map(
    (m) => `<option value="${m}"${a?.defaultFetchMode === m ? ' selected' : ''}${available.includes(m) ? '' : ' disabled'}>${m}</option>`,
  ).join('');
  return `<label title="New Kafka connections and raw HTTP fetches use it">default fetch mode <select data-action="default-mode" data-testid="default-mode">${options}</select></label>
    <label title="Model a NIC with scatter/gather DMA: sendfile copies nothing"><input type="checkbox" data-action="sg-dma"${a?.sgDma ? ' checked' : ''}> SG-DMA</label>
    <button data-action="write-back" data-testid="write-back" title="fdatasync every partition: dirty pages become clean">Write back dirty pages</button>
    <button data-action="drop-caches" data-testid="drop-caches" title="echo 1 > drop_caches: write back, then drop every unpinned simulated page">Drop caches</button>`;
}

function messages(state: State): string {
  const token =
    state.link === 'unauthorized'
      ? `<form class="token" data-token-form><label>This broker needs its bearer token: <input type="password" name="token" autocomplete="off" data-testid="token"></label> <button>Use token</button></form>`
      : '';
  if (state.error) return `${token}<p class="error" data-testid="error">${esc(state.error)}</p>`;
  if (state.notice) return `${token}<p class="notice" data-testid="notice">${esc(state.notice)}</p>`;
  return token;
}

export const controls = {
  mount(root: HTMLElement, store: Store, views: Array<{ id: ViewId; title: string }>): void {
    root.innerHTML = `
      <div class="bar1">
        <span class="brand">copyless</span>
        <nav>${views.map((v) => `<a href="#${v.id}" data-tab="${v.id}">${esc(v.title)}</a>`).join('')}</nav>
        <span class="right" data-slot="status"></span>
      </div>
      <div class="bar2"><span class="muted small">study controls</span><span data-slot="study"></span></div>
      <div data-slot="messages"></div>`;
    onAction(root, 'change', 'default-mode', (el) => void store.setDefaultFetchMode((el as HTMLSelectElement).value as (typeof FETCH_MODES)[number]));
    onAction(root, 'change', 'sg-dma', (el) => void store.setSgDma((el as HTMLInputElement).checked));
    onAction(root, 'click', 'write-back', () => void store.writeBack());
    onAction(root, 'click', 'drop-caches', () => void store.dropCaches());
    root.addEventListener('submit', (e) => {
      const form = (e.target as HTMLElement).closest('[data-token-form]') as HTMLFormElement | null;
      if (!form) return;
      e.preventDefault();
      const token = (form.elements.namedItem('token') as HTMLInputElement).value.trim();
      sessionStorage.setItem(TOKEN_KEY, token);
      store.setToken(token);
    });
  },
  render(state: State): Record<string, string> {
    return { status: status(state), study: studyControls(state), messages: messages(state) };
  },
};
