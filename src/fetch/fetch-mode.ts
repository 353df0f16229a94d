// The ways a Fetch can be served. Four are modelled over the simulated page
// cache (the accounting is what the Linux kernel would do, computed by
// fetch-model.ts); two are real system calls made by the native addon.
//
//   copy             read(2) into a user buffer + write(2)          (modelled)
//   mmap             mmap(2) once per segment + write(2) of views   (modelled)
//   sendfile         sendfile(2), optionally with SG-DMA gather      (modelled)
//   splice           splice(2) file -> pipe -> socket                (modelled)
//   native-sendfile  real sendfile(2) from the segment fd            (real, addon)
//   native-copy      real pread(2) + write(2)                        (real, addon)

import { CopylessError } from '../errors.ts';

export const FETCH_MODES = ['copy', 'mmap', 'sendfile', 'splice', 'native-sendfile', 'native-copy'] as const;
export type FetchMode = (typeof FETCH_MODES)[number];
export type ModelledFetchMode = 'copy' | 'mmap' | 'sendfile' | 'splice';
export type NativeFetchMode = 'native-sendfile' | 'native-copy';

export const MODELLED_FETCH_MODES: readonly ModelledFetchMode[] = ['copy', 'mmap', 'sendfile', 'splice'];

export function isModelledMode(m: FetchMode): m is ModelledFetchMode {
  return (MODELLED_FETCH_MODES as readonly string[]).includes(m);
}

export function isNativeMode(m: FetchMode): m is NativeFetchMode {
  return m === 'native-sendfile' || m === 'native-copy';
}

/** Parse a mode from config, a CLI flag or a request; anything else is INVALID_CONFIG naming fetchMode. */
export function parseFetchMode(s: string): FetchMode {
  if ((FETCH_MODES as readonly unknown[]).includes(s)) return s as FetchMode;
  const shown = typeof s === 'string' ? JSON.stringify(s.slice(0, 64)) : String(s);
  throw new CopylessError('INVALID_CONFIG', `fetchMode must be one of ${FETCH_MODES.join(', ')}; got ${shown}`, {
    field: 'fetchMode',
    allowed: [...FETCH_MODES],
  });
}
