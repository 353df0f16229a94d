// Proves fetch-mode parsing accepts exactly the six modes and refuses anything else with INVALID_CONFIG naming fetchMode and the allowed values.

import { describe, expect, it } from 'vitest';
import { FETCH_MODES, isModelledMode, isNativeMode, parseFetchMode } from '../../src/fetch/fetch-mode.ts';
import { CopylessError } from '../../src/errors.ts';

describe('fetch modes', () => {
  it('parses every mode and classifies modelled vs native', () => {
    for (const m of FETCH_MODES) expect(parseFetchMode(m)).toBe(m);
    expect(FETCH_MODES.filter(isModelledMode)).toEqual(['copy', 'mmap', 'sendfile', 'splice']);
    expect(FETCH_MODES.filter(isNativeMode)).toEqual(['native-sendfile', 'native-copy']);
  });

  it('refuses an unknown mode with INVALID_CONFIG naming the field and the allowed values', () => {
    for (const bad of ['zerocopy', 'SENDFILE', '', 'copy ']) {
      let err: unknown;
      try {
        parseFetchMode(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CopylessError);
      const e = err as CopylessError;
      expect(e.errorName).toBe('INVALID_CONFIG');
      expect(e.details.field).toBe('fetchMode');
      expect(e.message).toContain('fetchMode');
      expect(e.message).toContain(FETCH_MODES.join(', '));
    }
  });
});
