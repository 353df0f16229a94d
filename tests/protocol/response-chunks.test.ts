// Proves Fetch and CopylessFetch responses splice RecordsParts parts (Buffers
// and ExternalChunks) into the chunk list unchanged and uncopied, with the
// small fields packed into one Buffer per region between records, and that
// the size prefix counts every chunk.

import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import {
  ApiKey, chunksByteLength, decodeResponse, encodeRequest, encodeResponse, type Chunk, type ExternalChunk, type RecordsParts,
} from '../../src/protocol/index.ts';
import { RECORDS_INLINE_BYTES_MAX } from '../../src/protocol/chunk-writer.ts';

const fetchHeader = { apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: 3, clientId: null };
const external = (byteLength: number): ExternalChunk => ({ external: true, byteLength });
const partition = (partitionIndex: number, records: unknown) => ({ partitionIndex, errorCode: 0, highWatermark: 10, records });

function fetchBody(recordsPerPartition: unknown[]) {
  return {
    responses: [
      { topic: 'a', partitions: recordsPerPartition.slice(0, 2).map((r, i) => partition(i, r)) },
      { topic: 'b', partitions: recordsPerPartition.slice(2).map((r, i) => partition(i, r)) },
    ],
  };
}

describe('response chunks', () => {
  it('emits one Buffer per region and every part by identity', () => {
    const p0 = Buffer.alloc(100, 1);
    const p1 = Buffer.alloc(50, 2);
    const ext = external(4096);
    const p3 = Buffer.alloc(10, 3);
    const records: RecordsParts[] = [
      { byteLength: 150, parts: [p0, p1] },
      { byteLength: 4096, parts: [ext] },
      { byteLength: 10, parts: [p3] },
    ];
    const chunks = encodeResponse(fetchHeader, fetchBody(records));
    // region | p0 p1 | region | ext | region | p3 | trailing region? (none: records is the last field)
    expect(chunks.length).toBe(7);
    expect(chunks[1]).toBe(p0);
    expect(chunks[2]).toBe(p1);
    expect(chunks[4]).toBe(ext);
    expect(chunks[6]).toBe(p3);
    for (const i of [0, 3, 5]) expect(Buffer.isBuffer(chunks[i])).toBe(true);
    const total = chunksByteLength(chunks);
    expect((chunks[0] as Buffer).readInt32BE(0)).toBe(total - 4);
  });

  it('decodes back when external chunks are replaced by their bytes', () => {
    const ext = external(8);
    const body = fetchBody([{ byteLength: 8, parts: [ext] }, null, Buffer.from('xy')]);
    const chunks = encodeResponse(fetchHeader, body);
    const frame = Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.alloc(c.byteLength, 9))));
    const { body: decoded } = decodeResponse(fetchHeader, frame.subarray(4)) as { body: any };
    expect(decoded.responses[0].partitions[0].records).toEqual(Buffer.alloc(8, 9));
    expect(decoded.responses[0].partitions[1].records).toBeNull();
    expect(decoded.responses[1].partitions[0].records).toEqual(Buffer.from('xy'));
  });

  it('splices a large plain-Buffer records value, copies a small one', () => {
    const big = Buffer.alloc(RECORDS_INLINE_BYTES_MAX, 1);
    const small = Buffer.alloc(RECORDS_INLINE_BYTES_MAX - 1, 2);
    const chunks = encodeResponse(fetchHeader, fetchBody([big, small]));
    expect(chunks.filter((c) => c === big)).toHaveLength(1);
    expect(chunks.filter((c) => c === small)).toHaveLength(0);
    expect(chunks).toHaveLength(3);
  });

  it('packs a whole response without records into a single Buffer, even past the first scratch size', () => {
    const body = { responses: Array.from({ length: 200 }, (_, i) => ({ topic: `topic-${i}`, partitions: [partition(0, null)] })) };
    const chunks = encodeResponse(fetchHeader, body);
    expect(chunks).toHaveLength(1);
    expect((chunks[0] as Buffer).readInt32BE(0)).toBe(chunks[0]!.byteLength - 4);
  });

  it('appends CopylessFetch accounting after the last records', () => {
    const header = { apiKey: ApiKey.CopylessFetch, apiVersion: 0, correlationId: 4, clientId: null };
    const ext = external(16);
    const chunks: Chunk[] = encodeResponse(header, { ...fetchBody([{ byteLength: 16, parts: [ext] }]), accounting: [{ name: 'sendfileCalls', value: 1 }] });
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(ext);
    const frame = Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.alloc(c.byteLength))));
    const { body } = decodeResponse(header, frame.subarray(4)) as { body: any };
    expect(body.accounting).toEqual([{ name: 'sendfileCalls', value: 1 }]);
  });

  it('refuses RecordsParts whose byteLength disagrees with its parts', () => {
    expect(() => encodeResponse(fetchHeader, fetchBody([{ byteLength: 5, parts: [Buffer.alloc(4)] }]))).toThrow(/byteLength 5/);
  });

  it('copies RecordsParts Buffers into a request, and refuses an ExternalChunk there', () => {
    const header = { apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 1, clientId: null };
    const body = (records: unknown) => ({ transactionalId: null, acks: 1, timeoutMs: 10, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] });
    const frame = encodeRequest(header, body({ byteLength: 3, parts: [Buffer.from('ab'), Buffer.from('c')] }));
    expect(frame.subarray(frame.length - 3).toString()).toBe('abc');
    expect(() => encodeRequest(header, body({ byteLength: 3, parts: [external(3)] }))).toThrow(CopylessError);
  });

  it('names the field when a body value has the wrong type', () => {
    const bad = fetchBody([Buffer.alloc(1)]);
    (bad.responses[0]!.partitions[0] as any).highWatermark = 'ten';
    expect(() => encodeResponse(fetchHeader, bad)).toThrow(/responses\[\]\.partitions\[\]\.highWatermark/);
    expect(() => encodeRequest({ ...fetchHeader, apiKey: ApiKey.Metadata, apiVersion: 0 }, { topics: null })).toThrow(/topics: null in a non-nullable/);
  });

  it('writes int64 beyond 2^53 clamped into range, and negative int64s exactly', () => {
    const header = { apiKey: ApiKey.ListOffsets, apiVersion: 1, correlationId: 1, clientId: null };
    const chunks = encodeResponse(header, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: 2 ** 63, offset: -2 }] }] });
    const frame = chunks[0] as Buffer;
    expect(frame.readBigInt64BE(frame.length - 16)).toBe(2n ** 63n - 1n);
    expect(frame.readBigInt64BE(frame.length - 8)).toBe(-2n);
  });
});
