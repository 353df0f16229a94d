// Compression codecs of a RecordBatch v2, named by attribute bits 0-2 (Kafka
// CompressionType.java): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
//
// The broker never decompresses: a batch is stored and served byte for byte
// whatever its codec. Only our own encoder/decoder (the client SDK, tests, the
// timestamp lookup) needs codecs, and it implements none and gzip with Node's
// zlib; for the others it names the codec in an UNSUPPORTED_COMPRESSION_TYPE.

import { gunzipSync, gzipSync } from 'node:zlib';
import { CopylessError } from '../errors.ts';
import { BATCH_INFLATED_BYTES_MAX } from '../limits.ts';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Attribute bits 0-2 hold the codec id. */
export const COMPRESSION_CODEC_MASK = 0x07;

/** Codec ids by name, as Kafka numbers them. */
export const CompressionId = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

const NAME_BY_ID: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The codec named by a batch's attributes, or null for ids 5-7, which no Kafka codec uses. */
export function compressionOf(attributes: number): CompressionName | null {
  return NAME_BY_ID[attributes & COMPRESSION_CODEC_MASK] ?? null;
}

/** Compresses an encoded records section. Our encoder writes none and gzip only. */
export function compressRecords(codec: 'none' | 'gzip', records: Buffer): Buffer {
  return codec === 'gzip' ? gzipSync(records) : records;
}

/**
 * Inflates a batch's records section. The inflated size is bounded so a small
 * hostile batch cannot expand into gigabytes (a "zip bomb").
 */
export function decompressRecords(codec: CompressionName, blob: Buffer): Buffer {
  if (codec === 'none') return blob;
  if (codec !== 'gzip') {
    throw new CopylessError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `record batch is ${codec}-compressed; copyless stores ${codec} batches opaquely but its decoder reads only none and gzip`,
      { field: 'attributes', codec },
    );
  }
  try {
    return gunzipSync(blob, { maxOutputLength: BATCH_INFLATED_BYTES_MAX });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      const max = BATCH_INFLATED_BYTES_MAX;
      throw new CopylessError('LIMIT_EXCEEDED', `gzip records section inflates past BATCH_INFLATED_BYTES_MAX=${max} bytes`, {
        field: 'records',
        limit: 'BATCH_INFLATED_BYTES_MAX',
        max,
      });
    }
    throw new CopylessError('CORRUPT_MESSAGE', `gzip records section does not inflate: ${(e as Error).message}`, { field: 'records' });
  }
}
