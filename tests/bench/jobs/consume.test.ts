// Proves what a consume job counts: whole batches the consumer received (the SDK's batchBytes, never the broker's accounting bytes, which include a partial batch the client drops), records only below untilOffset, one fetch per accounting trailer; and that the wire consumer CRC-checks and counts whole batches without decoding them.
import { describe, expect, it } from 'vitest';
import { ConsumeTally } from '../../../bench/jobs/consume.ts';
import { tallyRecords } from '../../../bench/jobs/wire-consume.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';

const msg = (offset: number) => ({ offset, value: Buffer.alloc(10) });

describe('ConsumeTally (SDK consumer)', () => {
  it('counts the bytes of the whole batches received, not the bytes the broker says it served', () => {
    const t = new ConsumeTally(100);
    // The broker served 5000 bytes, 1000 of them a partial batch the client dropped and fetches again.
    const accounting = { bytes: 5000, syscalls: 1 };
    t.add({ messages: [msg(0), msg(1)], batchBytes: 4000, accounting });
    t.add({ messages: [msg(2)], batchBytes: 2000, accounting: { bytes: 2000, syscalls: 1 } });
    expect(t.bytes).toBe(6000);
    expect(t.records).toBe(3);
    expect(t.valueBytes).toBe(30);
    expect(t.fetches).toBe(2);
    expect(t.accounting).toEqual({ bytes: 7000, syscalls: 2 });
  });

  it('counts records below untilOffset only, and nothing of a batch entirely past it', () => {
    const t = new ConsumeTally(3);
    expect(t.add({ messages: [msg(1), msg(2), msg(3), msg(4)], batchBytes: 400, accounting: undefined })).toBe(4);
    expect(t.add({ messages: [msg(5)], batchBytes: 100, accounting: undefined })).toBe(5);
    expect(t.records).toBe(2);
    expect(t.bytes).toBe(400);
    expect(t.fetches).toBe(2);
  });
});

describe('tallyRecords (wire consumer)', () => {
  const a = encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], { baseOffset: 10 });
  const b = encodeRecordBatch([{ value: 'd' }, { value: 'e' }], { baseOffset: 13 });
  const both = Buffer.concat([a, b]);

  it('counts whole batches, their records in range and their stored bytes', () => {
    expect(tallyRecords(both, 10, 100)).toEqual({ batches: 2, records: 5, bytes: both.length, nextOffset: 15 });
    // A fetch from inside the first batch gets it whole; records before the fetch offset are not counted.
    expect(tallyRecords(both, 11, 100)).toMatchObject({ batches: 2, records: 4, bytes: both.length });
    expect(tallyRecords(both, 10, 14)).toMatchObject({ batches: 2, records: 4 });
    expect(tallyRecords(both, 10, 13)).toMatchObject({ batches: 1, records: 3, bytes: a.length, nextOffset: 15 });
  });

  it('drops a partial trailing batch, whatever its length', () => {
    for (let cut = a.length; cut < both.length; cut++) {
      expect(tallyRecords(both.subarray(0, cut), 10, 100)).toEqual({ batches: 1, records: 3, bytes: a.length, nextOffset: 13 });
    }
  });

  it('refuses a batch whose CRC does not match its bytes', () => {
    const bad = Buffer.from(both);
    bad[a.length - 1] ^= 0xff; // the last byte of the first batch's last record
    expect(() => tallyRecords(bad, 10, 100)).toThrow(/record batch at byte 0: crc/);
  });
});
