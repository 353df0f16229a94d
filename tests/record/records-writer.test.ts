// Proves the incremental batch writer: records appended one at a time and sealed give the same bytes as encodeRecordBatch, across buffer growth (small start, the expectedBytes jump, records bigger than any buffer so far), with strings, Uint8Arrays and both header forms; and a bad record is refused naming its index and leaves the batch as it was.
import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { type RecordInput, createBatchWriter, decodeRecordBatch, encodeRecordBatch, sealRecordBatch, validateBatch } from '../../src/record/index.ts';

const T0 = 1_700_000_000_000;

function records(n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 0 ? null : `key-${i}`,
    value: i % 5 === 0 ? Buffer.alloc(i * 37, i) : `välue-${i}`,
    timestamp: T0 + ((i * 7919) % 1000) - 500,
    headers: i % 4 === 0 ? undefined : i % 4 === 1 ? { a: `h${i}`, b: null } : [{ key: 'x', value: Buffer.from([i & 0xff]) }, { key: 'x', value: 'y' }],
  }));
}

function written(rs: RecordInput[], o: { expectedBytes?: number; compression?: 'none' | 'gzip' } = {}): Buffer {
  const w = createBatchWriter({ expectedBytes: o.expectedBytes });
  for (const r of rs) w.append(r.key, r.value, r.headers, r.timestamp!);
  return sealRecordBatch(w, { compression: o.compression, baseOffset: 10 });
}

function errorOf(fn: () => unknown): CopylessError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    return e as CopylessError;
  }
  throw new Error('expected a CopylessError');
}

describe('RecordsWriter', () => {
  it('writes the same bytes as encodeRecordBatch, from one record to a batch that grows many times', () => {
    for (const n of [1, 2, 30, 400]) {
      const rs = records(n);
      const expected = encodeRecordBatch(rs, { baseOffset: 10 });
      expect(written(rs).equals(expected)).toBe(true);
      expect(written(rs, { expectedBytes: 64 * 1024 }).equals(expected)).toBe(true);
      expect(written(rs, { expectedBytes: 100 }).equals(expected)).toBe(true);
      validateBatch(expected, 0, { batchBytesMax: 1 << 24 });
    }
  });

  it('round-trips through gzip and keeps negative timestamp deltas', () => {
    const rs = records(50);
    const out = decodeRecordBatch(written(rs, { compression: 'gzip' })).records;
    expect(out.map((r) => r.offset)).toEqual(rs.map((_, i) => 10 + i));
    expect(out.map((r) => r.timestamp)).toEqual(rs.map((r) => r.timestamp));
    expect(out[2].value?.toString()).toBe('välue-2');
    expect(out[5].value?.equals(Buffer.alloc(5 * 37, 5))).toBe(true);
  });

  it('takes Uint8Array keys and values, and a record larger than any buffer so far', () => {
    const w = createBatchWriter();
    w.append(new Uint8Array([1, 2, 3]), new Uint8Array(300_000).fill(9), undefined, T0);
    w.append(null, 'tail', undefined, T0 + 1);
    const [a, b] = decodeRecordBatch(sealRecordBatch(w)).records;
    expect(a.key).toEqual(Buffer.from([1, 2, 3]));
    expect(a.value?.length).toBe(300_000);
    expect(a.value?.every((x) => x === 9)).toBe(true);
    expect(b).toMatchObject({ offset: 1, timestamp: T0 + 1, key: null });
  });

  it('refuses a bad record naming its index in the batch and appends nothing', () => {
    const w = createBatchWriter();
    w.append(null, 'a', undefined, T0);
    expect(errorOf(() => w.append(null, 5 as unknown as string, undefined, T0)).details.field).toBe('records[1].value');
    expect(errorOf(() => w.append({} as unknown as string, 'v', undefined, T0)).details.field).toBe('records[1].key');
    expect(errorOf(() => w.append(null, 'v', [{ key: 1 as unknown as string, value: null }], T0)).details.field).toBe('records[1].headers[0].key');
    expect(errorOf(() => w.append(null, 'v', { h: 7 as unknown as string }, T0)).details.field).toBe('records[1].headers[0].value');
    const ts = errorOf(() => w.append(null, 'v', undefined, 1.5));
    expect(ts.errorName).toBe('INVALID_TIMESTAMP');
    expect(ts.details.field).toBe('records[1].timestamp');
    w.append(null, 'b', undefined, T0 + 2);
    expect(decodeRecordBatch(sealRecordBatch(w)).records.map((r) => r.value?.toString())).toEqual(['a', 'b']);
    expect(errorOf(() => sealRecordBatch(createBatchWriter())).errorName).toBe('INVALID_RECORD');
  });
});
