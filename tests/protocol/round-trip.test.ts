// Proves every API round-trips at every supported version: encodeRequest ->
// FrameDecoder -> decodeRequest and encodeResponse -> decodeResponse return
// the sample with each field absent at that version at its Kafka default.

import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  API_NAMES, ApiKey, FrameDecoder, SUPPORTED_VERSIONS, decodeRequest, decodeRequestHeader, decodeResponse,
  encodeRequest, encodeResponse, type ApiKeyValue, type RequestBodyByKey, type RequestHeader, type ResponseBodyByKey,
} from '../../src/protocol/index.ts';
import type { Schema } from '../../src/protocol/schema.ts';
import { schemasOf } from '../../src/protocol/schemas/registry.ts';
import { REQUESTS, RESPONSES } from './samples.ts';

/** What decoding `value` encoded at `version` must give, read straight off the schema. */
function expected(value: Record<string, unknown>, schema: Schema, version: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema) {
    const present = version >= f.versionMin && version <= f.versionMax;
    if (!present) {
      out[f.name] = f.array ? (f.defaultValue === null ? null : []) : f.defaultValue;
    } else if (typeof f.type === 'string') {
      out[f.name] = value[f.name];
    } else {
      const sub = f.type;
      out[f.name] = (value[f.name] as Record<string, unknown>[]).map((item) => expected(item, sub, version));
    }
  }
  return out;
}

function concat(chunks: unknown[]): Buffer {
  return Buffer.concat(chunks as Buffer[]);
}

const cases = [...SUPPORTED_VERSIONS].flatMap(([apiKey, { min, max }]) =>
  Array.from({ length: max - min + 1 }, (_, i) => ({ apiKey, apiVersion: min + i, name: `${API_NAMES.get(apiKey)} v${min + i}` })),
);

describe('round trip at every supported version', () => {
  it('has a sample for every API', () => {
    for (const key of SUPPORTED_VERSIONS.keys()) {
      expect(REQUESTS.has(key) && RESPONSES.has(key), API_NAMES.get(key)).toBe(true);
    }
  });

  it.each(cases)('$name request', ({ apiKey, apiVersion }) => {
    const header: RequestHeader = { apiKey, apiVersion, correlationId: apiKey * 100 + apiVersion, clientId: 'round-trip' };
    const sample = REQUESTS.get(apiKey)!;
    const bytes = encodeRequest(header, sample);
    const frames = new FrameDecoder({ frameBytesMax: 1 << 20 }).push(bytes);
    expect(frames).toHaveLength(1);
    const decodedHeader = decodeRequestHeader(frames[0]!);
    expect(decodedHeader.header).toEqual(header);
    const body = decodeRequest(decodedHeader.header, frames[0]!, decodedHeader.bodyOffset) as Record<string, unknown>;
    expect(body).toEqual(expected(sample, schemasOf(apiKey)!.request, apiVersion));
    expect(encodeRequest(header, body).equals(bytes)).toBe(true);
  });

  it.each(cases)('$name response', ({ apiKey, apiVersion }) => {
    const header: RequestHeader = { apiKey, apiVersion, correlationId: -7, clientId: null };
    const sample = RESPONSES.get(apiKey)!;
    const frame = concat(encodeResponse(header, sample));
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const { correlationId, body } = decodeResponse(header, frame.subarray(4));
    expect(correlationId).toBe(-7);
    expect(body).toEqual(expected(sample, schemasOf(apiKey)!.response, apiVersion));
    expect(concat(encodeResponse(header, body)).equals(frame)).toBe(true);
  });

  it('types a request and a response body for every API key (checked by tsc)', () => {
    expectTypeOf<Exclude<ApiKeyValue, keyof RequestBodyByKey>>().toEqualTypeOf<never>();
    expectTypeOf<Exclude<ApiKeyValue, keyof ResponseBodyByKey>>().toEqualTypeOf<never>();
  });

  it('decodes fields absent at a version to their Kafka defaults', () => {
    const header: RequestHeader = { apiKey: ApiKey.Fetch, apiVersion: 4, correlationId: 1, clientId: null };
    const bytes = encodeRequest(header, REQUESTS.get(ApiKey.Fetch)!);
    const frame = bytes.subarray(4);
    const body = decodeRequest(header, frame, decodeRequestHeader(frame).bodyOffset) as Record<string, any>;
    expect(body.sessionId).toBe(0);
    expect(body.sessionEpoch).toBe(-1);
    expect(body.rackId).toBe('');
    expect(body.forgottenTopicsData).toEqual([]);
    expect(body.topics[0].partitions[0].currentLeaderEpoch).toBe(-1);
    expect(body.topics[0].partitions[0].logStartOffset).toBe(-1);
  });

  it('encodes an omitted field as its default', () => {
    const header: RequestHeader = { apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 1, clientId: null };
    const frame = concat(encodeResponse(header, { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5 }] }] }));
    const { body } = decodeResponse(header, frame.subarray(4)) as { body: Record<string, any> };
    expect(body.throttleTimeMs).toBe(0);
    expect(body.responses[0].partitionResponses[0]).toEqual({ index: 0, errorCode: 0, baseOffset: 5, logAppendTimeMs: -1, logStartOffset: -1 });
  });
});
