// kafkajs ships only gzip; snappy, lz4 and zstd are plugins a user registers
// in kafkajs's CompressionCodecs. These adapters register copyless's own
// codecs (src/record/compression.ts: the same npm packages the SDK uses), so a
// kafkajs test speaks all four codecs with no extra dependency.

import { createRequire } from 'node:module';
import { compressRecords, decompressRecords, type CompressionName } from '../../src/record/index.ts';

const require = createRequire(import.meta.url);
const { CompressionTypes, CompressionCodecs } = require('kafkajs') as {
  CompressionTypes: Record<'None' | 'GZIP' | 'Snappy' | 'LZ4' | 'ZSTD', number>;
  CompressionCodecs: Record<number, () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> }>;
};

export { CompressionTypes };

/** kafkajs codec ids by copyless codec name. */
export const KAFKAJS_CODEC: Record<CompressionName, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Registers snappy, lz4 and zstd in kafkajs (process-wide, idempotent). */
export function registerKafkajsCodecs(): void {
  for (const name of ['snappy', 'lz4', 'zstd'] as const) {
    const codec = {
      compress: async (encoder: { buffer: Buffer }) => compressRecords(name, encoder.buffer),
      decompress: async (buffer: Buffer) => decompressRecords(name, buffer),
    };
    CompressionCodecs[KAFKAJS_CODEC[name]] = () => codec;
  }
}
