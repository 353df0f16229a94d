// Proves that batch offsets read from page-cache views are right wherever the
// views are cut (even inside a header field), and that a partial trailing
// batch is left out of the whole-batch byte count.

import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, setBaseOffset } from '../../../src/record/index.ts';
import { scanBatches } from '../../../broker/http/batch-scan.ts';

function batches(): Buffer {
  const parts: Buffer[] = [];
  let base = 2 ** 40; // offsets above 2^32 exercise both int64 words
  for (let i = 0; i < 4; i++) {
    const b = encodeRecordBatch(Array.from({ length: i + 1 }, (_, j) => ({ value: `v${i}-${j}` })));
    setBaseOffset(b, 0, base);
    base += i + 1;
    parts.push(b);
  }
  return Buffer.concat(parts);
}

describe('scanBatches', () => {
  it('reads first and next offsets from views cut at every position', () => {
    const all = batches();
    const expected = { firstOffset: 2 ** 40, nextOffset: 2 ** 40 + 10, batches: 4, wholeBytes: all.length };
    expect(scanBatches([all])).toEqual(expected);
    for (let cut = 1; cut < all.length; cut += 3) {
      expect(scanBatches([all.subarray(0, cut), all.subarray(cut)])).toEqual(expected);
    }
    const bytes = [...all].map((x) => Buffer.from([x]));
    expect(scanBatches(bytes)).toEqual(expected);
  });

  it('drops a partial trailing batch and handles empty input', () => {
    const all = batches();
    const r = scanBatches([all.subarray(0, all.length - 5)]);
    expect(r.batches).toBe(3);
    expect(r.nextOffset).toBe(2 ** 40 + 6);
    expect(scanBatches([])).toEqual({ firstOffset: null, nextOffset: null, batches: 0, wholeBytes: 0 });
    expect(scanBatches([all.subarray(0, 30)]).nextOffset).toBeNull();
  });
});
