// The pieces a response frame is made of. A response is a list of chunks so
// stored record bytes (page-cache views) and native file ranges can be sent
// as they are, between the small Buffers the codec packs its fields into.

/** Opaque to the codec (e.g. a native file range the broker sends with sendfile). */
export interface ExternalChunk {
  readonly external: true;
  readonly byteLength: number;
}

export type Chunk = Buffer | ExternalChunk;

/** Stored record bytes as views, spliced into a response unchanged and uncopied. */
export interface RecordsParts {
  byteLength: number;
  parts: Chunk[];
}

export function chunksByteLength(chunks: Chunk[]): number {
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  return total;
}

export function isExternalChunk(value: unknown): value is ExternalChunk {
  return typeof value === 'object' && value !== null && (value as ExternalChunk).external === true;
}

export function isRecordsParts(value: unknown): value is RecordsParts {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Buffer.isBuffer(value) &&
    Array.isArray((value as RecordsParts).parts)
  );
}
