// What every view module provides, and the few DOM helpers they share.
//
// A view's `render(state)` is a pure function of the state: it returns the
// HTML of each of its live regions ("slots"). main.ts writes a slot only when
// its HTML changed, so controls inside unchanged slots keep their focus and
// selection. Canvases (charts, the heat map) sit outside the slots and are
// painted from the same state by `paint`. `mount` builds the static skeleton
// once and wires events to the store's actions.

import type { State, Store } from './store.ts';

export interface View {
  readonly id: State['view'];
  readonly title: string;
  mount(root: HTMLElement, store: Store): void;
  render(state: State): Record<string, string>;
  paint?(root: HTMLElement, state: State): void;
}

const written = new WeakMap<Element, string>();

/** Write `html` into the element marked data-slot=name under root, unless it already holds exactly that. */
export function patchSlot(root: HTMLElement, name: string, html: string): void {
  const el = root.querySelector(`[data-slot="${name}"]`);
  if (!el || written.get(el) === html) return;
  written.set(el, html);
  el.innerHTML = html;
}

/** Call `fn` with the data-* of the closest element under root carrying data-action=`action` when it is clicked. */
export function onAction(root: HTMLElement, event: 'click' | 'change' | 'input', action: string, fn: (el: HTMLElement, e: Event) => void): void {
  root.addEventListener(event, (e) => {
    const el = (e.target as HTMLElement).closest<HTMLElement>(`[data-action="${action}"]`);
    if (el && root.contains(el)) fn(el, e);
  });
}
