// The codec's entry points: request header v1, request and response bodies
// for every supported API and version, and the KIP-511 ApiVersions fallback.
//
// Request frame:  int32 size | int16 apiKey | int16 apiVersion | int32 correlationId | string clientId (nullable) | body
// Response frame: int32 size | int32 correlationId | body
// (header v1 / response header v0: copyless speaks no flexible version).

import { CopylessError, ErrorCode } from '../errors.ts';
import { API_NAMES, SUPPORTED_VERSIONS, ApiKey } from './api-key.ts';
import { ByteReader } from './byte-reader.ts';
import type { Chunk } from './chunk.ts';
import { ChunkWriter } from './chunk-writer.ts';
import type { ApiVersion } from './messages.ts';
import { decodeStruct, encodeStruct } from './schema.ts';
import { compiledApi, type CompiledApi } from './schemas/registry.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

function apiOrThrow(header: RequestHeader): CompiledApi {
  const api = compiledApi(header.apiKey, header.apiVersion);
  if (api) return api;
  const name = API_NAMES.get(header.apiKey);
  const range = SUPPORTED_VERSIONS.get(header.apiKey);
  const why = name === undefined
    ? `unknown API key ${header.apiKey}`
    : `${name} v${header.apiVersion} is not supported (supported: v${range!.min}-v${range!.max})`;
  throw new CopylessError('UNSUPPORTED_VERSION', why, { apiKey: header.apiKey, apiVersion: header.apiVersion });
}

function nameOf(apiKey: number): string {
  return API_NAMES.get(apiKey) ?? `Api${apiKey}`;
}

/** Request header v1. Also reads a flexible header v2 up to its clientId (all the ApiVersions fallback needs). */
export function decodeRequestHeader(frame: Buffer): { header: RequestHeader; bodyOffset: number } {
  const r = new ByteReader(frame, 0, 'INVALID_REQUEST');
  const apiKey = r.int16('header.apiKey');
  const apiVersion = r.int16('header.apiVersion');
  const correlationId = r.int32('header.correlationId');
  const clientId = r.string('header.clientId', true);
  return { header: { apiKey, apiVersion, correlationId, clientId }, bodyOffset: r.pos };
}

/**
 * The typed request body (see messages.ts). Bytes and records fields are
 * subarrays of `frame`. Bytes after the body are ignored, as Kafka does.
 */
export function decodeRequest(header: RequestHeader, frame: Buffer, bodyOffset: number): unknown {
  const api = apiOrThrow(header);
  return decodeStruct(api.request, new ByteReader(frame, bodyOffset, 'INVALID_REQUEST'));
}

/**
 * The whole response frame: int32 size + int32 correlationId + body. Small
 * fields share as few Buffers as possible; RecordsParts parts (and large
 * records Buffers) are emitted in place, unchanged and uncopied.
 */
export function encodeResponse(header: RequestHeader, body: unknown): Chunk[] {
  const api = apiOrThrow(header);
  const w = new ChunkWriter(true, 'UNKNOWN_SERVER_ERROR');
  w.reserveSize();
  w.int32(header.correlationId, 'header.correlationId');
  encodeStruct(api.response, body, w, `${nameOf(header.apiKey)}Response`);
  return w.finishChunks();
}

/** The whole request frame with its int32 size prefix (client side). */
export function encodeRequest(header: RequestHeader, body: unknown): Buffer {
  const api = apiOrThrow(header);
  const w = new ChunkWriter(false, 'INVALID_REQUEST');
  w.reserveSize();
  w.int16(header.apiKey, 'header.apiKey');
  w.int16(header.apiVersion, 'header.apiVersion');
  w.int32(header.correlationId, 'header.correlationId');
  w.string(header.clientId, 'header.clientId', true);
  encodeStruct(api.request, body, w, `${nameOf(header.apiKey)}Request`);
  return w.finishBuffer();
}

/** A response frame (the bytes after its size field) for the request `header` describes (client side). */
export function decodeResponse(header: RequestHeader, frame: Buffer): { correlationId: number; body: unknown } {
  const api = apiOrThrow(header);
  const r = new ByteReader(frame, 0, 'CORRUPT_MESSAGE');
  const correlationId = r.int32('header.correlationId');
  return { correlationId, body: decodeStruct(api.response, r) };
}

/** Every advertised API and its version range, sorted by key: the body of an ApiVersions response. */
export function advertisedApiVersions(): ApiVersion[] {
  return [...SUPPORTED_VERSIONS].map(([apiKey, { min, max }]) => ({ apiKey, minVersion: min, maxVersion: max }));
}

const CORRELATION_ID_OFFSET = 4;
let fallbackTemplate: Buffer | null = null;

/**
 * KIP-511: the answer to ApiVersions v3+ (whose flexible body is not parsed):
 * a v0-format ApiVersions response, header v0, error 35 UNSUPPORTED_VERSION
 * and the full ApiKeys list, so the client retries with a version we speak.
 */
export function encodeApiVersionsFallback(correlationId: number): Buffer {
  if (fallbackTemplate === null) {
    const header = { apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 0, clientId: null };
    const body = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: advertisedApiVersions() };
    fallbackTemplate = encodeResponse(header, body)[0] as Buffer;
  }
  const frame = Buffer.from(fallbackTemplate);
  frame.writeInt32BE(correlationId, CORRELATION_ID_OFFSET);
  return frame;
}
