// What the codecs' framings share. LZ4 and zstd: a section is frames back to
// back, each starting with a little-endian uint32 magic; skippable frames
// (magic 0x184D2A50-0x184D2A5F, then a uint32 size) may sit between them in
// both formats, and each codec walks its own frame body to bound what it can
// inflate to. Every codec: nothing is inflated unless that bound is within
// the limit (inflateWithin).

import { CopylessError, limitError } from '../../errors.ts';
import { corruptSection } from './native-codec.ts';

const MAGIC_BYTES = 4;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const SKIPPABLE_SIZE_BYTES = 4;

/** A position in a compressed section, for a frame walker. */
export class FrameCursor {
  pos = 0;

  constructor(
    readonly codec: string,
    readonly blob: Buffer,
  ) {}

  /** CORRUPT_MESSAGE unless `n` more bytes follow. */
  need(n: number, what: string): void {
    if (this.blob.length - this.pos < n) throw corruptSection(this.codec, `${what} at byte ${this.pos} is cut short`);
  }
}

/**
 * Walks the frames of `blob`: steps over skippable frames, checks each
 * frame's magic and hands the cursor, just past it, to `frame`, which reads
 * the frame and returns the most bytes it can inflate to. Returns the sum.
 */
export function boundFrames(codec: string, blob: Buffer, magic: number, frame: (c: FrameCursor) => number): number {
  const c = new FrameCursor(codec, blob);
  let bound = 0;
  while (c.pos < blob.length) {
    c.need(MAGIC_BYTES, 'frame magic');
    const m = blob.readUInt32LE(c.pos);
    c.pos += MAGIC_BYTES;
    if (((m & SKIPPABLE_MAGIC_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      c.need(SKIPPABLE_SIZE_BYTES, 'skippable frame size');
      c.pos += SKIPPABLE_SIZE_BYTES + blob.readUInt32LE(c.pos);
      continue;
    }
    if (m !== magic) throw corruptSection(codec, `frame magic is 0x${m.toString(16)}, not 0x${magic.toString(16)}`);
    bound += frame(c);
  }
  if (c.pos > blob.length) throw corruptSection(codec, 'the last frame is cut short');
  return bound;
}

/**
 * Inflates with `inflate` only when `bound` is within `inflatedBytesMax`; a
 * library's failure becomes CORRUPT_MESSAGE (a CopylessError, e.g. a codec
 * package that does not load, passes unchanged).
 */
export function inflateWithin(codec: string, bound: number, inflatedBytesMax: number, inflate: () => Buffer): Buffer {
  if (bound > inflatedBytesMax) {
    throw limitError('LIMIT_EXCEEDED', 'BATCH_INFLATED_BYTES_MAX', inflatedBytesMax, bound, `${codec} records section may inflate to`, { field: 'records' });
  }
  try {
    return inflate();
  } catch (e) {
    if (e instanceof CopylessError) throw e;
    throw corruptSection(codec, (e as Error).message);
  }
}
