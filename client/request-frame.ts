// A request frame as a list of Buffers for one vectored write: the codec's
// fields packed into small Buffers, and every `records` Buffer (a Produce
// request's batches) spliced in as it is. The codec's `encodeRequest` copies
// records into one growing Buffer instead, which for a 256 KiB batch means a
// chain of doubling allocations (~512 KiB) and a 256 KiB copy per request:
// the producer's largest allocation source after its own batches. The bytes
// on the wire are the same (tests/client/request-frame.test.ts).

import { API_NAMES, encodeRequest } from '../src/protocol/index.ts';
import type { RequestHeader } from '../src/protocol/index.ts';
import { ChunkWriter } from '../src/protocol/chunk-writer.ts';
import { encodeStruct } from '../src/protocol/schema.ts';
import { compiledApi } from '../src/protocol/schemas/registry.ts';

/** The whole request frame (int32 size first) as Buffers to write in order; records Buffers are not copied. */
export function encodeRequestChunks(header: RequestHeader, body: unknown): Buffer[] {
  const api = compiledApi(header.apiKey, header.apiVersion);
  // An unsupported API or version: the codec throws its UNSUPPORTED_VERSION error.
  if (api === undefined) return [encodeRequest(header, body)];
  const w = new ChunkWriter(true, 'INVALID_REQUEST');
  w.reserveSize();
  w.int16(header.apiKey, 'header.apiKey');
  w.int16(header.apiVersion, 'header.apiVersion');
  w.int32(header.correlationId, 'header.correlationId');
  w.string(header.clientId, 'header.clientId', true);
  encodeStruct(api.request, body, w, `${API_NAMES.get(header.apiKey) ?? `Api${header.apiKey}`}Request`);
  // Requests carry records as Buffers only (ExternalChunks are the broker's file ranges).
  return w.finishChunks() as Buffer[];
}
