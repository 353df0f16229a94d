// One record inside a RecordBatch v2 (Kafka DefaultRecord.java). Layout:
//
//   length            varint   bytes of the record after this field
//   attributes        int8     unused, written 0
//   timestampDelta    varlong  record timestamp - batch baseTimestamp
//   offsetDelta       varint   record offset - batch baseOffset (0, 1, 2, ... in a batch)
//   keyLength         varint   -1 = null key
//   key               bytes
//   valueLength       varint   -1 = null value
//   value             bytes
//   headersCount      varint   must be >= 0
//   headers[]:
//     headerKeyLength   varint   must be >= 0
//     headerKey         UTF-8
//     headerValueLength varint   -1 = null value
//     headerValue       bytes
//
// Decoding returns keys and values as views of the input buffer, not copies
// (like Kafka's ByteBuffer slices): copy them if the buffer is reused.

import { CopylessError } from '../errors.ts';
import { type Cursor, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.ts';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: HeadersInput;
  timestamp?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** For a record without headers this is NO_HEADERS, one shared frozen empty array. */
  headers: RecordHeader[];
}

/** Receives each record a decoder reads, in offset order. */
export type RecordSink = (offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: RecordHeader[]) => void;

/**
 * The headers of every record that has none: shared and frozen, so decoding
 * allocates no array per record (Kafka's DefaultRecord shares EMPTY_HEADERS too).
 */
export const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[];

/** Where the records of a batch sit in time and offset; decoding adds the deltas to these. */
export interface RecordContext {
  baseOffset: number;
  baseTimestamp: number;
  /** LogAppendTime batches: every record's timestamp is the batch maxTimestamp. */
  logAppendTime: boolean;
  maxTimestamp: number;
}

/** Null length marker for keys, values and header values. */
const NULL_LENGTH = -1;
/** Smallest encoded record: seven one-byte fields (length, attributes, two deltas, key, value, header count). */
export const RECORD_BYTES_MIN = 7;

function invalid(field: string, why: string): CopylessError {
  return new CopylessError('INVALID_RECORD', `${field}: ${why}`, { field });
}

/** Key, value or header-value bytes as an encoder takes them. */
export type BytesInput = Uint8Array | string | null | undefined;
/** Headers as an encoder takes them: an object of key to value, or a list (keys may repeat). */
export type HeadersInput = Record<string, BytesInput> | { key: string; value: BytesInput }[];

/** What `byteCountOf` returns for a value that is not bytes, a string or null. */
export const NOT_BYTES = -2;

/**
 * One record to encode, measured. An encoder fills one instance per record
 * and reuses it, so encoding allocates nothing per record.
 */
export interface RecordFields {
  timestampDelta: number;
  offsetDelta: number;
  key: BytesInput;
  /** UTF-8 bytes of the key; -1 for null. */
  keyBytes: number;
  value: BytesInput;
  valueBytes: number;
  headers: HeadersInput | undefined;
  /** Encoded size of the headers field (`sizeOfHeaders`). */
  headersBytes: number;
}

// Encoding runs once per record: it builds field names only when it throws,
// allocates nothing for Buffer fields, and measures a string key or value
// once (header strings twice, sizing then writing: headers are rare on hot paths).

/** UTF-8 bytes of a key, value or header value; -1 for null, NOT_BYTES for any other type. */
export function byteCountOf(v: unknown): number {
  if (v === null || v === undefined) return NULL_LENGTH;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (v instanceof Uint8Array) return v.byteLength;
  return NOT_BYTES;
}

/** Encoded size of a length-prefixed field of `byteCount` bytes (-1: null, the length alone). */
function sizeOfBytesField(byteCount: number): number {
  return byteCount === NULL_LENGTH ? 1 : sizeOfVarint(byteCount) + byteCount;
}

/** Writes a length-prefixed field whose byte count the caller measured; returns the position after it. */
function writeBytesField(buf: Buffer, pos: number, v: BytesInput, byteCount: number): number {
  pos = writeVarint(buf, pos, byteCount);
  if (byteCount <= 0) return pos;
  if (typeof v === 'string') return pos + buf.write(v, pos, byteCount, 'utf8');
  buf.set(v as Uint8Array, pos);
  return pos + byteCount;
}

/** Bytes after the record's length varint. */
export function sizeOfRecordBody(f: RecordFields): number {
  return 1 + sizeOfVarlong(f.timestampDelta) + sizeOfVarint(f.offsetDelta) + sizeOfBytesField(f.keyBytes) + sizeOfBytesField(f.valueBytes) + f.headersBytes;
}

/** Writes one measured record (`bodyBytes` from `sizeOfRecordBody`) at `pos`; returns the position after it. */
export function writeRecord(buf: Buffer, pos: number, f: RecordFields, bodyBytes: number): number {
  pos = writeVarint(buf, pos, bodyBytes);
  buf[pos++] = 0; // attributes
  pos = writeVarlong(buf, pos, f.timestampDelta);
  pos = writeVarint(buf, pos, f.offsetDelta);
  pos = writeBytesField(buf, pos, f.key, f.keyBytes);
  pos = writeBytesField(buf, pos, f.value, f.valueBytes);
  return writeHeaders(buf, pos, f.headers);
}

/**
 * Encoded size of a headers field: the count varint, then each key and value.
 * Validates every header; `index` (the record's) only names a failing field.
 */
export function sizeOfHeaders(h: HeadersInput | undefined, index: number): number {
  if (h === undefined || h === null) return sizeOfVarint(0);
  if (Array.isArray(h)) {
    let bytes = sizeOfVarint(h.length);
    for (let i = 0; i < h.length; i++) bytes += sizeOfHeader(h[i]?.key, h[i]?.value, index, i);
    return bytes;
  }
  const keys = Object.keys(h);
  let bytes = sizeOfVarint(keys.length);
  for (let i = 0; i < keys.length; i++) bytes += sizeOfHeader(keys[i], h[keys[i]], index, i);
  return bytes;
}

function sizeOfHeader(key: unknown, value: unknown, index: number, i: number): number {
  if (typeof key !== 'string') throw invalid(`records[${index}].headers[${i}].key`, 'must be a string');
  const valueBytes = byteCountOf(value);
  if (valueBytes === NOT_BYTES) throw invalid(`records[${index}].headers[${i}].value`, 'must be a Buffer, a string or null');
  return sizeOfBytesField(Buffer.byteLength(key, 'utf8')) + sizeOfBytesField(valueBytes);
}

function writeHeaders(buf: Buffer, pos: number, h: HeadersInput | undefined): number {
  if (h === undefined || h === null) return writeVarint(buf, pos, 0);
  if (Array.isArray(h)) {
    pos = writeVarint(buf, pos, h.length);
    for (const x of h) pos = writeHeader(buf, pos, x.key, x.value);
    return pos;
  }
  const keys = Object.keys(h);
  pos = writeVarint(buf, pos, keys.length);
  for (const k of keys) pos = writeHeader(buf, pos, k, h[k]);
  return pos;
}

function writeHeader(buf: Buffer, pos: number, key: string, value: BytesInput): number {
  pos = writeBytesField(buf, pos, key, Buffer.byteLength(key, 'utf8'));
  return writeBytesField(buf, pos, value, byteCountOf(value));
}

// Decoding uses constant field names (no string building per record on this
// hot path); `recordError` prefixes the record's index when one fails.

function readBytes(buf: Buffer, c: Cursor, field: string): Buffer | null {
  const length = readVarint(buf, c, field);
  if (length === NULL_LENGTH) return null;
  if (length < 0) throw invalid(field, `length ${length} is negative`);
  if (length > c.end - c.pos) throw new CopylessError('CORRUPT_MESSAGE', `${field}: length ${length} runs past the end of its record`, { field });
  const out = buf.subarray(c.pos, c.pos + length);
  c.pos += length;
  return out;
}

function readHeaders(buf: Buffer, c: Cursor): RecordHeader[] {
  const count = readVarint(buf, c, 'headersCount');
  // Each header takes at least two bytes, which bounds a hostile count before any allocation.
  if (count < 0 || count * 2 > c.end - c.pos) throw invalid('headersCount', `${count} does not fit the record`);
  if (count === 0) return NO_HEADERS;
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const key = readBytes(buf, c, 'headerKey');
    if (key === null) throw invalid('headerKey', 'is null');
    headers.push({ key: key.toString('utf8'), value: readBytes(buf, c, 'headerValue') });
  }
  return headers;
}

/** Reads the length varint of the record at `c.pos` and checks the record fits before `c.end`. */
function readLength(buf: Buffer, c: Cursor): number {
  const length = readVarint(buf, c, 'length');
  if (length < RECORD_BYTES_MIN - 1 || length > c.end - c.pos) {
    throw new CopylessError('CORRUPT_MESSAGE', `length: ${length} does not fit the batch`, { field: 'length' });
  }
  return length;
}

/** Reads one record at `c.pos` into `sink`, advancing `c`; `rc` is scratch space for the record's own bounds. */
export function readRecord(buf: Buffer, c: Cursor, rc: Cursor, ctx: RecordContext, sink: RecordSink): void {
  const length = readLength(buf, c);
  rc.pos = c.pos + 1; // skips the unused attributes byte
  rc.end = c.pos + length;
  const timestampDelta = readVarlong(buf, rc, 'timestampDelta');
  const offsetDelta = readVarint(buf, rc, 'offsetDelta');
  const key = readBytes(buf, rc, 'key');
  const value = readBytes(buf, rc, 'value');
  const headers = readHeaders(buf, rc);
  if (rc.pos !== rc.end) throw invalid('length', `declares ${length} bytes but the fields take ${rc.pos - c.pos}`);
  c.pos = rc.end;
  const timestamp = ctx.logAppendTime ? ctx.maxTimestamp : ctx.baseTimestamp + timestampDelta;
  sink(ctx.baseOffset + offsetDelta, timestamp, key, value, headers);
}

/**
 * Walks the framing of `count` records without decoding keys, values or
 * headers: each length must fit, each offsetDelta must be its index, and the
 * records must end exactly at `c.end`. This is what the broker checks of an
 * uncompressed batch before storing it (Kafka's LogValidator walks them too).
 * Returns the largest timestampDelta (-Infinity for no records), from which
 * the batch's true maxTimestamp follows.
 */
export function skimRecords(buf: Buffer, c: Cursor, count: number): number {
  const rc: Cursor = { pos: 0, end: 0 };
  let maxTimestampDelta = -Infinity;
  for (let i = 0; i < count; i++) {
    try {
      const length = readLength(buf, c);
      rc.pos = c.pos + 1;
      rc.end = c.pos + length;
      const timestampDelta = readVarlong(buf, rc, 'timestampDelta');
      if (timestampDelta > maxTimestampDelta) maxTimestampDelta = timestampDelta;
      const offsetDelta = readVarint(buf, rc, 'offsetDelta');
      if (offsetDelta !== i) throw invalid('offsetDelta', `is ${offsetDelta}, expected ${i}`);
      c.pos += length;
    } catch (e) {
      throw recordError(e, i);
    }
  }
  if (c.pos !== c.end) throw invalid('recordsCount', `${count} records end ${c.end - c.pos} bytes before the batch does`);
  return maxTimestampDelta;
}

/** Prefixes a record decoding error with the record's index in its batch. */
export function recordError(e: unknown, index: number): unknown {
  if (!(e instanceof CopylessError)) return e;
  const field = `records[${index}].${e.details.field ?? ''}`;
  return new CopylessError(e.code, `records[${index}].${e.message}`, { ...e.details, field });
}
