// Proves the zstd codec reads a literal frame without a content size (as streaming producers write them), round-trips, and bounds a frame by walking its block headers, so a frame of RLE blocks (zstd's densest form) is refused before anything is inflated.
import { describe, expect, it } from 'vitest';
import { zstdCompress, zstdDecompress, zstdInflatedBytesBound } from '../../../src/record/codecs/zstd.ts';

const MiB = 1024 * 1024;
const FRAME_START = Buffer.from('28b52ffd0058', 'hex'); // magic, descriptor (no content size, no checksum), window 2 MiB

function rleBlock(size: number, byte: number, last: boolean): Buffer {
  const h = Buffer.alloc(4);
  h.writeUIntLE((size << 3) | (1 << 1) | (last ? 1 : 0), 0, 3);
  h[3] = byte;
  return h;
}

describe('zstd', () => {
  it('reads a literal frame with no content size: one RLE block of 1000 "a"s', () => {
    const frame = Buffer.concat([FRAME_START, rleBlock(1000, 0x61, true)]);
    expect(zstdDecompress(frame, MiB).toString()).toBe('a'.repeat(1000));
    expect(zstdInflatedBytesBound(frame)).toBe(1000);
  });

  it('round-trips, and bounds a compressed block by 128 KiB', () => {
    const data = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `row ${i % 100};`).join(''));
    const z = zstdCompress(data);
    expect(zstdDecompress(z, MiB).equals(data)).toBe(true);
    expect(zstdInflatedBytesBound(z)).toBeGreaterThanOrEqual(data.length);
  });

  it('refuses a frame of RLE blocks that would inflate past the bound, before inflating', () => {
    const blocks = Array.from({ length: 2100 }, (_, i) => rleBlock(128 * 1024, 0, i === 2099));
    const bomb = Buffer.concat([FRAME_START, ...blocks]); // 8 KiB that inflate to 262 MiB
    expect(() => zstdDecompress(bomb, 256 * MiB)).toThrow(expect.objectContaining({ errorName: 'LIMIT_EXCEEDED', details: expect.objectContaining({ limit: 'BATCH_INFLATED_BYTES_MAX' }) }));
  });

  it('steps over skippable frames and reports broken framing as CORRUPT_MESSAGE', () => {
    const skippable = Buffer.from('502a4d180300000078797a', 'hex');
    const frame = Buffer.concat([FRAME_START, rleBlock(3, 0x62, true)]);
    expect(zstdInflatedBytesBound(Buffer.concat([skippable, frame]))).toBe(3);
    const reserved = Buffer.concat([FRAME_START, Buffer.from([0x07, 0x00, 0x00])]);
    for (const bad of [frame.subarray(0, frame.length - 1), Buffer.from('not a frame'), reserved]) {
      expect(() => zstdDecompress(bad, MiB)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
    }
  });
});
