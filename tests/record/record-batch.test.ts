// Proves the RecordBatch v2 codec: literal bytes, round trips (every codec), in-place offset/epoch patches that keep the CRC valid, every validation error by its code, the maxTimestamp fix-up and producer-field stamping (header only, CRC recomputed), partial trailing batches and per-batch decode failures, the decoder's options (CRC check, shared empty headers), and that no corrupted input crashes it with anything but a CopylessError.
import { gzipSync } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import {
  BATCH_HEADER_BYTES,
  decodeRecordBatch,
  COMPRESSION_NAMES,
  decodeRecords,
  decodeRecordsUntilFailure,
  encodeRecordBatch,
  LOG_OVERHEAD_BYTES,
  NO_HEADERS,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  setProducerFields,
  settleMaxTimestamp,
  validateBatch,
} from '../../src/record/index.ts';

const LIMIT = { batchBytesMax: 1024 * 1024 };

/** Re-seals a batch after a test edits a byte the CRC covers. */
function reseal(buf: Buffer, pos = 0): Buffer {
  const total = buf.readInt32BE(pos + 8) + LOG_OVERHEAD_BYTES;
  buf.writeUInt32BE(crc32c(buf.subarray(pos + 21, pos + total)) >>> 0, pos + 17);
  return buf;
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

describe('literal bytes', () => {
  // One record: key null, value "a", timestamp 1000, offset 0, no producer.
  const expected = Buffer.from(
    [
      '0000000000000000', // baseOffset
      '00000039', // batchLength = 69 - 12
      'ffffffff', // partitionLeaderEpoch (none)
      '02', // magic
      'ebf1884b', // crc32c of bytes [21, 69)
      '0000', // attributes: no codec, CreateTime
      '00000000', // lastOffsetDelta
      '00000000000003e8', // baseTimestamp 1000
      '00000000000003e8', // maxTimestamp 1000
      'ffffffffffffffff', // producerId -1
      'ffff', // producerEpoch -1
      'ffffffff', // baseSequence -1
      '00000001', // recordsCount
      '0e', // record length 7 (zig-zag)
      '00', // attributes
      '00', // timestampDelta 0
      '00', // offsetDelta 0
      '01', // keyLength -1 = null
      '02', // valueLength 1
      '61', // "a"
      '00', // headersCount 0
    ].join(''),
    'hex',
  );

  it('encodes exactly Kafka bytes', () => {
    expect(encodeRecordBatch([{ key: null, value: 'a', timestamp: 1000 }]).toString('hex')).toBe(expected.toString('hex'));
  });

  it('decodes them, whole and from inside a larger buffer', () => {
    const { header, records } = decodeRecordBatch(expected);
    expect(header).toMatchObject({ baseOffset: 0, totalBytes: 69, magic: 2, crc: 0xebf1884b, compression: 'none', lastOffset: 0, recordsCount: 1, producerId: -1 });
    expect(records).toEqual([{ offset: 0, timestamp: 1000, key: null, value: Buffer.from('a'), headers: [] }]);
    const padded = Buffer.concat([Buffer.from('xyz'), expected]);
    expect(decodeRecordBatch(padded, 3).records[0].value?.toString()).toBe('a');
  });
});

describe('round trips', () => {
  const records = [
    { key: 'k1', value: 'hello', timestamp: 1_700_000_000_000, headers: { trace: 'abc', empty: null } },
    { key: null, value: null, timestamp: 1_699_999_999_000 },
    { key: Buffer.from([0, 255, 7]), value: Buffer.alloc(3000, 9), timestamp: 1_700_000_000_500, headers: [{ key: 'h', value: Buffer.from('v') }, { key: 'h', value: null }] },
    { value: 'ü unicode ✓', timestamp: 1_700_000_000_001 },
  ];

  for (const compression of COMPRESSION_NAMES) {
    it(`keeps every field with compression ${compression}`, () => {
      const buf = encodeRecordBatch(records, { compression, baseOffset: 42, producerId: 7, producerEpoch: 1, baseSequence: 3, partitionLeaderEpoch: 5 });
      const h = validateBatch(buf, 0, LIMIT);
      expect(h).toMatchObject({ baseOffset: 42, lastOffset: 45, recordsCount: 4, compression, producerId: 7, producerEpoch: 1, baseSequence: 3, partitionLeaderEpoch: 5 });
      expect(h.baseTimestamp).toBe(1_700_000_000_000);
      expect(h.maxTimestamp).toBe(1_700_000_000_500);
      const out = decodeRecordBatch(buf).records;
      expect(out.map((r) => r.offset)).toEqual([42, 43, 44, 45]);
      expect(out.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
      expect(out[0].key?.toString()).toBe('k1');
      expect(out[0].headers).toEqual([{ key: 'trace', value: Buffer.from('abc') }, { key: 'empty', value: null }]);
      expect(out[1]).toMatchObject({ key: null, value: null, headers: [] });
      expect(out[2].key).toEqual(Buffer.from([0, 255, 7]));
      expect(out[2].value).toEqual(Buffer.alloc(3000, 9));
      expect(out[2].headers).toEqual([{ key: 'h', value: Buffer.from('v') }, { key: 'h', value: null }]);
      expect(out[3].value?.toString()).toBe('ü unicode ✓');
    });
  }

  it('gives records without a timestamp the time of encoding', () => {
    const before = Date.now();
    const [r] = decodeRecordBatch(encodeRecordBatch([{ value: 'x' }])).records;
    expect(r.timestamp).toBeGreaterThanOrEqual(before);
    expect(r.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('patches baseOffset and partitionLeaderEpoch in place without breaking the CRC', () => {
    const buf = encodeRecordBatch([{ value: 'a' }, { value: 'b' }]);
    const crc = buf.readUInt32BE(17);
    setBaseOffset(buf, 0, 2 ** 40 + 3);
    setPartitionLeaderEpoch(buf, 0, 9);
    expect(buf.readUInt32BE(17)).toBe(crc);
    const h = validateBatch(buf, 0, LIMIT);
    expect(h).toMatchObject({ baseOffset: 2 ** 40 + 3, lastOffset: 2 ** 40 + 4, partitionLeaderEpoch: 9 });
    expect(decodeRecordBatch(buf).records.map((r) => r.offset)).toEqual([2 ** 40 + 3, 2 ** 40 + 4]);
  });

  it('reports the timestamp type of a LogAppendTime batch and uses maxTimestamp for every record', () => {
    const buf = encodeRecordBatch([{ value: 'a', timestamp: 5 }, { value: 'b', timestamp: 9 }]);
    buf.writeInt16BE(0x08, 21);
    reseal(buf);
    const { header, records } = decodeRecordBatch(buf);
    expect(header.timestampType).toBe('log-append');
    expect(records.map((r) => r.timestamp)).toEqual([9, 9]);
  });
});

describe('validation errors', () => {
  it('rejects a corrupt CRC with CORRUPT_MESSAGE', () => {
    const buf = encodeRecordBatch([{ value: 'payload' }]);
    buf[buf.length - 2] ^= 0xff;
    expect(errorOf(() => validateBatch(buf, 0, LIMIT))).toMatchObject({ errorName: 'CORRUPT_MESSAGE', code: 2, message: expect.stringMatching(/crc/) });
    expect(errorOf(() => decodeRecordBatch(buf)).errorName).toBe('CORRUPT_MESSAGE');
  });

  it('rejects a batch over messageBytesMax with MESSAGE_TOO_LARGE naming the limit', () => {
    const buf = encodeRecordBatch([{ value: Buffer.alloc(2000) }]);
    const e = errorOf(() => validateBatch(buf, 0, { batchBytesMax: 1000 }));
    expect(e).toMatchObject({ errorName: 'MESSAGE_TOO_LARGE', details: { limit: 'messageBytesMax', max: 1000, actual: buf.length } });
    expect(e.message).toMatch(/messageBytesMax=1000/);
  });

  it('rejects magic 0/1 message sets as UNSUPPORTED_FOR_MESSAGE_FORMAT and other magics as corrupt', () => {
    const buf = encodeRecordBatch([{ value: 'a' }]);
    buf[16] = 1;
    expect(errorOf(() => validateBatch(buf, 0, LIMIT)).errorName).toBe('UNSUPPORTED_FOR_MESSAGE_FORMAT');
    buf[16] = 3;
    expect(errorOf(() => validateBatch(buf, 0, LIMIT)).errorName).toBe('CORRUPT_MESSAGE');
  });

  it('rejects counts that disagree, empty batches, control batches and missing sequences with INVALID_RECORD', () => {
    const edits: [string, (b: Buffer) => void][] = [
      ['lastOffsetDelta', (b) => b.writeInt32BE(5, 23)],
      ['recordsCount', (b) => b.writeInt32BE(0, 57)],
      ['attributes', (b) => b.writeInt16BE(0x20, 21)],
      ['baseSequence', (b) => b.writeBigInt64BE(7n, 43)],
    ];
    for (const [field, edit] of edits) {
      const buf = encodeRecordBatch([{ value: 'a' }, { value: 'b' }]);
      edit(buf);
      const e = errorOf(() => validateBatch(reseal(buf), 0, LIMIT));
      expect(e.errorName, field).toBe('INVALID_RECORD');
      expect(e.message, field).toMatch(field);
    }
  });

  it('rejects records whose framing disagrees with the header', () => {
    const buf = encodeRecordBatch([{ value: 'a' }, { value: 'b' }]);
    // Second record's offsetDelta (byte 3 of the record) set to 5.
    const second = BATCH_HEADER_BYTES + 8;
    buf[second + 3] = 10;
    expect(errorOf(() => validateBatch(reseal(buf), 0, LIMIT)).message).toMatch(/records\[1\]\.offsetDelta/);
  });

  it('rejects a truncated batch and a batchLength shorter than the header', () => {
    const buf = encodeRecordBatch([{ value: 'abcdef' }]);
    expect(errorOf(() => validateBatch(buf.subarray(0, buf.length - 1), 0, LIMIT)).errorName).toBe('CORRUPT_MESSAGE');
    expect(errorOf(() => validateBatch(buf.subarray(0, 30), 0, LIMIT)).errorName).toBe('CORRUPT_MESSAGE');
    buf.writeInt32BE(10, 8);
    expect(errorOf(() => validateBatch(buf, 0, LIMIT)).message).toMatch(/batchLength/);
  });

  it('refuses to encode nothing and names a bad timestamp', () => {
    expect(errorOf(() => encodeRecordBatch([])).errorName).toBe('INVALID_RECORD');
    expect(errorOf(() => encodeRecordBatch([{ value: 'a' }, { value: 'b', timestamp: 1.5 }])).details.field).toBe('records[1].timestamp');
  });
});

describe('compression', () => {
  for (const [id, name] of [[2, 'snappy'], [3, 'lz4'], [4, 'zstd']] as const) {
    it(`names ${name} in the header and reports a section ${name} cannot read as corrupt`, () => {
      const buf = encodeRecordBatch([{ value: 'a' }, { value: 'b' }]);
      buf.writeInt16BE(id, 21);
      reseal(buf);
      expect(validateBatch(buf, 0, LIMIT).compression).toBe(name);
      const e = errorOf(() => decodeRecordBatch(buf));
      expect(e.errorName).toBe('CORRUPT_MESSAGE');
      expect(e.message).toContain(name);
    });
  }

  it('compresses a compressible batch well under its raw size with every codec', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 3}`, value: `repetitive value ${i % 10} `.repeat(8), timestamp: 1000 + i }));
    const raw = encodeRecordBatch(records).length;
    for (const compression of COMPRESSION_NAMES.filter((c) => c !== 'none')) {
      const buf = encodeRecordBatch(records, { compression });
      expect(buf.length, compression).toBeLessThan(raw / 4);
      expect(decodeRecordBatch(buf).records.map((r) => r.value?.toString())).toEqual(records.map((r) => r.value));
    }
  });

  it('treats codec ids 5-7 as corrupt', () => {
    const buf = encodeRecordBatch([{ value: 'a' }]);
    buf.writeInt16BE(6, 21);
    expect(errorOf(() => validateBatch(reseal(buf), 0, LIMIT)).errorName).toBe('CORRUPT_MESSAGE');
  });

  it('refuses a gzip section that inflates past the limit', () => {
    const buf = encodeRecordBatch([{ value: 'a' }], { compression: 'gzip' });
    // Concatenated gzip members inflate as one stream: 300 x 1 MiB of zeros from ~300 KiB of input.
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    const bomb = Buffer.concat(new Array(300).fill(member));
    const big = Buffer.concat([buf.subarray(0, BATCH_HEADER_BYTES), bomb]);
    big.writeInt32BE(big.length - LOG_OVERHEAD_BYTES, 8);
    const e = errorOf(() => decodeRecordBatch(reseal(big)));
    expect(e).toMatchObject({ errorName: 'LIMIT_EXCEEDED', details: { limit: 'BATCH_INFLATED_BYTES_MAX' } });
  });
});

describe('maxTimestamp fix-up on append (settleMaxTimestamp)', () => {
  const records = [
    { value: 'a', timestamp: 5000 },
    { value: 'b', timestamp: 9000 },
    { value: 'c', timestamp: 7000 },
  ];

  /** A batch whose header says maxTimestamp = `claimed`, sealed with a valid CRC, as an older client sends it. */
  function claiming(claimed: number, compression: (typeof COMPRESSION_NAMES)[number]): Buffer {
    const buf = encodeRecordBatch(records, { compression });
    buf.writeBigInt64BE(BigInt(claimed), 35);
    return reseal(buf);
  }

  for (const compression of COMPRESSION_NAMES) {
    it(`sets a ${compression} batch's -1 maxTimestamp to its records' largest, changing only that field and the CRC`, () => {
      const buf = claiming(-1, compression);
      const before = Buffer.from(buf);
      const v = validateBatch(buf, 0, LIMIT);
      expect(settleMaxTimestamp(buf, 0, v)).toBe(9000);
      expect(readBatchHeader(buf).maxTimestamp).toBe(9000);
      validateBatch(buf, 0, LIMIT); // the CRC is valid again
      const changed = [...buf.keys()].filter((i) => buf[i] !== before[i]);
      expect(changed.every((i) => (i >= 17 && i < 21) || (i >= 35 && i < 43)), `bytes changed: ${changed}`).toBe(true);
      expect(buf.subarray(61).equals(before.subarray(61))).toBe(true);
    });
  }

  it('corrects a wrong maxTimestamp of an uncompressed batch, and leaves a compressed one that is not -1 as sent', () => {
    const plain = claiming(100, 'none');
    expect(settleMaxTimestamp(plain, 0, validateBatch(plain, 0, LIMIT))).toBe(9000);
    const zipped = claiming(100, 'gzip');
    expect(settleMaxTimestamp(zipped, 0, validateBatch(zipped, 0, LIMIT))).toBe(100);
  });

  it('leaves a correct batch untouched, byte for byte', () => {
    const buf = encodeRecordBatch(records, { compression: 'lz4' });
    const before = Buffer.from(buf);
    expect(settleMaxTimestamp(buf, 0, validateBatch(buf, 0, LIMIT))).toBe(9000);
    expect(buf.equals(before)).toBe(true);
  });

  it('never rewrites a LogAppendTime batch', () => {
    const buf = claiming(-1, 'none');
    buf.writeInt16BE(0x08, 21);
    reseal(buf);
    expect(settleMaxTimestamp(buf, 0, validateBatch(buf, 0, LIMIT))).toBe(-1);
  });
});

describe('setProducerFields', () => {
  it('stamps producer id, epoch and base sequence into a sealed batch and keeps it valid', () => {
    const buf = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { compression: 'zstd' });
    const records = Buffer.from(buf.subarray(61));
    setProducerFields(buf, 0, { producerId: 2 ** 40 + 3, producerEpoch: 7, baseSequence: 2 ** 31 - 1 });
    expect(validateBatch(buf, 0, LIMIT)).toMatchObject({ producerId: 2 ** 40 + 3, producerEpoch: 7, baseSequence: 2 ** 31 - 1 });
    expect(buf.subarray(61).equals(records)).toBe(true);
    expect(decodeRecordBatch(buf).records.map((r) => r.value?.toString())).toEqual(['a', 'b']);
  });
});

describe('decodeRecords over a fetched blob', () => {
  const a = encodeRecordBatch([{ value: 'a0' }, { value: 'a1' }], { baseOffset: 0 });
  const b = encodeRecordBatch([{ value: 'b0' }], { baseOffset: 2, compression: 'gzip' });
  const blob = Buffer.concat([a, b]);

  it('returns the records of every whole batch and drops a partial trailing batch', () => {
    expect(decodeRecords(blob).map((r) => r.value?.toString())).toEqual(['a0', 'a1', 'b0']);
    for (let cut = 0; cut < blob.length; cut++) {
      const expected = cut >= a.length ? 2 : 0;
      expect(decodeRecords(blob.subarray(0, cut)).length, `cut at ${cut}`).toBe(expected);
    }
  });

  it('skips control batches', () => {
    const control = encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 0]), value: null }], { baseOffset: 3 });
    control.writeInt16BE(0x30, 21);
    reseal(control);
    expect(decodeRecords(Buffer.concat([blob, control])).length).toBe(3);
  });

  it('stops at a batch it cannot decode: the records before it, then that batch alone named', () => {
    const bad = encodeRecordBatch([{ value: 'c0' }, { value: 'c1' }], { baseOffset: 3 });
    bad.writeInt16BE(4, 21); // claims zstd: the section is no zstd frame
    reseal(bad);
    const after = encodeRecordBatch([{ value: 'd0' }], { baseOffset: 5 });
    const { records, failure } = decodeRecordsUntilFailure(Buffer.concat([blob, bad, after]));
    expect(records.map((r) => r.value?.toString())).toEqual(['a0', 'a1', 'b0']);
    expect(failure).toMatchObject({ baseOffset: 3, lastOffset: 4, error: { errorName: 'CORRUPT_MESSAGE', details: { offset: 3 } } });
    expect(failure!.error.message).toMatch(/offsets 3\.\.4.*zstd/);
    expect(errorOf(() => decodeRecords(Buffer.concat([blob, bad]))).message).toBe(failure!.error.message);
  });

  it('reads the header fields straight from the bytes', () => {
    expect(readBatchHeader(blob, a.length)).toMatchObject({ baseOffset: 2, compression: 'gzip', recordsCount: 1, totalBytes: b.length });
  });
});

describe('hostile input', () => {
  it('never throws anything but a CopylessError on flipped, cut or random bytes', () => {
    const good = encodeRecordBatch(
      [
        { key: 'k', value: 'v'.repeat(40), headers: { a: 'b' } },
        { key: null, value: 'w', headers: [{ key: 'x', value: null }] },
      ],
      { baseOffset: 10 },
    );
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.from(good);
      for (let flips = 1 + rand(3); flips > 0; flips--) buf[rand(buf.length)] = rand(256);
      const input = rand(4) === 0 ? buf.subarray(0, rand(buf.length)) : rand(2) === 0 ? buf : reseal(buf);
      for (const fn of [() => validateBatch(input, 0, LIMIT), () => decodeRecordBatch(input), () => decodeRecords(input)]) {
        try {
          fn();
        } catch (e) {
          expect(e).toBeInstanceOf(CopylessError);
        }
      }
    }
  });
});

describe('decoding options', () => {
  it('skips the CRC check only when asked', () => {
    const buf = encodeRecordBatch([{ value: 'abc', timestamp: 1000 }]);
    buf[buf.length - 2] ^= 0xff; // a value byte: covered by the CRC
    expect(errorOf(() => decodeRecordBatch(buf)).details.field).toBe('crc');
    expect(errorOf(() => decodeRecords(buf)).details.field).toBe('crc');
    expect(decodeRecordBatch(buf, 0, { checkCrc: false }).records).toHaveLength(1);
  });

  it('shares one frozen empty headers array among records without headers', () => {
    const [a, b] = decodeRecordBatch(encodeRecordBatch([{ value: 'a' }, { value: 'b' }])).records;
    expect(a.headers).toBe(NO_HEADERS);
    expect(b.headers).toBe(NO_HEADERS);
    expect(Object.isFrozen(NO_HEADERS)).toBe(true);
    expect(NO_HEADERS).toEqual([]);
  });
});
