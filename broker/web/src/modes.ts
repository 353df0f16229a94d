// Fetch modes as the page shows them: a fixed colour each, and whether the
// counts are modelled (what the kernel would do, on the simulated page cache)
// or real (system calls the native addon made).

import { FETCH_MODES, isModelledMode, type FetchMode } from '../../../src/fetch/fetch-mode.ts';
import { esc } from './format.ts';

export { FETCH_MODES, type FetchMode };

export const MODE_COLORS: Record<FetchMode, string> = {
  copy: '#e4572e',
  mmap: '#efb118',
  sendfile: '#4269d0',
  splice: '#3ca951',
  'native-sendfile': '#a463f2',
  'native-copy': '#9c6b4e',
};

export function modeBadge(mode: FetchMode): string {
  const real = !isModelledMode(mode);
  return `<span class="mode" style="--c:${MODE_COLORS[mode]}">${esc(mode)}</span><span class="kind ${real ? 'real' : 'modelled'}">${real ? 'real' : 'modelled'}</span>`;
}

export { isModelledMode };
