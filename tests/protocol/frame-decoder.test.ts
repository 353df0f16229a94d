// Proves FrameDecoder yields the same frames fed whole, in random splits and
// one byte at a time, refuses an oversized size field before any of the body
// arrives, and rejects a negative size.

import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { FrameDecoder } from '../../src/protocol/index.ts';

function framed(...bodies: Buffer[]): Buffer {
  return Buffer.concat(bodies.flatMap((b) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(b.length);
    return [size, b];
  }));
}

const bodies = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from([1, 2, 3])];
const stream = framed(...bodies);

function feed(decoder: FrameDecoder, chunks: Buffer[]): Buffer[] {
  return chunks.flatMap((c) => decoder.push(c));
}

describe('FrameDecoder', () => {
  it('splits a whole stream into frames, as subarrays of the chunk', () => {
    const frames = new FrameDecoder({ frameBytesMax: 1024 }).push(stream);
    expect(frames).toEqual(bodies);
    expect(frames[2]!.buffer).toBe(stream.buffer);
  });

  it('gives the same frames fed one byte at a time', () => {
    const decoder = new FrameDecoder({ frameBytesMax: 1024 });
    const chunks = [...stream].map((byte) => Buffer.from([byte]));
    const frames: Buffer[] = [];
    for (const chunk of chunks) {
      frames.push(...decoder.push(chunk));
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + 300);
    }
    expect(frames).toEqual(bodies);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('gives the same frames for random splits', () => {
    let seed = 42;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let round = 0; round < 50; round++) {
      const chunks: Buffer[] = [];
      for (let pos = 0; pos < stream.length;) {
        const len = 1 + random(40);
        chunks.push(stream.subarray(pos, pos + len));
        pos += len;
      }
      expect(feed(new FrameDecoder({ frameBytesMax: 1024 }), chunks)).toEqual(bodies);
    }
  });

  it('counts buffered bytes of a partial frame', () => {
    const decoder = new FrameDecoder({ frameBytesMax: 1024 });
    expect(decoder.push(stream.subarray(0, 2))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(2);
    expect(decoder.push(stream.subarray(2, 7))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(7);
  });

  it('refuses an oversized size field before the body arrives', () => {
    const decoder = new FrameDecoder({ frameBytesMax: 100 });
    const size = Buffer.alloc(4);
    size.writeInt32BE(101);
    expect(decoder.push(size.subarray(0, 3))).toEqual([]);
    try {
      decoder.push(size.subarray(3));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CopylessError);
      expect((e as CopylessError).errorName).toBe('LIMIT_EXCEEDED');
      expect((e as CopylessError).details).toMatchObject({ limit: 'frameBytesMax', max: 100, actual: 101 });
    }
    expect(decoder.bufferedBytes).toBe(0);
    expect(() => decoder.push(Buffer.alloc(1))).toThrow(/frameBytesMax/);
  });

  it('accepts a frame exactly at the limit', () => {
    expect(new FrameDecoder({ frameBytesMax: 300 }).push(framed(Buffer.alloc(300)))).toHaveLength(1);
  });

  it('rejects a negative size as INVALID_REQUEST', () => {
    const decoder = new FrameDecoder({ frameBytesMax: 100 });
    expect(() => decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(
      expect.objectContaining({ errorName: 'INVALID_REQUEST' }),
    );
  });
});
