// Proves the codec's bytes match the Kafka protocol spec literally: ApiVersions
// v0-v2 responses, a Metadata v6 request, a Produce v7 request, a Fetch v11
// response, the KIP-511 fallback for ApiVersions v3, and UNSUPPORTED_VERSION.

import { describe, expect, it } from 'vitest';
import { CopylessError, ErrorCode } from '../../src/errors.ts';
import {
  ApiKey, decodeRequest, decodeRequestHeader, decodeResponse, encodeApiVersionsFallback, encodeRequest, encodeResponse,
  type RequestHeader,
} from '../../src/protocol/index.ts';

/** Hex with spaces and `|` separators allowed, so each vector can be laid out field by field. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');
const concat = (chunks: unknown[]): Buffer => Buffer.concat(chunks as Buffer[]);
const header = (apiKey: number, apiVersion: number, correlationId: number, clientId: string | null = null): RequestHeader =>
  ({ apiKey, apiVersion, correlationId, clientId });

const apiVersionsBody = {
  errorCode: 0,
  apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 2 }],
  throttleTimeMs: 5,
};

describe('ApiVersions responses', () => {
  // size | correlationId | errorCode | apiKeys count | [key min max] x2 (| throttleTimeMs from v1)
  const v0 = hex('00000016 | 00000001 | 0000 | 00000002 | 0000 0003 0007 | 0012 0000 0002');
  const v1 = hex('0000001a | 00000001 | 0000 | 00000002 | 0000 0003 0007 | 0012 0000 0002 | 00000005');

  it.each([[0, v0], [1, v1], [2, v1]])('v%i', (version, bytes) => {
    const h = header(ApiKey.ApiVersions, version as number, 1);
    expect(concat(encodeResponse(h, apiVersionsBody)).equals(bytes as Buffer)).toBe(true);
    const { body } = decodeResponse(h, (bytes as Buffer).subarray(4));
    expect(body).toEqual(version === 0 ? { ...apiVersionsBody, throttleTimeMs: 0 } : apiVersionsBody);
  });
});

describe('Metadata v6 request', () => {
  // size | key 3 | version 6 | correlationId 42 | clientId "kafkajs" | topics | allowAutoTopicCreation
  const allTopics = hex('00000016 | 0003 | 0006 | 0000002a | 0007 6b61666b616a73 | ffffffff | 01');
  const twoTopics = hex('0000001d | 0003 | 0006 | 0000002a | 0007 6b61666b616a73 | 00000002 0001 61 0002 6263 | 00');
  const h = header(ApiKey.Metadata, 6, 42, 'kafkajs');

  it('topics null (all topics) is encoded as array length -1', () => {
    expect(encodeRequest(h, { topics: null, allowAutoTopicCreation: true }).equals(allTopics)).toBe(true);
    const frame = allTopics.subarray(4);
    const { header: decoded, bodyOffset } = decodeRequestHeader(frame);
    expect(decoded).toEqual(h);
    expect(bodyOffset).toBe(17);
    expect(decodeRequest(decoded, frame, bodyOffset)).toEqual({ topics: null, allowAutoTopicCreation: true });
  });

  it('named topics', () => {
    const body = { topics: [{ name: 'a' }, { name: 'bc' }], allowAutoTopicCreation: false };
    expect(encodeRequest(h, body).equals(twoTopics)).toBe(true);
    const frame = twoTopics.subarray(4);
    expect(decodeRequest(h, frame, decodeRequestHeader(frame).bodyOffset)).toEqual(body);
  });
});

describe('Produce v7 request', () => {
  // size | key 0 | v7 | corr 1 | clientId null | transactionalId null | acks -1 | timeoutMs 30000 |
  // topicData [ "t" [ index 0, records(3) aabbcc ] ]
  const bytes = hex(`00000028 | 0000 | 0007 | 00000001 | ffff |
    ffff | ffff | 00007530 | 00000001 0001 74 | 00000001 00000000 00000003 aabbcc`);
  const body = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 't', partitionData: [{ index: 0, records: hex('aabbcc') }] }] };

  it('encodes and decodes, records as a subarray of the frame', () => {
    const h = header(ApiKey.Produce, 7, 1);
    expect(encodeRequest(h, body).equals(bytes)).toBe(true);
    const frame = bytes.subarray(4);
    const decoded = decodeRequest(h, frame, decodeRequestHeader(frame).bodyOffset) as typeof body;
    expect(decoded).toEqual(body);
    const records = decoded.topicData[0]!.partitionData[0]!.records;
    expect(records.buffer).toBe(frame.buffer);
    expect(records.byteOffset).toBe(frame.byteOffset + frame.length - 3);
  });
});

describe('Fetch v11 response', () => {
  // size | corr 7 | throttle 0 | errorCode 0 | sessionId 0 | responses [ "t" [ partition 0, error 0,
  // highWatermark 10, lastStableOffset 10, logStartOffset 0, abortedTransactions [], preferredReadReplica -1,
  // records(4) 01020304 ] ]
  const bytes = hex(`00000047 | 00000007 | 00000000 | 0000 | 00000000 |
    00000001 0001 74 | 00000001 | 00000000 | 0000 | 000000000000000a | 000000000000000a | 0000000000000000 |
    00000000 | ffffffff | 00000004 01020304`);
  const body = {
    throttleTimeMs: 0, errorCode: 0, sessionId: 0,
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 10, lastStableOffset: 10,
      logStartOffset: 0, abortedTransactions: [], preferredReadReplica: -1, records: hex('01020304') }] }],
  };
  const h = header(ApiKey.Fetch, 11, 7);

  it('encodes and decodes', () => {
    expect(concat(encodeResponse(h, body)).equals(bytes)).toBe(true);
    expect(decodeResponse(h, bytes.subarray(4))).toEqual({ correlationId: 7, body });
  });

  it('splices RecordsParts in after the header region', () => {
    const parts = [hex('0102'), hex('0304')];
    const chunks = encodeResponse(h, { ...body, responses: [{ topic: 't', partitions: [{ ...body.responses[0]!.partitions[0]!, records: { byteLength: 4, parts } }] }] });
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(parts[0]);
    expect(chunks[2]).toBe(parts[1]);
    expect(concat(chunks).equals(bytes)).toBe(true);
  });
});

describe('ApiVersions v3+ (KIP-511 fallback)', () => {
  it('is a v0 body with error 35 and every advertised API', () => {
    const bytes = encodeApiVersionsFallback(0x01020304);
    // size | correlationId | errorCode 35 | count 31 | first entry Produce 0-7 ... last CopylessFetch 0-0
    expect(bytes.subarray(0, 20).equals(hex('000000c4 | 01020304 | 0023 | 0000001f | 0000 0000 0007'))).toBe(true);
    expect(bytes.subarray(bytes.length - 6).equals(hex('271a 0000 0000'))).toBe(true);
    expect(bytes.length).toBe(4 + 4 + 2 + 4 + 31 * 6);
    const { body } = decodeResponse(header(ApiKey.ApiVersions, 0, 0), bytes.subarray(4)) as { body: { errorCode: number; apiKeys: { apiKey: number }[] } };
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys.map((k) => k.apiKey)).toEqual([...body.apiKeys.map((k) => k.apiKey)].sort((a, b) => a - b));
  });

  it('reads a flexible v3 request header up to clientId without parsing the body', () => {
    // librdkafka's probe: key 18, v3, corr 5, clientId "rdkafka", then tagged fields and a compact body
    const frame = hex('0012 | 0003 | 00000005 | 0007 7264 6b61 666b 61 | 00 | 0872646b6166 6b61 00 06322e302e32 00 00');
    const { header: h } = decodeRequestHeader(frame);
    expect(h).toEqual(header(ApiKey.ApiVersions, 3, 5, 'rdkafka'));
    expect(() => decodeRequest(h, frame, 17)).toThrow(CopylessError);
    expect(encodeApiVersionsFallback(h.correlationId).readInt32BE(4)).toBe(5);
  });
});

describe('unsupported versions', () => {
  it.each([
    [ApiKey.Produce, 8], [ApiKey.Fetch, 12], [ApiKey.ApiVersions, 3], [ApiKey.OffsetFetch, 6], [999, 0], [ApiKey.CopylessFetch, 1],
  ])('key %i v%i -> UNSUPPORTED_VERSION', (apiKey, apiVersion) => {
    const h = header(apiKey, apiVersion, 1);
    for (const call of [() => decodeRequest(h, Buffer.alloc(16), 0), () => encodeResponse(h, {}), () => encodeRequest(h, {})]) {
      try {
        call();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(CopylessError);
        expect((e as CopylessError).errorName).toBe('UNSUPPORTED_VERSION');
        expect((e as CopylessError).details).toMatchObject({ apiKey, apiVersion });
      }
    }
  });
});
