// Proves (small, for CI) that a segment cut at a random byte, with a byte
// flipped in its last batches, or with garbage appended, recovers to exactly
// its whole batches before the damage and takes new records after them.

import { expect, it } from 'vitest';
import { runTornTail } from './scenarios/torn-tail.ts';

it('recovers every torn or corrupt tail to its valid prefix', async () => {
  const r = await runTornTail({ cases: 6, batches: 12, seed: 99 });
  expect(r.failures).toEqual([]);
  expect(r.recoveredToPrefix).toBe(6);
}, 60_000);
