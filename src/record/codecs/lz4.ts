// LZ4 as Kafka batches carry it: the standard LZ4 frame format (Kafka
// KafkaLZ4BlockOutputStream since KIP-57; librdkafka's LZ4F):
//
//   offset size field
//        0    4 magic            0x184D2204, little-endian
//        4    1 FLG              bits 7-6 version (01), 5 block independence, 4 block checksum,
//                                3 content size, 2 content checksum, 0 dictionary id
//        5    1 BD               bits 6-4 block max size: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
//        6    8 contentSize      only with FLG bit 3
//        …    4 dictId           only with FLG bit 0
//        …    1 HC               header checksum
//        …      blocks           uint32le size (high bit: stored uncompressed; 0: end mark) | data
//                                | uint32 checksum with FLG bit 4
//        …    4 contentChecksum  only with FLG bit 2
//
// Before inflating, the frame is walked block by block (sizes only, nothing
// inflated) to bound the output: an uncompressed block adds its size, a
// compressed one of n bytes at most min(block max size, 256 n) (LZ4's densest
// encoding, a long match, adds at most 255 bytes per input byte). So a small
// hostile frame cannot make the decoder allocate gigabytes. Skippable frames (magic
// 0x184D2A50-5F) are stepped over; frames may follow one another.

import { boundFrames, type FrameCursor, inflateWithin } from './frames.ts';
import { corruptSection, lazyModule } from './native-codec.ts';

type Lz4Module = typeof import('lz4-napi');
const lz4 = lazyModule<Lz4Module>('lz4', 'lz4-napi');

const FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const CONTENT_SIZE_BYTES = 8;
const DICT_ID_BYTES = 4;
const CHECKSUM_BYTES = 4;
const BLOCK_SIZE_BYTES = 4;
const BLOCK_UNCOMPRESSED_BIT = 0x80000000;
/** Most output bytes one input byte of an LZ4 block can produce (a match-length byte of 255, rounded up). */
const BLOCK_RATIO_MAX = 256;
/** Block max sizes by BD bits 6-4 (ids below 4 are reserved). */
const BLOCK_MAX_BYTES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/** Most bytes the frames of `blob` can inflate to; CORRUPT_MESSAGE when the framing is broken. */
export function lz4InflatedBytesBound(blob: Buffer): number {
  return boundFrames('lz4', blob, FRAME_MAGIC, boundFrame);
}

/** One frame after its magic: the descriptor, then the block sizes up to the end mark. */
function boundFrame(c: FrameCursor): number {
  const blob = c.blob;
  c.need(2, 'frame descriptor');
  const flg = blob[c.pos];
  const blockMax = BLOCK_MAX_BYTES[(blob[c.pos + 1] >> 4) & 0x07];
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01 || blockMax === undefined) {
    throw corruptSection('lz4', `frame descriptor 0x${flg.toString(16)} 0x${blob[c.pos + 1].toString(16)} is not LZ4 frame version 1`);
  }
  c.pos += 2 + (flg & FLG_CONTENT_SIZE ? CONTENT_SIZE_BYTES : 0) + (flg & FLG_DICT_ID ? DICT_ID_BYTES : 0) + 1;
  const blockChecksum = flg & FLG_BLOCK_CHECKSUM ? CHECKSUM_BYTES : 0;
  let bound = 0;
  for (;;) {
    c.need(BLOCK_SIZE_BYTES, 'block size');
    const word = blob.readUInt32LE(c.pos);
    c.pos += BLOCK_SIZE_BYTES;
    if (word === 0) break;
    const size = (word & ~BLOCK_UNCOMPRESSED_BIT) >>> 0;
    c.need(size + blockChecksum, 'block');
    bound += word & BLOCK_UNCOMPRESSED_BIT ? size : Math.min(blockMax, size * BLOCK_RATIO_MAX);
    c.pos += size + blockChecksum;
  }
  c.pos += flg & FLG_CONTENT_CHECKSUM ? CHECKSUM_BYTES : 0;
  return bound;
}

export function lz4Decompress(blob: Buffer, inflatedBytesMax: number): Buffer {
  return inflateWithin('lz4', lz4InflatedBytesBound(blob), inflatedBytesMax, () => lz4().decompressFrameSync(blob));
}

/**
 * One LZ4 frame with independent blocks and no checksums, as Kafka's Java
 * producer writes (its reader refuses dependent blocks). That is lz4-napi's
 * default frame; passing any option there switches to linked blocks, so none is passed.
 */
export function lz4Compress(plain: Buffer): Buffer {
  return lz4().compressFrameSync(plain);
}
