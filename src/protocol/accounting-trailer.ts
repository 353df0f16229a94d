// The CopylessFetch accounting trailer: the response's last field, laid out
// by CopylessFetchAccountingSchema (schemas/copyless-apis.ts). A fetch's real
// counts are known only once its bytes were written (a native mode counts the
// system calls it made), after the response was encoded with placeholder
// values. The trailer's size depends only on the names, never on the values,
// so the broker re-encodes it with the real values through the same schema
// and writes it over the end of the encoded response: the layout is defined
// once, by the schema, for the encoder, the decoder and this patch.

import { assert } from '../errors.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { compile, encodeStruct } from './schema.ts';
import { CopylessFetchAccountingSchema } from './schemas/copyless-apis.ts';

export interface AccountingPair {
  name: string;
  value: number;
}

const TRAILER = compile(CopylessFetchAccountingSchema, 0);
/** The frame size ChunkWriter reserves in front of what it encodes; the trailer is what follows it. */
const SIZE_PREFIX_BYTES = 4;

/** The trailer's bytes for these pairs, values rounded to integers. */
export function encodeAccountingTrailer(pairs: readonly AccountingPair[]): Buffer {
  const w = new ChunkWriter(false, 'UNKNOWN_SERVER_ERROR');
  w.reserveSize();
  encodeStruct(TRAILER, { accounting: pairs.map((p) => ({ name: p.name, value: Math.round(p.value) })) }, w, 'CopylessFetchResponse');
  return w.finishBuffer().subarray(SIZE_PREFIX_BYTES);
}

/**
 * Rewrite the trailer at the end of `response` (the last chunk of an encoded
 * CopylessFetch response) with these values. The pairs must name the same
 * fields, in the same order, as the ones the response was encoded with.
 */
export function patchAccountingTrailer(response: Buffer, pairs: readonly AccountingPair[]): void {
  const trailer = encodeAccountingTrailer(pairs);
  const at = response.length - trailer.length;
  assert(at >= 0 && response.readInt32BE(at) === pairs.length, `the last ${trailer.length} bytes of the response are not an accounting trailer of ${pairs.length} fields`);
  trailer.copy(response, at);
}
