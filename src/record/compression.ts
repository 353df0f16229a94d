// Compression codecs of a RecordBatch v2, named by attribute bits 0-2 (Kafka
// CompressionType.java): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
//
// The broker stores and serves a batch byte for byte whatever its codec. The
// codecs are for whoever reads records: the client SDK and CLI, the HTTP and
// WebSocket decoders, the broker's exact timestamp lookup, and the append of a
// batch whose maxTimestamp must be recomputed. gzip is Node's zlib; snappy,
// lz4 and zstd are npm packages with prebuilt binaries (codecs/*.ts says
// which and the exact framing). Every inflate is bounded by
// BATCH_INFLATED_BYTES_MAX before any byte is inflated, so a small hostile
// batch cannot expand into gigabytes (a "zip bomb").

import { gunzipSync, gzipSync } from 'node:zlib';
import { CopylessError } from '../errors.ts';
import { BATCH_INFLATED_BYTES_MAX } from '../limits.ts';
import { lz4Compress, lz4Decompress } from './codecs/lz4.ts';
import { snappyCompress, snappyDecompress } from './codecs/snappy.ts';
import { zstdCompress, zstdDecompress } from './codecs/zstd.ts';

/** Every codec, in Kafka's id order: `COMPRESSION_NAMES[id]`. */
export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

/** Attribute bits 0-2 hold the codec id. */
export const COMPRESSION_CODEC_MASK = 0x07;

/** Codec ids by name, as Kafka numbers them. */
export const CompressionId = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** The codec named by a batch's attributes, or null for ids 5-7, which no Kafka codec uses. */
export function compressionOf(attributes: number): CompressionName | null {
  return COMPRESSION_NAMES[attributes & COMPRESSION_CODEC_MASK] ?? null;
}

export function isCompressionName(name: unknown): name is CompressionName {
  return typeof name === 'string' && (COMPRESSION_NAMES as readonly string[]).includes(name);
}

/** Compresses an encoded records section with any Kafka codec. */
export function compressRecords(codec: CompressionName, records: Buffer): Buffer {
  switch (codec) {
    case 'none':
      return records;
    case 'gzip':
      return gzipSync(records);
    case 'snappy':
      return snappyCompress(records);
    case 'lz4':
      return lz4Compress(records);
    case 'zstd':
      return zstdCompress(records);
    default:
      throw new CopylessError('UNSUPPORTED_COMPRESSION_TYPE', `compression ${String(codec)}: Kafka's codecs are ${COMPRESSION_NAMES.join(', ')}`, { field: 'compression' });
  }
}

/**
 * Inflates a batch's records section. `inflatedBytesMax` (default
 * BATCH_INFLATED_BYTES_MAX) bounds the output; past it, LIMIT_EXCEEDED.
 * A section its codec cannot read is CORRUPT_MESSAGE.
 */
export function decompressRecords(codec: CompressionName, blob: Buffer, inflatedBytesMax = BATCH_INFLATED_BYTES_MAX): Buffer {
  switch (codec) {
    case 'none':
      return blob;
    case 'gzip':
      return gunzip(blob, inflatedBytesMax);
    case 'snappy':
      return snappyDecompress(blob, inflatedBytesMax);
    case 'lz4':
      return lz4Decompress(blob, inflatedBytesMax);
    case 'zstd':
      return zstdDecompress(blob, inflatedBytesMax);
    default:
      throw new CopylessError('UNSUPPORTED_COMPRESSION_TYPE', `compression ${String(codec)} is not a Kafka codec`, { field: 'attributes' });
  }
}

function gunzip(blob: Buffer, max: number): Buffer {
  try {
    return gunzipSync(blob, { maxOutputLength: max });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CopylessError('LIMIT_EXCEEDED', `gzip records section inflates past BATCH_INFLATED_BYTES_MAX=${max} bytes`, {
        field: 'records',
        limit: 'BATCH_INFLATED_BYTES_MAX',
        max,
      });
    }
    throw new CopylessError('CORRUPT_MESSAGE', `gzip records section does not inflate: ${(e as Error).message}`, { field: 'records' });
  }
}
