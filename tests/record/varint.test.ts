// Proves the zig-zag varint/varlong codec writes Kafka's bytes (literal vectors from ByteUtilsTest) and agrees with a BigInt reference on random values.
import { describe, expect, it } from 'vitest';
import { readInt64, writeInt64 } from '../../src/record/int64.ts';
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../src/record/varint.ts';

function hex(b: Buffer): string {
  return b.toString('hex');
}

function encodeVarint(v: number): Buffer {
  const buf = Buffer.alloc(5);
  return buf.subarray(0, writeVarint(buf, 0, v));
}

function encodeVarlong(v: number): Buffer {
  const buf = Buffer.alloc(10);
  return buf.subarray(0, writeVarlong(buf, 0, v));
}

/** Reference zig-zag varlong over BigInt: the textbook algorithm, no shortcuts. */
function referenceVarlong(v: number): Buffer {
  let z = (BigInt(v) << 1n) ^ (BigInt(v) >> 63n);
  z = BigInt.asUintN(64, z);
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

describe('varint', () => {
  it('writes the literal bytes Kafka writes', () => {
    const vectors: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [63, '7e'],
      [-64, '7f'],
      [64, '8001'],
      [-65, '8101'],
      [8191, 'fe7f'],
      [-8192, 'ff7f'],
      [8192, '808001'],
      [300, 'd804'],
      [2147483647, 'feffffff0f'],
      [-2147483648, 'ffffffff0f'],
    ];
    for (const [value, bytes] of vectors) {
      expect(hex(encodeVarint(value)), `varint ${value}`).toBe(bytes);
      expect(sizeOfVarint(value)).toBe(bytes.length / 2);
      const buf = Buffer.from(bytes, 'hex');
      const c = { pos: 0, end: buf.length };
      expect(readVarint(buf, c, 'v')).toBe(value);
      expect(c.pos).toBe(buf.length);
    }
  });

  it('rejects a varint longer than 5 bytes and one that runs past its end', () => {
    const long = Buffer.from('ffffffffff01', 'hex');
    expect(() => readVarint(long, { pos: 0, end: long.length }, 'v')).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
    const cut = Buffer.from('8080', 'hex');
    expect(() => readVarint(cut, { pos: 0, end: cut.length }, 'keyLength')).toThrow(/keyLength/);
  });

  it('varlongs match a BigInt reference on random values', () => {
    const values = [0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40), 2 ** 52 - 1, -(2 ** 52)];
    for (let i = 0; i < 2000; i++) {
      const magnitude = 2 ** Math.floor(Math.random() * 52);
      values.push(Math.floor((Math.random() * 2 - 1) * magnitude));
    }
    for (const v of values) {
      const ours = encodeVarlong(v);
      expect(hex(ours), `varlong ${v}`).toBe(hex(referenceVarlong(v)));
      expect(sizeOfVarlong(v)).toBe(ours.length);
      expect(readVarlong(ours, { pos: 0, end: ours.length }, 'v')).toBe(v);
    }
  });

  it('int64 fields round-trip through two 32-bit halves', () => {
    const buf = Buffer.alloc(8);
    for (const v of [0, -1, 1, 2 ** 32, -(2 ** 32) - 5, 2 ** 53 - 1, -(2 ** 53) + 1, 1_700_000_000_000]) {
      writeInt64(buf, 0, v);
      expect(buf.readBigInt64BE(0)).toBe(BigInt(v));
      expect(readInt64(buf, 0)).toBe(v);
    }
  });
});
