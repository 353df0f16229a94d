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
  headers?: Record<string, string | Buffer | null> | RecordHeader[];
  timestamp?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A record with its fields as bytes and its encoded size, ready to be written. */
export interface PreparedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  timestamp: number;
  /** Bytes after the length varint. */
  bodyBytes: number;
}

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

// Encoding builds field names only when it throws: this runs once per record.

function toBytes(v: Buffer | Uint8Array | string | null | undefined, index: number, name: string): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw invalid(`records[${index}].${name}`, 'must be a Buffer, a string or null');
}

function prepareHeaders(h: RecordInput['headers'], index: number): PreparedRecord['headers'] {
  if (h === undefined || h === null) return [];
  const entries: [string, Buffer | string | null][] = Array.isArray(h) ? h.map((x) => [x.key, x.value]) : Object.entries(h);
  return entries.map(([key, value], i) => {
    if (typeof key !== 'string') throw invalid(`records[${index}].headers[${i}].key`, 'must be a string');
    return { key: Buffer.from(key, 'utf8'), value: toBytes(value, index, `headers[${i}].value`) };
  });
}

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? sizeOfVarint(NULL_LENGTH) : sizeOfVarint(b.length) + b.length;
}

/**
 * Normalizes one input record and computes its encoded size. `index` is its
 * offsetDelta; `baseTimestamp` is the batch's (the first record's timestamp).
 */
export function prepareRecord(r: RecordInput, index: number, defaultTimestamp: number, baseTimestamp: number): PreparedRecord {
  if (r === null || typeof r !== 'object') throw invalid(`records[${index}]`, 'must be an object with a value');
  const timestamp = r.timestamp ?? defaultTimestamp;
  if (!Number.isSafeInteger(timestamp)) {
    const field = `records[${index}].timestamp`;
    throw new CopylessError('INVALID_TIMESTAMP', `${field} must be an integer of milliseconds, got ${timestamp}`, { field });
  }
  const key = toBytes(r.key, index, 'key');
  const value = toBytes(r.value, index, 'value');
  const headers = prepareHeaders(r.headers, index);
  let bodyBytes = 1 + sizeOfVarlong(timestamp - baseTimestamp) + sizeOfVarint(index) + sizeOfBytes(key) + sizeOfBytes(value);
  bodyBytes += sizeOfVarint(headers.length);
  for (const h of headers) bodyBytes += sizeOfBytes(h.key) + sizeOfBytes(h.value);
  return { key, value, headers, timestamp, bodyBytes };
}

/** Encoded size of a prepared record, its length varint included. */
export function recordSize(r: PreparedRecord): number {
  return sizeOfVarint(r.bodyBytes) + r.bodyBytes;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, NULL_LENGTH);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

/** Writes a prepared record at `pos` and returns the position after it. */
export function writeRecord(buf: Buffer, pos: number, r: PreparedRecord, index: number, baseTimestamp: number): number {
  pos = writeVarint(buf, pos, r.bodyBytes);
  buf[pos++] = 0;
  pos = writeVarlong(buf, pos, r.timestamp - baseTimestamp);
  pos = writeVarint(buf, pos, index);
  pos = writeBytes(buf, pos, r.key);
  pos = writeBytes(buf, pos, r.value);
  pos = writeVarint(buf, pos, r.headers.length);
  for (const h of r.headers) {
    pos = writeBytes(buf, pos, h.key);
    pos = writeBytes(buf, pos, h.value);
  }
  return pos;
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

/** Reads one record at `c.pos`, advancing it; `rc` is scratch space for the record's own bounds. */
export function readRecord(buf: Buffer, c: Cursor, rc: Cursor, ctx: RecordContext): DecodedRecord {
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
  return { offset: ctx.baseOffset + offsetDelta, timestamp, key, value, headers };
}

/**
 * Walks the framing of `count` records without decoding keys, values or
 * headers: each length must fit, each offsetDelta must be its index, and the
 * records must end exactly at `c.end`. This is what the broker checks of an
 * uncompressed batch before storing it (Kafka's LogValidator walks them too).
 */
export function skimRecords(buf: Buffer, c: Cursor, count: number): void {
  const rc: Cursor = { pos: 0, end: 0 };
  for (let i = 0; i < count; i++) {
    try {
      const length = readLength(buf, c);
      rc.pos = c.pos + 1;
      rc.end = c.pos + length;
      readVarlong(buf, rc, 'timestampDelta');
      const offsetDelta = readVarint(buf, rc, 'offsetDelta');
      if (offsetDelta !== i) throw invalid('offsetDelta', `is ${offsetDelta}, expected ${i}`);
      c.pos += length;
    } catch (e) {
      throw recordError(e, i);
    }
  }
  if (c.pos !== c.end) throw invalid('recordsCount', `${count} records end ${c.end - c.pos} bytes before the batch does`);
}

/** Prefixes a record decoding error with the record's index in its batch. */
export function recordError(e: unknown, index: number): unknown {
  if (!(e instanceof CopylessError)) return e;
  const field = `records[${index}].${e.details.field ?? ''}`;
  return new CopylessError(e.code, `records[${index}].${e.message}`, { ...e.details, field });
}
