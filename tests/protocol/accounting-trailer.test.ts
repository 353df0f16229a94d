// Proves the CopylessFetch accounting trailer is patched through the response
// schema itself: rewriting the end of an encoded response (records spliced in
// before it) gives exactly the bytes encoding the real values from the start
// would have, and the client's decoder reads them back; a buffer that does not
// end in a trailer of that many fields is refused, not scribbled on.

import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeResponse, type ExternalChunk } from '../../src/protocol/index.ts';
import { encodeAccountingTrailer, patchAccountingTrailer } from '../../src/protocol/accounting-trailer.ts';

const header = { apiKey: ApiKey.CopylessFetch, apiVersion: 0, correlationId: 9, clientId: null };
const external = (byteLength: number): ExternalChunk => ({ external: true, byteLength });

function body(accounting: { name: string; value: number }[]) {
  return {
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 10, records: { byteLength: 4096, parts: [external(4096)] } }] }],
    accounting,
  };
}

const names = ['bytes', 'syscalls', 'cpuCopyBytesKernelToUser', 'é-non-ascii'];
const placeholder = names.map((name) => ({ name, value: 0 }));
const real = names.map((name, i) => ({ name, value: [4096, 3, 2 ** 40, 7][i] }));

const concat = (chunks: ReturnType<typeof encodeResponse>) => Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.alloc(c.byteLength, 1))));

describe('CopylessFetch accounting trailer', () => {
  it('patched in place, equals the response encoded with the real values', () => {
    const chunks = encodeResponse(header, body(placeholder));
    const last = chunks[chunks.length - 1] as Buffer;
    expect(chunks[chunks.length - 2]).toEqual(external(4096));
    patchAccountingTrailer(last, real);
    expect(concat(chunks)).toEqual(concat(encodeResponse(header, body(real))));
    const { body: decoded } = decodeResponse(header, concat(chunks).subarray(4)) as { body: any };
    expect(decoded.accounting).toEqual(real);
  });

  it('is the tail of the encoded response, and rounds values to integers', () => {
    const frame = concat(encodeResponse(header, body(real)));
    expect(frame.subarray(frame.length - encodeAccountingTrailer(real).length)).toEqual(encodeAccountingTrailer(real));
    expect(encodeAccountingTrailer([{ name: 'x', value: 2.6 }])).toEqual(encodeAccountingTrailer([{ name: 'x', value: 3 }]));
  });

  it('refuses a buffer that does not end in a trailer of as many fields', () => {
    const last = encodeResponse(header, body(placeholder)).at(-1) as Buffer;
    const before = Buffer.from(last);
    expect(() => patchAccountingTrailer(last, real.slice(1))).toThrow(/not an accounting trailer of 3 fields/);
    expect(() => patchAccountingTrailer(Buffer.alloc(8), real)).toThrow(/not an accounting trailer/);
    expect(last).toEqual(before);
  });
});
