// Proves the accounting wire form round-trips with a fixed field order, tolerates unknown fields, rejects bad values with a typed error, and that FetchStats accumulates per mode with every mode always present.

import { describe, expect, it } from 'vitest';
import {
  ACCOUNTING_FIELDS, FetchStats, accountingFromPairs, accountingToPairs, addAccounting, emptyAccounting,
} from '../../src/fetch/accounting.ts';
import { FETCH_MODES } from '../../src/fetch/fetch-mode.ts';
import { CopylessError } from '../../src/errors.ts';

describe('accounting', () => {
  it('round-trips through name/value pairs in the fixed field order', () => {
    const a = emptyAccounting();
    ACCOUNTING_FIELDS.forEach((k, i) => (a[k] = i * 3 + 1));
    const pairs = accountingToPairs(a);
    expect(pairs.map((p) => p.name)).toEqual([...ACCOUNTING_FIELDS]);
    expect(accountingFromPairs(pairs)).toEqual(a);
  });

  it('skips unknown names, leaves missing ones at 0, and rejects a negative or non-finite value naming the field', () => {
    expect(accountingFromPairs([{ name: 'bytes', value: 5 }, { name: 'fromTheFuture', value: 9 }])).toEqual({
      ...emptyAccounting(), bytes: 5,
    });
    for (const value of [-1, NaN, Infinity]) {
      let err: unknown;
      try {
        accountingFromPairs([{ name: 'syscalls', value }]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CopylessError);
      expect((err as CopylessError).message).toContain('syscalls');
    }
  });

  it('addAccounting sums every field', () => {
    const a = { ...emptyAccounting(), bytes: 1, syscalls: 2 };
    addAccounting(a, { ...emptyAccounting(), bytes: 10, pageFaults: 3 });
    expect(a).toEqual({ ...emptyAccounting(), bytes: 11, syscalls: 2, pageFaults: 3 });
  });
});

describe('FetchStats', () => {
  it('accumulates per mode, always lists every mode, and resets', () => {
    const s = new FetchStats();
    s.record('sendfile', { ...emptyAccounting(), bytes: 100, syscalls: 1 });
    s.record('sendfile', { ...emptyAccounting(), bytes: 50, syscalls: 1 });
    const snap = s.snapshot();
    expect(Object.keys(snap.modes)).toEqual([...FETCH_MODES]);
    expect(snap.modes.sendfile).toMatchObject({ fetches: 2, bytes: 150, syscalls: 2 });
    expect(snap.modes.copy).toMatchObject({ fetches: 0, bytes: 0 });
    snap.modes.sendfile.bytes = 0; // a snapshot is a copy
    expect(s.snapshot().modes.sendfile.bytes).toBe(150);
    s.reset();
    expect(s.snapshot().modes.sendfile.fetches).toBe(0);
  });
});
