// Proves the snappy codec reads both layouts Kafka producers send (raw blocks from librdkafka, xerial streams from the Java client) from literal bytes, writes xerial, and checks the declared size against the inflate bound before inflating anything.
import { describe, expect, it } from 'vitest';
import { snappyCompress, snappyCompressRaw, snappyDecompress } from '../../../src/record/codecs/snappy.ts';

const MiB = 1024 * 1024;
const HELLO_RAW = Buffer.from('0510' + Buffer.from('hello').toString('hex'), 'hex'); // uvarint 5, literal of 5 bytes
const XERIAL_HEADER = Buffer.from('82534e41505059000000000100000001', 'hex');
const block = (raw: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, raw.length]), raw]);

describe('snappy', () => {
  it('reads a literal raw block', () => {
    expect(snappyDecompress(HELLO_RAW, MiB).toString()).toBe('hello');
  });

  it('reads a literal xerial stream of two blocks', () => {
    const stream = Buffer.concat([XERIAL_HEADER, block(HELLO_RAW), block(HELLO_RAW)]);
    expect(snappyDecompress(stream, MiB).toString()).toBe('hellohello');
  });

  it('writes xerial with 32 KiB blocks that round-trip, and reads raw blocks of any size', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i % 50}\n`).join(''));
    const xerial = snappyCompress(data);
    expect(xerial.subarray(0, 16).equals(XERIAL_HEADER)).toBe(true);
    expect(snappyDecompress(xerial, MiB).equals(data)).toBe(true);
    expect(snappyDecompress(snappyCompressRaw(data), MiB).equals(data)).toBe(true);
  });

  it('refuses a block declaring more than the bound before inflating it', () => {
    const claims300MiB = Buffer.from([0x80, 0x80, 0x80, 0x96, 0x01, 0x00]); // uvarint 300 MiB, then nothing
    expect(() => snappyDecompress(claims300MiB, 256 * MiB)).toThrow(expect.objectContaining({ errorName: 'LIMIT_EXCEEDED', details: expect.objectContaining({ limit: 'BATCH_INFLATED_BYTES_MAX' }) }));
  });

  it('reports broken framing as CORRUPT_MESSAGE', () => {
    const cut = Buffer.concat([XERIAL_HEADER, Buffer.from([0, 0, 0, 99]), HELLO_RAW]);
    expect(() => snappyDecompress(cut, MiB)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
    const lying = Buffer.from(HELLO_RAW);
    lying[0] = 9; // declares 9 bytes, holds 5
    expect(() => snappyDecompress(lying, MiB)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
  });
});
