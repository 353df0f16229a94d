// The records section of a RecordBatch v2, written one record at a time (the
// part of Kafka's MemoryRecordsBuilder below the batch header).
//
// Each record is measured, then written once, straight to its final place:
// varints in place, key and value copied (strings UTF-8 encoded) once. The
// buffer starts with `headBytes` left blank for whoever seals the batch
// (record-batch.ts writes the 61-byte header there and computes the CRC once
// per batch). Nothing is allocated per record; the buffer grows by doubling.

import { CopylessError } from '../errors.ts';
import { type BytesInput, type HeadersInput, type RecordFields, NOT_BYTES, byteCountOf, sizeOfHeaders, sizeOfRecordBody, writeRecord } from './record.ts';
import { sizeOfVarint } from './varint.ts';

/**
 * First buffer of a writer unless told otherwise: under 4 KiB, so it comes
 * from Node's shared allocUnsafe pool, which suits a batch of a few records.
 */
const WRITER_BYTES_INITIAL = 1024;

export interface RecordsWriterOptions {
  /** Bytes left blank before the first record (the batch header). */
  headBytes: number;
  /** Bytes to allocate first (default 1 KiB). */
  initialBytes?: number;
  /** A buffer to start in instead (a spare from an earlier batch); allocated only when it is too small. */
  buffer?: Buffer;
  /**
   * Size the buffer will probably reach (a producer's batchBytes): the first
   * growth jumps straight to it instead of doubling through every size below.
   */
  expectedBytes?: number;
}

export class RecordsWriter {
  private buf: Buffer;
  private pos: number;
  private count = 0;
  private baseTimestampMs = 0;
  private maxTimestampMs = -1;
  private expectedBytes: number;
  /** The record being appended: one instance, refilled per record. */
  private readonly fields: RecordFields = {
    timestampDelta: 0,
    offsetDelta: 0,
    key: null,
    keyBytes: -1,
    value: null,
    valueBytes: -1,
    headers: undefined,
    headersBytes: 0,
  };

  constructor(o: RecordsWriterOptions) {
    this.pos = o.headBytes;
    this.buf = o.buffer !== undefined && o.buffer.length >= o.headBytes ? o.buffer : Buffer.allocUnsafe(Math.max(o.headBytes, o.initialBytes ?? WRITER_BYTES_INITIAL));
    this.expectedBytes = o.expectedBytes ?? 0;
  }

  get recordCount(): number {
    return this.count;
  }

  /** The first record's timestamp (0 before any record). */
  get baseTimestamp(): number {
    return this.baseTimestampMs;
  }

  /** The largest record timestamp (-1 before any record). */
  get maxTimestamp(): number {
    return this.maxTimestampMs;
  }

  /** Bytes written so far, head included. */
  get byteLength(): number {
    return this.pos;
  }

  /** The head and every record written: a view of the writer's buffer, valid until the next append. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** The whole buffer written into (to reuse for another batch once this one's bytes are no longer needed). */
  get buffer(): Buffer {
    return this.buf;
  }

  /**
   * Appends one record with CreateTime `timestamp` (the first record's is the
   * batch's baseTimestamp). Throws INVALID_RECORD or INVALID_TIMESTAMP naming
   * `records[i]`, i being its index in the batch, and then appends nothing.
   */
  append(key: BytesInput, value: BytesInput, headers: HeadersInput | undefined, timestamp: number): void {
    const index = this.count;
    if (!Number.isSafeInteger(timestamp)) {
      const field = `records[${index}].timestamp`;
      throw new CopylessError('INVALID_TIMESTAMP', `${field} must be an integer of milliseconds, got ${timestamp}`, { field });
    }
    const f = this.fields;
    f.timestampDelta = index === 0 ? 0 : timestamp - this.baseTimestampMs;
    f.offsetDelta = index;
    f.key = key;
    f.keyBytes = measured(key, index, 'key');
    f.value = value;
    f.valueBytes = measured(value, index, 'value');
    f.headers = headers;
    f.headersBytes = sizeOfHeaders(headers, index);
    const bodyBytes = sizeOfRecordBody(f);
    this.reserve(sizeOfVarint(bodyBytes) + bodyBytes);
    this.pos = writeRecord(this.buf, this.pos, f, bodyBytes);
    // Drop the references: a writer kept for its bytes must not pin the caller's values.
    f.key = f.value = f.headers = undefined;
    if (index === 0) this.baseTimestampMs = timestamp;
    if (timestamp > this.maxTimestampMs) this.maxTimestampMs = timestamp;
    this.count++;
  }

  private reserve(byteCount: number): void {
    if (this.buf.length - this.pos >= byteCount) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.expectedBytes, this.pos + byteCount));
    this.expectedBytes = 0;
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function measured(v: BytesInput, index: number, name: string): number {
  const bytes = byteCountOf(v);
  if (bytes === NOT_BYTES) {
    const field = `records[${index}].${name}`;
    throw new CopylessError('INVALID_RECORD', `${field}: must be a Buffer, a string or null`, { field });
  }
  return bytes;
}
