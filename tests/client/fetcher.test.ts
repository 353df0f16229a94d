// Proves the consumer-side decoding of one partition's fetched records: records below the fetch offset are skipped (the broker returns the whole batch holding it), a partial trailing batch is left for the next fetch, the next offset follows the last whole batch, the cheap scan (all a prefetch needs) finds that offset without decoding, and CRC checks are on unless turned off, a batch that fails them reported on its own after the records before it.
import { describe, expect, it } from 'vitest';
import { decodeMessages, decodePartition, scanPartition } from '../../client/fetcher.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';

function partition(records: Buffer | null, o: { errorCode?: number; highWatermark?: number } = {}) {
  return {
    partitionIndex: 2,
    errorCode: o.errorCode ?? 0,
    highWatermark: o.highWatermark ?? 100,
    lastStableOffset: 100,
    logStartOffset: 0,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  };
}

const first = encodeRecordBatch(
  [{ value: 'a' }, { value: 'b', key: 'k' }, { value: 'c', headers: { h: 'v' } }],
  { baseOffset: 10 },
);
const second = encodeRecordBatch([{ value: 'd' }, { value: 'e' }], { baseOffset: 13 });

describe('decodePartition', () => {
  it('skips records below the fetch offset and reports the offset after the last whole batch', () => {
    const f = decodePartition('t', partition(Buffer.concat([first, second])), 11);
    expect(f.messages.map((m) => [m.offset, m.value?.toString()])).toEqual([
      [11, 'b'],
      [12, 'c'],
      [13, 'd'],
      [14, 'e'],
    ]);
    expect(f.messages[0].key?.toString()).toBe('k');
    expect(f.messages[1].headers).toEqual([{ key: 'h', value: Buffer.from('v') }]);
    expect(f.nextOffset).toBe(15);
    expect(f).toMatchObject({ topic: 't', partition: 2, fetchOffset: 11, highWatermark: 100 });
  });

  it('drops a partial trailing batch, whatever its length', () => {
    const whole = Buffer.concat([first, second]);
    for (let cut = first.length; cut < whole.length; cut++) {
      const f = decodePartition('t', partition(whole.subarray(0, cut)), 10);
      expect(f.messages.map((m) => m.offset)).toEqual([10, 11, 12]);
      expect(f.nextOffset).toBe(13);
      expect(f.wholeBatchBytes).toBe(first.length);
    }
    const nothing = decodePartition('t', partition(first.subarray(0, 30)), 10);
    expect(nothing.messages).toEqual([]);
    expect(nothing.nextOffset).toBe(10);
    expect(nothing.recordsBytes).toBe(30);
    expect(nothing.wholeBatchBytes).toBe(0);
  });

  it('returns no messages for an error or null records', () => {
    expect(decodePartition('t', partition(first, { errorCode: 1 }), 10)).toMatchObject({ errorCode: 1, messages: [], nextOffset: 10 });
    expect(decodePartition('t', partition(null), 10)).toMatchObject({ messages: [], nextOffset: 10, recordsBytes: 0 });
  });

  it('scans the framing first and decodes the records on demand', () => {
    const f = scanPartition('t', partition(Buffer.concat([first, second])), 11);
    expect(f).toMatchObject({ messages: [], nextOffset: 15, recordsBytes: first.length + second.length });
    decodeMessages(f, true);
    expect(f.messages.map((m) => m.offset)).toEqual([11, 12, 13, 14]);
  });

  it('checks each batch CRC unless checkCrcs is off; a corrupt batch is reported alone, after the records before it', () => {
    const corrupted = Buffer.from(second);
    corrupted[corrupted.length - 2] ^= 0xff;
    const f = decodePartition('t', partition(Buffer.concat([first, corrupted])), 11);
    expect(f.messages.map((m) => m.offset)).toEqual([11, 12]);
    expect(f.nextOffset).toBe(13);
    expect(f.decodeError).toMatchObject({ errorName: 'CORRUPT_MESSAGE', details: { topic: 't', partition: 2, offset: 13 } });
    expect(f.decodeError!.message).toMatch(/^t\/2: record batch at offsets 13\.\.14 cannot be decoded: .*crc/);
    const unchecked = decodePartition('t', partition(corrupted), 13, false);
    expect(unchecked.messages.map((m) => m.offset)).toEqual([13, 14]);
    expect(unchecked.decodeError).toBeUndefined();
  });

  it('refuses a batch whose length is shorter than its header instead of looping', () => {
    const bad = Buffer.from(first);
    bad.writeInt32BE(0, 8);
    expect(() => scanPartition('t', partition(bad), 10)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
  });
});
