// The JSON form of records, shared by the HTTP and WebSocket APIs.
//
// A key, a value or a header value is written as one of:
//   null                 no bytes (Kafka's null key or tombstone value)
//   "text"               the UTF-8 bytes of the string
//   { "base64": "..." }  any bytes, base64 with the standard alphabet and padding (RFC 4648 section 4)
// So the shape says which encoding is meant and no separate flag can disagree
// with it. Records read back use the same shapes: a string when the stored bytes
// are valid UTF-8 (encoding `auto`, the default), `{ base64 }` otherwise or
// when the reader asks for encoding `base64`. Headers are a list of
// `{ key, value }` because Kafka allows a header key more than once; an object
// `{ "k": "v" }` is accepted on input as a shorthand.

import { isUtf8 } from 'node:buffer';
import { CopylessError } from '../../src/errors.ts';
import type { DecodedRecord, RecordHeader, RecordInput } from '../../src/record/index.ts';

export type JsonBytes = string | { base64: string } | null;
export type BytesEncoding = 'auto' | 'base64';
export const BYTES_ENCODINGS: readonly BytesEncoding[] = ['auto', 'base64'];

/** One record to produce, after validation: bytes ready for encodeRecordBatch. */
export interface ParsedRecord {
  input: RecordInput;
  /** The record's own partition, when it names one. */
  partition: number | undefined;
  /** The key's bytes (for the key-hash partitioner), or null. */
  keyBytes: Buffer | null;
}

export interface JsonRecord {
  offset: number;
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes;
  headers: { key: string; value: JsonBytes }[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalid(field: string, message: string): CopylessError {
  return new CopylessError('INVALID_REQUEST', `${field} ${message}`, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Bytes from their JSON form; `field` names the place in the request for the error message. */
export function bytesFromJson(v: unknown, field: string): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (isObject(v) && typeof v.base64 === 'string' && Object.keys(v).length === 1) {
    if (!BASE64.test(v.base64)) throw invalid(`${field}.base64`, 'is not base64 (standard alphabet, padded)');
    return Buffer.from(v.base64, 'base64');
  }
  throw invalid(field, 'must be null, a string, or {"base64": "..."}');
}

export function bytesToJson(b: Buffer | null, encoding: BytesEncoding): JsonBytes {
  if (b === null) return null;
  if (encoding === 'auto' && isUtf8(b)) return b.toString('utf8');
  return { base64: b.toString('base64') };
}

function headersFromJson(v: unknown, field: string): RecordHeader[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    return v.map((h, i) => {
      if (!isObject(h) || typeof h.key !== 'string') throw invalid(`${field}[${i}]`, 'must be {"key": string, "value": ...}');
      return { key: h.key, value: bytesFromJson(h.value, `${field}[${i}].value`) };
    });
  }
  if (isObject(v)) return Object.entries(v).map(([key, value]) => ({ key, value: bytesFromJson(value, `${field}.${key}`) }));
  throw invalid(field, 'must be a list of {key, value} or an object');
}

/** Validate `{ records: [...] }` items: each `{ key?, value, headers?, partition?, timestamp? }`. */
export function parseJsonRecords(v: unknown, field = 'records'): ParsedRecord[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid(field, 'must be a non-empty list of records');
  return v.map((r, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(r)) throw invalid(f, 'must be an object {key?, value, headers?, partition?, timestamp?}');
    for (const k of Object.keys(r)) {
      if (!['key', 'value', 'headers', 'partition', 'timestamp'].includes(k)) throw invalid(`${f}.${k}`, 'is not a record field');
    }
    const partition = r.partition;
    if (partition !== undefined && (!Number.isInteger(partition) || (partition as number) < 0)) {
      throw invalid(`${f}.partition`, 'must be an integer >= 0');
    }
    const timestamp = r.timestamp;
    if (timestamp !== undefined && (!Number.isSafeInteger(timestamp) || (timestamp as number) < 0)) {
      throw invalid(`${f}.timestamp`, 'must be milliseconds since the epoch, an integer >= 0');
    }
    const keyBytes = bytesFromJson(r.key, `${f}.key`);
    const input: RecordInput = {
      key: keyBytes,
      value: bytesFromJson(r.value, `${f}.value`),
      headers: headersFromJson(r.headers, `${f}.headers`),
    };
    if (timestamp !== undefined) input.timestamp = timestamp as number;
    return { input, partition: partition as number | undefined, keyBytes };
  });
}

export function recordToJson(r: DecodedRecord, encoding: BytesEncoding): JsonRecord {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key: bytesToJson(r.key, encoding),
    value: bytesToJson(r.value, encoding),
    headers: r.headers.map((h) => ({ key: h.key, value: bytesToJson(h.value, encoding) })),
  };
}
