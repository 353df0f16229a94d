// Snappy as Kafka batches carry it, in one of two layouts:
//
//   raw:    one Snappy block: uvarint uncompressedLength | Snappy elements
//           (librdkafka, Sarama, franz-go)
//   xerial: the snappy-java stream the Java client writes (SnappyOutputStream):
//             offset size field
//                  0    8 magic                 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
//                  8    4 version               int32, 1
//                 12    4 compatibleVersion     int32, 1
//                 16    … blocks                int32 blockLength | one raw Snappy block, repeated
//
// Decoding reads both (a section starting with the xerial magic is xerial,
// as librdkafka and kafkajs-snappy decide). Encoding writes xerial with the
// Java client's 32 KiB blocks, which every Kafka client reads. The size of
// the output is known before anything is inflated (each raw block starts
// with its uncompressed length), so the bound is checked first.

import { inflateWithin } from './frames.ts';
import { corruptSection, lazyModule } from './native-codec.ts';

type SnappyModule = typeof import('snappy');
const snappy = lazyModule<SnappyModule>('snappy', 'snappy');

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_VERSION_OFFSET = XERIAL_MAGIC.length;
const XERIAL_COMPATIBLE_OFFSET = XERIAL_VERSION_OFFSET + 4;
const XERIAL_HEADER_BYTES = XERIAL_COMPATIBLE_OFFSET + 4;
const XERIAL_VERSION = 1;
/** snappy-java's default block size, which Kafka's Java producer uses. */
const XERIAL_BLOCK_BYTES = 32 * 1024;
const BLOCK_LENGTH_BYTES = 4;
/** A uvarint32 takes at most 5 bytes. */
const UVARINT32_BYTES_MAX = 5;

function isXerial(blob: Buffer): boolean {
  return blob.length >= XERIAL_HEADER_BYTES && blob.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** The uncompressed length a raw Snappy block declares in its preamble. */
function declaredLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < Math.min(UVARINT32_BYTES_MAX, block.length); i++) {
    const b = block[i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return value;
  }
  throw corruptSection('snappy', 'a block preamble is not a valid uvarint32 length');
}

/** The raw blocks of a section: the section itself, or the blocks of a xerial stream. */
function blocksOf(blob: Buffer): Buffer[] {
  if (!isXerial(blob)) return [blob];
  const blocks: Buffer[] = [];
  for (let pos = XERIAL_HEADER_BYTES; pos < blob.length; ) {
    if (blob.length - pos < BLOCK_LENGTH_BYTES) throw corruptSection('snappy', `xerial block length at byte ${pos} is cut short`);
    const length = blob.readInt32BE(pos);
    pos += BLOCK_LENGTH_BYTES;
    if (length < 0 || length > blob.length - pos) throw corruptSection('snappy', `xerial block at byte ${pos} claims ${length} bytes, ${blob.length - pos} follow`);
    blocks.push(blob.subarray(pos, pos + length));
    pos += length;
  }
  return blocks;
}

export function snappyDecompress(blob: Buffer, inflatedBytesMax: number): Buffer {
  const blocks = blocksOf(blob);
  let total = 0;
  for (const b of blocks) total += declaredLength(b);
  return inflateWithin('snappy', total, inflatedBytesMax, () => {
    const lib = snappy();
    if (blocks.length === 1) return lib.uncompressSync(blocks[0], { asBuffer: true }) as Buffer;
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const b of blocks) at += (lib.uncompressSync(b, { asBuffer: true }) as Buffer).copy(out, at);
    return out;
  });
}

/** Xerial framing over 32 KiB raw blocks, as Kafka's Java producer writes. */
export function snappyCompress(plain: Buffer): Buffer {
  const lib = snappy();
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, XERIAL_VERSION_OFFSET);
  header.writeInt32BE(XERIAL_VERSION, XERIAL_COMPATIBLE_OFFSET);
  const parts: Buffer[] = [header];
  for (let at = 0; at < plain.length; at += XERIAL_BLOCK_BYTES) {
    const block = lib.compressSync(plain.subarray(at, at + XERIAL_BLOCK_BYTES));
    const length = Buffer.allocUnsafe(BLOCK_LENGTH_BYTES);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** One raw Snappy block, as librdkafka writes; for tests and interop checks. */
export function snappyCompressRaw(plain: Buffer): Buffer {
  return snappy().compressSync(plain);
}
