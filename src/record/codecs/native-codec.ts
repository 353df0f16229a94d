// Loads a codec's npm package on first use. The codec packages ship prebuilt
// N-API binaries (per-platform optional dependencies, no install script); on
// a platform without one, loading fails, and only then: a broker that never
// meets a batch of that codec runs as usual, and one that does reports
// UNSUPPORTED_COMPRESSION_TYPE naming the package and the reason.

import { createRequire } from 'node:module';
import { CopylessError } from '../../errors.ts';

const requireFromHere = createRequire(import.meta.url);

export function lazyModule<T>(codec: string, pkg: string): () => T {
  let loaded: T | null = null;
  let failure: string | null = null;
  return () => {
    if (loaded !== null) return loaded;
    if (failure === null) {
      try {
        loaded = requireFromHere(pkg) as T;
        return loaded;
      } catch (e) {
        failure = (e as Error).message.split('\n')[0];
      }
    }
    throw new CopylessError('UNSUPPORTED_COMPRESSION_TYPE', `${codec} codec unavailable: npm package ${pkg} did not load on this platform (${failure})`, {
      field: 'attributes',
      codec,
    });
  };
}

/** The error for a compressed section that its codec cannot read. */
export function corruptSection(codec: string, why: string): CopylessError {
  return new CopylessError('CORRUPT_MESSAGE', `${codec} records section is corrupt: ${why}`, { field: 'records', codec });
}
