// The dashboard's entry point: one Store (the WebSocket and the state), one
// module per view, and a render loop that writes only what changed, at most
// once per animation frame. The tab is the URL hash (#overview, #cache, ...).

import { controls, TOKEN_KEY } from './views/controls.ts';
import { fetchPath } from './views/fetch-path.ts';
import { groups } from './views/groups.ts';
import { inspector } from './views/inspector.ts';
import { overview } from './views/overview.ts';
import { pageCache } from './views/page-cache.ts';
import { Store, VIEW_IDS, type State, type ViewId } from './store.ts';
import { patchSlot, type View } from './view.ts';

const VIEWS: View[] = [overview, pageCache, fetchPath, inspector, groups];

function viewFromHash(): ViewId {
  const id = location.hash.slice(1) as ViewId;
  return VIEW_IDS.includes(id) ? id : 'overview';
}

function main(): void {
  const store = new Store(location.origin, sessionStorage.getItem(TOKEN_KEY));
  const header = document.querySelector<HTMLElement>('#header')!;
  const content = document.querySelector<HTMLElement>('#content')!;
  controls.mount(header, store, VIEWS);
  const roots = new Map<ViewId, HTMLElement>();
  for (const v of VIEWS) {
    const root = document.createElement('div');
    root.className = 'view';
    root.dataset.view = v.id;
    content.append(root);
    v.mount(root, store);
    roots.set(v.id, root);
  }

  let queued = false;
  const draw = (state: State) => {
    queued = false;
    for (const [k, html] of Object.entries(controls.render(state))) patchSlot(header, k, html);
    for (const a of header.querySelectorAll<HTMLElement>('[data-tab]')) a.classList.toggle('on', a.dataset.tab === state.view);
    for (const v of VIEWS) {
      const root = roots.get(v.id)!;
      root.hidden = v.id !== state.view;
      if (root.hidden) continue;
      for (const [k, html] of Object.entries(v.render(state))) patchSlot(root, k, html);
      v.paint?.(root, state);
    }
  };
  store.onChange(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => draw(store.state));
  });
  window.addEventListener('hashchange', () => store.show(viewFromHash()));
  window.addEventListener('resize', () => draw(store.state));
  store.show(viewFromHash());
  store.start();
}

main();
