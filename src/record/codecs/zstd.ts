// Zstandard as Kafka batches carry it: one or more zstd frames (RFC 8878):
//
//   offset size field
//        0    4 magic                  0xFD2FB528, little-endian
//        4    1 frameHeaderDescriptor  bits 7-6 content size field size, 5 single segment,
//                                      2 content checksum, 1-0 dictionary id field size
//        …  0-1 windowDescriptor       absent in single-segment frames
//        …  0-4 dictionaryId
//        …  0-8 frameContentSize       absent when the producer streamed (Java's ZstdOutputStream)
//        …      blocks                 3-byte little-endian header: bit 0 last block,
//                                      bits 2-1 type (0 raw, 1 RLE, 2 compressed), bits 23-3 size
//        …  0-4 contentChecksum
//
// Before inflating, the blocks are walked (headers only) to bound the output:
// a raw or RLE block inflates to exactly its size field, a compressed block
// to at most 128 KiB (the format's block maximum). A hostile frame of RLE
// blocks, zstd's densest form, is refused before any byte is inflated.
// Skippable frames (magic 0x184D2A50-5F) are stepped over.

import { boundFrames, type FrameCursor, inflateWithin } from './frames.ts';
import { corruptSection, lazyModule } from './native-codec.ts';

type ZstdModule = typeof import('@toondepauw/node-zstd');
const zstd = lazyModule<ZstdModule>('zstd', '@toondepauw/node-zstd');

const FRAME_MAGIC = 0xfd2fb528;
const SINGLE_SEGMENT_BIT = 0x20;
const CONTENT_CHECKSUM_BIT = 0x04;
const CHECKSUM_BYTES = 4;
const BLOCK_HEADER_BYTES = 3;
const BLOCK_TYPE_RAW = 0;
const BLOCK_TYPE_RLE = 1;
const BLOCK_TYPE_COMPRESSED = 2;
/** RFC 8878 Block_Maximum_Size: no block inflates past 128 KiB. */
const BLOCK_BYTES_MAX = 128 * 1024;
const DICT_ID_BYTES = [0, 1, 2, 4];
const CONTENT_SIZE_BYTES = [0, 2, 4, 8];
/** librdkafka's and the Java client's default level. */
const COMPRESSION_LEVEL = 3;

/** Most bytes the frames of `blob` can inflate to; CORRUPT_MESSAGE when the framing is broken. */
export function zstdInflatedBytesBound(blob: Buffer): number {
  return boundFrames('zstd', blob, FRAME_MAGIC, boundFrame);
}

/** One frame after its magic: the header, then the block headers up to the last block. */
function boundFrame(c: FrameCursor): number {
  const blob = c.blob;
  c.need(1, 'frame header');
  const fhd = blob[c.pos];
  const singleSegment = (fhd & SINGLE_SEGMENT_BIT) !== 0;
  const contentSizeFlag = fhd >> 6;
  const contentSizeBytes = contentSizeFlag === 0 && singleSegment ? 1 : CONTENT_SIZE_BYTES[contentSizeFlag];
  c.pos += 1 + (singleSegment ? 0 : 1) + DICT_ID_BYTES[fhd & 0x03] + contentSizeBytes;
  let bound = 0;
  for (let last = false; !last; ) {
    c.need(BLOCK_HEADER_BYTES, 'block header');
    const header = blob.readUIntLE(c.pos, BLOCK_HEADER_BYTES);
    c.pos += BLOCK_HEADER_BYTES;
    last = (header & 1) === 1;
    const type = (header >> 1) & 0x03;
    const size = header >>> 3;
    if (type > BLOCK_TYPE_COMPRESSED) throw corruptSection('zstd', `block at byte ${c.pos - BLOCK_HEADER_BYTES} has the reserved type 3`);
    c.need(type === BLOCK_TYPE_RLE ? 1 : size, 'block');
    bound += type === BLOCK_TYPE_COMPRESSED ? BLOCK_BYTES_MAX : size;
    c.pos += type === BLOCK_TYPE_RLE ? 1 : size;
  }
  c.pos += fhd & CONTENT_CHECKSUM_BIT ? CHECKSUM_BYTES : 0;
  return bound;
}

export function zstdDecompress(blob: Buffer, inflatedBytesMax: number): Buffer {
  return inflateWithin('zstd', zstdInflatedBytesBound(blob), inflatedBytesMax, () => decoder().decodeSync(blob));
}

export function zstdCompress(plain: Buffer): Buffer {
  return encoder().encodeSync(plain);
}

// One encoder and one decoder context for the process: creating a context
// allocates zstd's tables, which costs more than compressing a small batch.
let encoderContext: InstanceType<ZstdModule['Encoder']> | null = null;
let decoderContext: InstanceType<ZstdModule['Decoder']> | null = null;

function encoder(): InstanceType<ZstdModule['Encoder']> {
  return (encoderContext ??= new (zstd().Encoder)(COMPRESSION_LEVEL));
}

function decoder(): InstanceType<ZstdModule['Decoder']> {
  return (decoderContext ??= new (zstd().Decoder)());
}
