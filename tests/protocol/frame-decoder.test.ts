// Proves FrameDecoder yields the same frames fed whole, in random splits and
// one byte at a time, refuses an oversized size field before any of the body
// arrives, and rejects a negative size; and that lending (a reader writing
// into buffers the decoder hands out) yields the same frames, small frames as
// views of the lent slab and a frame that runs past the slab filled in place.

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

/**
 * A socket that reads `source` into whatever the decoder lends, at most
 * `readSizes()` bytes per read, the way Node's `onread` drives it.
 */
function lendAll(decoder: FrameDecoder, source: Buffer, readSizes: () => number): { frames: Buffer[]; lent: Buffer[] } {
  const frames: Buffer[] = [];
  const lent: Buffer[] = [];
  for (let pos = 0; pos < source.length; ) {
    const into = decoder.readBuffer();
    expect(into.length).toBeGreaterThan(0);
    lent.push(into);
    const n = Math.min(into.length, readSizes(), source.length - pos);
    source.copy(into, 0, pos, pos + n);
    pos += n;
    frames.push(...decoder.written(n));
  }
  return { frames, lent };
}

/** Frame equality by bytes (deep equality walks large Buffers element by element). */
function expectFrames(actual: Buffer[], expected: Buffer[]): void {
  expect(actual.map((f) => f.length)).toEqual(expected.map((f) => f.length));
  for (let i = 0; i < expected.length; i++) expect(actual[i].equals(expected[i])).toBe(true);
}

describe('FrameDecoder lending (readBuffer/written)', () => {
  it('returns frames read whole into the slab as views of it, without copying', () => {
    const decoder = new FrameDecoder({ frameBytesMax: 1024 });
    const { frames, lent } = lendAll(decoder, stream, () => stream.length);
    expect(lent).toHaveLength(1);
    expect(frames).toEqual(bodies);
    for (const f of frames) expect(f.buffer).toBe(lent[0].buffer);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('never lends the same slab bytes twice, so earlier frames stay intact', () => {
    const decoder = new FrameDecoder({ frameBytesMax: 1024 });
    const { frames } = lendAll(decoder, Buffer.concat(Array.from({ length: 400 }, () => stream)), () => 97);
    expectFrames(frames, Array.from({ length: 400 }, () => bodies).flat());
  });

  it('fills a frame that runs past the first read in place: its own buffer is lent for the rest', () => {
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const source = framed(Buffer.from('ab'), big, Buffer.from('cd'));
    const decoder = new FrameDecoder({ frameBytesMax: 1 << 20 });
    const { frames, lent } = lendAll(decoder, source, () => 1 << 20);
    expectFrames(frames, [Buffer.from('ab'), big, Buffer.from('cd')]);
    // The big frame is the buffer lent for its rest, not a reassembled copy.
    expect(lent.some((b) => b.buffer === frames[1].buffer && b.byteOffset > frames[1].byteOffset)).toBe(true);
    expect(frames[1].length).toBe(big.length);
  });

  it('gives the same frames as push for random read sizes, and one byte at a time', () => {
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const payloads = Array.from({ length: 60 }, (_, i) => Buffer.alloc(random(3) === 0 ? random(90_000) : random(300), i));
    const source = framed(...payloads);
    for (let round = 0; round < 5; round++) {
      const { frames } = lendAll(new FrameDecoder({ frameBytesMax: 1 << 20 }), source, () => 1 + random(70_000));
      expectFrames(frames, payloads);
    }
    expect(lendAll(new FrameDecoder({ frameBytesMax: 1024 }), stream, () => 1).frames).toEqual(bodies);
  });

  it('refuses an oversized size field before lending any of its body', () => {
    const decoder = new FrameDecoder({ frameBytesMax: 100 });
    const into = decoder.readBuffer();
    into.writeInt32BE(101, 0);
    expect(() => decoder.written(4)).toThrow(expect.objectContaining({ errorName: 'LIMIT_EXCEEDED' }));
    expect(() => decoder.written(0)).toThrow(/frameBytesMax/);
  });
});

describe('FrameDecoder with a refusing allocator (request-bytes budget)', () => {
  it('blocks on a split frame without allocating, then yields the same frames once allowed', () => {
    const asked: number[] = [];
    let allow = false;
    const decoder = new FrameDecoder({
      frameBytesMax: 1024,
      allocate: (size) => {
        asked.push(size);
        return allow ? Buffer.alloc(size) : null;
      },
    });
    // 'ab' is whole in the first chunk (a view, never allocated); the 300-byte frame is split.
    const source = framed(Buffer.from('ab'), Buffer.alloc(300, 7), Buffer.from('cd'));
    expect(decoder.push(source.subarray(0, 20))).toEqual([Buffer.from('ab')]);
    expect(decoder.blocked).toBe(true);
    expect(decoder.blockedFrameBytes).toBe(300);
    expect(decoder.push(source.subarray(20))).toEqual([]);
    expect(decoder.resume()).toEqual([]);
    expect(asked).toEqual([300, 300]);
    allow = true;
    expect(decoder.resume()).toEqual([Buffer.alloc(300, 7), Buffer.from('cd')]);
    expect(decoder.blocked).toBe(false);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('blocks again on a later frame of the stash and keeps the order of everything after it', () => {
    let grants = 0;
    const decoder = new FrameDecoder({ frameBytesMax: 1024, allocate: (size) => (grants-- > 0 ? Buffer.alloc(size) : null) });
    const payloads = [Buffer.alloc(100, 1), Buffer.alloc(200, 2), Buffer.from('x'), Buffer.alloc(150, 3)];
    const source = framed(...payloads);
    const frames: Buffer[] = [];
    // One byte at a time: every frame is split, so every frame needs a grant.
    for (let i = 0; i < source.length; i++) frames.push(...decoder.push(source.subarray(i, i + 1)));
    while (decoder.blocked) {
      grants = 1;
      frames.push(...decoder.resume());
    }
    expect(frames).toEqual(payloads);
  });
});
