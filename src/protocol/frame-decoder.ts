// Splits a TCP byte stream into Kafka frames.
//
// Wire layout: [int32 size][size bytes of frame] repeated. A state machine with
// one method per state (size, body), fed chunks of any length, even one byte.
// The size is checked against frameBytesMax as soon as its 4 bytes are in, so
// an oversized frame is refused before any of its body is buffered. A frame
// lying whole inside one chunk is returned as a subarray of that chunk; only a
// frame split across chunks is copied, once, into a buffer of its exact size.
//
// Two ways to feed it, never mixed on one decoder:
//   push(chunk)              chunks someone else allocated (a 'data' event);
//   readBuffer()/written(n)  lending: the reader (a socket's `onread`) writes
//                            straight into memory the decoder hands out.
// Lending hands out the free tail of a slab while reading sizes and small
// frames (frames come back as views of the slab, which is never written
// twice), and the unfilled rest of the frame's own buffer once a frame is
// known to run past the slab: a large response then arrives in place, with
// no per-read allocation and no reassembly copy beyond its first slab's worth.
//
// The buffer of a frame split across chunks comes from `allocate`, which may
// refuse (a broker-wide budget of request bytes is spent). The decoder then
// blocks: it keeps the bytes it was given after that size field, takes any
// further chunks into the same stash, and returns no frame until `resume()`
// finds `allocate` willing. The caller stops reading the socket meanwhile, so
// the stash holds at most what one read had already delivered. (Refusal is for
// push() feeding; the lending path never blocks.)

import { CopylessError, limitError } from '../errors.ts';

const SIZE_BYTES = 4;
/** Slab lent while reading sizes and small frames: Node's own socket read size. */
const SLAB_BYTES = 64 * 1024;
/**
 * A slab with less free space than this is retired for a fresh one, so a
 * read into the slab is never tiny; the tail it leaves unused is the cost.
 */
const SLAB_FREE_BYTES_MIN = 16 * 1024;

export class FrameDecoder {
  private readonly frameBytesMax: number;
  private readonly sizeField = Buffer.alloc(SIZE_BYTES);
  private sizeFilled = 0;
  /** The frame being assembled across chunks, or null while reading a size. */
  private body: Buffer | null = null;
  private bodyFilled = 0;
  /** Once a size is refused the stream is out of sync for good. */
  private failure: CopylessError | null = null;
  /** Lending: the slab whose tail is lent while no frame body is being filled in place. */
  private slab: Buffer | null = null;
  /** Lending: bytes of `slab` already written (and never lent again). */
  private slabFilled = 0;
  /** Lending: whether the last buffer lent was the tail of `body` (else of `slab`). */
  private lentBody = false;
  private readonly allocate: (size: number) => Buffer | null;
  /** Blocked: the size read whose buffer `allocate` refused, else null. */
  private blockedSize: number | null = null;
  /** Blocked: bytes received after that size field, in order. */
  private stash: Buffer[] = [];

  constructor(o: { frameBytesMax: number; allocate?: (size: number) => Buffer | null }) {
    this.frameBytesMax = o.frameBytesMax;
    this.allocate = o.allocate ?? ((size) => Buffer.allocUnsafe(size));
  }

  /** Bytes received but not yet returned as a frame (size field included). */
  get bufferedBytes(): number {
    if (this.blockedSize !== null) return SIZE_BYTES + this.stash.reduce((n, c) => n + c.length, 0);
    return this.body === null ? this.sizeFilled : SIZE_BYTES + this.bodyFilled;
  }

  /** True while waiting for `allocate` to give a frame buffer it refused (see resume). */
  get blocked(): boolean {
    return this.blockedSize !== null;
  }

  /** The declared size of the frame waiting for its buffer, or null. */
  get blockedFrameBytes(): number | null {
    return this.blockedSize;
  }

  /**
   * Complete frames (the bytes after each size field), in order. Throws
   * LIMIT_EXCEEDED (limit frameBytesMax) for an oversized size field and
   * INVALID_REQUEST for a negative one; frames completed earlier in the same
   * chunk are dropped with it, since the connection is then closed.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failure) throw this.failure;
    if (this.blockedSize !== null) {
      this.stash.push(chunk);
      return [];
    }
    return this.feed(chunk, []);
  }

  /**
   * Blocked: ask `allocate` again; when it gives the buffer, decode the
   * stashed bytes and return the frames they complete (possibly blocking
   * again on a later frame). Not blocked: returns [].
   */
  resume(): Buffer[] {
    if (this.failure) throw this.failure;
    if (this.blockedSize === null) return [];
    const body = this.allocate(this.blockedSize);
    if (body === null) return [];
    this.body = body;
    this.bodyFilled = 0;
    this.blockedSize = null;
    const stash = this.stash;
    this.stash = [];
    const frames: Buffer[] = [];
    for (let i = 0; i < stash.length; i++) {
      this.feed(stash[i], frames);
      if (this.blockedSize !== null) {
        for (let j = i + 1; j < stash.length; j++) this.stash.push(stash[j]);
        break;
      }
    }
    return frames;
  }

  private feed(chunk: Buffer, frames: Buffer[]): Buffer[] {
    let pos = 0;
    while (pos < chunk.length) {
      pos = this.body === null ? this.readSize(chunk, pos, frames) : this.readBody(chunk, pos, frames);
      if (this.blockedSize !== null) {
        if (pos < chunk.length) this.stash.push(chunk.subarray(pos));
        break;
      }
    }
    return frames;
  }

  /**
   * Lending: where the reader should write the next bytes (never empty). Call
   * `written` with how many it wrote at its start before asking again.
   */
  readBuffer(): Buffer {
    if (this.body !== null) {
      this.lentBody = true;
      return this.body.subarray(this.bodyFilled);
    }
    this.lentBody = false;
    if (this.slab === null || this.slab.length - this.slabFilled < SLAB_FREE_BYTES_MIN) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.slabFilled = 0;
    }
    return this.slab.subarray(this.slabFilled);
  }

  /** Lending: `byteCount` bytes were written at the start of the last `readBuffer()`; returns the frames completed (as `push`). */
  written(byteCount: number): Buffer[] {
    if (this.failure) throw this.failure;
    if (!this.lentBody) {
      const start = this.slabFilled;
      this.slabFilled += byteCount;
      return this.push(this.slab!.subarray(start, this.slabFilled));
    }
    this.bodyFilled += byteCount;
    if (this.bodyFilled < this.body!.length) return [];
    const frame = this.body!;
    this.body = null;
    this.bodyFilled = 0;
    return [frame];
  }

  private readSize(chunk: Buffer, pos: number, frames: Buffer[]): number {
    let size: number;
    if (this.sizeFilled === 0 && chunk.length - pos >= SIZE_BYTES) {
      size = chunk.readInt32BE(pos);
      pos += SIZE_BYTES;
    } else {
      const take = Math.min(SIZE_BYTES - this.sizeFilled, chunk.length - pos);
      chunk.copy(this.sizeField, this.sizeFilled, pos, pos + take);
      this.sizeFilled += take;
      pos += take;
      if (this.sizeFilled < SIZE_BYTES) return pos;
      this.sizeFilled = 0;
      size = this.sizeField.readInt32BE(0);
    }
    this.checkSize(size);
    if (chunk.length - pos >= size) {
      frames.push(chunk.subarray(pos, pos + size));
      return pos + size;
    }
    const body = this.allocate(size);
    if (body === null) {
      this.blockedSize = size;
      return pos;
    }
    this.body = body;
    this.bodyFilled = 0;
    return pos;
  }

  private readBody(chunk: Buffer, pos: number, frames: Buffer[]): number {
    const body = this.body!;
    const take = Math.min(body.length - this.bodyFilled, chunk.length - pos);
    chunk.copy(body, this.bodyFilled, pos, pos + take);
    this.bodyFilled += take;
    if (this.bodyFilled === body.length) {
      frames.push(body);
      this.body = null;
      this.bodyFilled = 0;
    }
    return pos + take;
  }

  private checkSize(size: number): void {
    if (size < 0) {
      this.failure = new CopylessError('INVALID_REQUEST', `frame size field is negative (${size})`, { field: 'size' });
    } else if (size > this.frameBytesMax) {
      this.failure = limitError('LIMIT_EXCEEDED', 'frameBytesMax', this.frameBytesMax, size, 'frame');
    }
    if (this.failure) throw this.failure;
  }
}
