// Proves the LZ4 codec writes and reads Kafka's LZ4 frame format, and that walking a frame's block sizes bounds what it can inflate to before anything is inflated (a frame of many tiny "4 MiB" blocks is refused).
import { describe, expect, it } from 'vitest';
import { lz4Compress, lz4Decompress, lz4InflatedBytesBound } from '../../../src/record/codecs/lz4.ts';

const MiB = 1024 * 1024;
const MAGIC = Buffer.from('04224d18', 'hex');

/** A frame header (FLG version 01 + independent blocks, BD = block size id) and the given block words, then the end mark. */
function frame(bd: number, blocks: Buffer[]): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([0x60, bd << 4, 0x00]), ...blocks, Buffer.alloc(4)]);
}
function sizeWord(n: number, uncompressed = false): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE((n | (uncompressed ? 0x80000000 : 0)) >>> 0);
  return b;
}

describe('lz4', () => {
  it('round-trips through one frame with independent blocks and no checksums', () => {
    const data = Buffer.from('abcdefgh'.repeat(50_000));
    const f = lz4Compress(data);
    expect(f.subarray(0, 4).equals(MAGIC)).toBe(true);
    expect(f[4]).toBe(0x60); // version 01, independent blocks, no block/content checksum, no content size
    expect(lz4Decompress(f, MiB).equals(data)).toBe(true);
  });

  it('bounds a frame by its blocks: stored blocks exactly, compressed ones by 256 x size up to the block max size', () => {
    const stored = Buffer.concat([sizeWord(3, true), Buffer.from('xyz')]);
    const packed = Buffer.concat([sizeWord(2), Buffer.from([0x10, 0x61])]);
    const big = Buffer.concat([sizeWord(1000), Buffer.alloc(1000)]);
    expect(lz4InflatedBytesBound(frame(4, [stored]))).toBe(3);
    expect(lz4InflatedBytesBound(frame(4, [stored, packed]))).toBe(3 + 512);
    expect(lz4InflatedBytesBound(frame(4, [big]))).toBe(64 * 1024);
    expect(lz4InflatedBytesBound(frame(7, [big, packed]))).toBe(256_000 + 512);
  });

  it('refuses a small frame that could inflate past the bound, before inflating', () => {
    const block = Buffer.concat([sizeWord(20_000), Buffer.alloc(20_000)]);
    const bomb = frame(7, new Array(100).fill(block)); // 2 MB that may inflate to 400 MiB (4 MiB blocks)
    expect(() => lz4Decompress(bomb, 256 * MiB)).toThrow(expect.objectContaining({ errorName: 'LIMIT_EXCEEDED', details: expect.objectContaining({ limit: 'BATCH_INFLATED_BYTES_MAX' }) }));
  });

  it('reports broken framing as CORRUPT_MESSAGE', () => {
    const good = lz4Compress(Buffer.from('hello hello hello'));
    for (const bad of [good.subarray(0, good.length - 2), Buffer.from('not a frame'), frame(2, [])]) {
      expect(() => lz4Decompress(bad, MiB)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
    }
  });
});
