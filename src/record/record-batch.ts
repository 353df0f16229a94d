// Kafka RecordBatch v2 (magic 2): the bytes a producer sends, the broker stores
// and a consumer fetches are the same bytes (Kafka DefaultRecordBatch.java).
//
//   offset size field
//        0    8 baseOffset            int64  broker patches it on append (outside the CRC)
//        8    4 batchLength           int32  bytes after this field = total - LOG_OVERHEAD_BYTES
//       12    4 partitionLeaderEpoch  int32  broker patches it on append (outside the CRC)
//       16    1 magic                 int8   2; at offset 16 in every format, so read it first
//       17    4 crc                   uint32 CRC-32C (Castagnoli) of bytes [21, end)
//       21    2 attributes            int16  bits 0-2 codec, 3 timestamp type (1 = LogAppendTime),
//                                            4 transactional, 5 control batch
//       23    4 lastOffsetDelta       int32  last record's offset - baseOffset
//       27    8 baseTimestamp         int64  first record's timestamp
//       35    8 maxTimestamp          int64  the broker sets it to the records' largest on append
//                                            (settleMaxTimestamp: in place, CRC recomputed)
//       43    8 producerId            int64  -1 when not idempotent
//       51    2 producerEpoch         int16
//       53    4 baseSequence          int32  sequence of the first record, per producer and partition
//       57    4 recordsCount          int32
//       61    … records               see record.ts; one compressed blob when the codec is not none
//
// The CRC starts at the attributes, after baseOffset, batchLength,
// partitionLeaderEpoch and magic, so the broker can assign offsets and the
// leader epoch in place without recomputing it ("to avoid the need to
// recompute the CRC when this field is assigned for every batch"). The
// fields inside the CRC change only where Kafka changes them too: the broker's
// maxTimestamp fix-up and the producer's own id/epoch/sequence stamping
// (setProducerFields), each followed by one CRC pass.

import { crc32c } from '@node-rs/crc32';
import { CopylessError, limitError } from '../errors.ts';
import { type CompressionName, compressionOf, compressRecords, CompressionId, decompressRecords, isCompressionName, COMPRESSION_NAMES } from './compression.ts';
import { readInt64, writeInt64 } from './int64.ts';
import { type DecodedRecord, type RecordContext, type RecordInput, type RecordSink, readRecord, recordError, skimRecords } from './record.ts';
import { RecordsWriter } from './records-writer.ts';
import type { Cursor } from './varint.ts';

export const BASE_OFFSET_OFFSET = 0;
const BASE_OFFSET_LENGTH = 8;
export const LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
const LENGTH_LENGTH = 4;
export const PARTITION_LEADER_EPOCH_OFFSET = LENGTH_OFFSET + LENGTH_LENGTH;
const PARTITION_LEADER_EPOCH_LENGTH = 4;
export const MAGIC_OFFSET = PARTITION_LEADER_EPOCH_OFFSET + PARTITION_LEADER_EPOCH_LENGTH;
const MAGIC_LENGTH = 1;
export const CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
const CRC_LENGTH = 4;
export const ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
const ATTRIBUTES_LENGTH = 2;
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
const LAST_OFFSET_DELTA_LENGTH = 4;
export const BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
const BASE_TIMESTAMP_LENGTH = 8;
export const MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + BASE_TIMESTAMP_LENGTH;
const MAX_TIMESTAMP_LENGTH = 8;
export const PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
const PRODUCER_ID_LENGTH = 8;
export const PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_LENGTH;
const PRODUCER_EPOCH_LENGTH = 2;
export const BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + PRODUCER_EPOCH_LENGTH;
const BASE_SEQUENCE_LENGTH = 4;
export const RECORDS_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + BASE_SEQUENCE_LENGTH;
const RECORDS_COUNT_LENGTH = 4;
export const RECORDS_OFFSET = RECORDS_COUNT_OFFSET + RECORDS_COUNT_LENGTH;

/** The fixed header of a v2 batch (Kafka RECORD_BATCH_OVERHEAD). */
export const BATCH_HEADER_BYTES = RECORDS_OFFSET;
/** baseOffset + batchLength: the bytes a batch has beyond its batchLength (Kafka LOG_OVERHEAD). */
export const LOG_OVERHEAD_BYTES = LENGTH_OFFSET + LENGTH_LENGTH;
/** Bytes a reader needs to learn a batch's offsets and size: everything through lastOffsetDelta. */
export const BATCH_OFFSETS_BYTES = LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
/** Bytes a reader needs to learn a batch's offsets, size and maxTimestamp. */
export const BATCH_TIMESTAMPS_BYTES = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
export const MAGIC_V2 = 2;

const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

/** Kafka's "no value" markers for the producer fields, the leader epoch and timestamps. */
const NO_PRODUCER_ID = -1;
const NO_PRODUCER_EPOCH = -1;
const NO_SEQUENCE = -1;
const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1;

export type { CompressionName };

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  totalBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: CompressionName;
  timestampType: 'create' | 'log-append';
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  lastOffset: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export interface EncodeOptions {
  baseOffset?: number;
  compression?: CompressionName;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
}

function corrupt(pos: number, field: string, why: string): CopylessError {
  return new CopylessError('CORRUPT_MESSAGE', `record batch at byte ${pos}: ${field} ${why}`, { field });
}

function invalid(pos: number, field: string, why: string): CopylessError {
  return new CopylessError('INVALID_RECORD', `record batch at byte ${pos}: ${field} ${why}`, { field });
}

// Field accessors read straight from the buffer (a page-cache view on the read
// path) without building a header object; callers guarantee the bytes exist.

export function batchBaseOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET_OFFSET);
}

/** Whole size of the batch at `pos`, LOG_OVERHEAD_BYTES included. */
export function batchTotalBytes(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD_BYTES;
}

export function batchLastOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
}

/** True for a control batch (a transaction marker): consumers skip it. */
export function batchIsControl(buf: Buffer, pos: number): boolean {
  return (buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & CONTROL_BIT) !== 0;
}

export function batchMaxTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
}

/** CRC-32C of `[pos + 21, pos + totalBytes)`, the range the batch's crc field covers. */
export function computeBatchCrc(buf: Buffer, pos: number, totalBytes: number): number {
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + totalBytes)) >>> 0;
}

/** Reads the 61-byte header at `pos`; fields only, no checks beyond "the bytes are there". */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (buf.length - pos < BATCH_HEADER_BYTES) {
    throw corrupt(pos, 'header', `has ${Math.max(0, buf.length - pos)} bytes, a v2 header needs ${BATCH_HEADER_BYTES}`);
  }
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const compression = compressionOf(attributes);
  if (compression === null) throw corrupt(pos, 'attributes', `name codec id ${attributes & 7}, which no Kafka codec uses`);
  const baseOffset = batchBaseOffset(buf, pos);
  const batchLength = buf.readInt32BE(pos + LENGTH_OFFSET);
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  return {
    baseOffset,
    batchLength,
    totalBytes: batchLength + LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes,
    compression,
    timestampType: attributes & TIMESTAMP_TYPE_BIT ? 'log-append' : 'create',
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    lastOffsetDelta,
    lastOffset: baseOffset + lastOffsetDelta,
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

/**
 * Checks the framing every reader of a batch relies on: a whole header, magic
 * 2, a batchLength that covers the header and fits in `buf`, and (unless
 * `checkCrc` is false: a reader that opted out) the CRC. Returns the header.
 */
function checkFraming(buf: Buffer, pos: number, batchBytesMax: number, checkCrc = true): BatchHeader {
  if (buf.length - pos < BATCH_HEADER_BYTES) {
    throw corrupt(pos, 'header', `has ${Math.max(0, buf.length - pos)} bytes, a v2 header needs ${BATCH_HEADER_BYTES}`);
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== MAGIC_V2) {
    if (magic >= 0 && magic < MAGIC_V2) {
      throw new CopylessError('UNSUPPORTED_FOR_MESSAGE_FORMAT', `record batch at byte ${pos}: magic ${magic} message sets are not supported; copyless stores RecordBatch v2 (magic 2) only`, { field: 'magic' });
    }
    throw corrupt(pos, 'magic', `is ${magic}, expected ${MAGIC_V2}`);
  }
  const totalBytes = batchTotalBytes(buf, pos);
  if (totalBytes < BATCH_HEADER_BYTES) throw corrupt(pos, 'batchLength', `is ${totalBytes - LOG_OVERHEAD_BYTES}, less than the header`);
  if (totalBytes > batchBytesMax) throw limitError('MESSAGE_TOO_LARGE', 'messageBytesMax', batchBytesMax, totalBytes, `record batch at byte ${pos}`, { field: 'batchLength' });
  if (totalBytes > buf.length - pos) throw corrupt(pos, 'batchLength', `says ${totalBytes} bytes but only ${buf.length - pos} follow`);
  const header = readBatchHeader(buf, pos);
  if (!checkCrc) return header;
  const computed = computeBatchCrc(buf, pos, totalBytes);
  if (computed !== header.crc) throw corrupt(pos, 'crc', `is 0x${header.crc.toString(16)} but the bytes hash to 0x${computed.toString(16)}`);
  return header;
}

/** A producer's batch as validateBatch found it. */
export interface ValidatedBatch extends BatchHeader {
  /** The records' own largest timestamp when validation walked them (uncompressed batches), else null. */
  recordsMaxTimestamp: number | null;
}

/**
 * Everything the broker checks of a producer's batch before storing it: the
 * framing (magic, sizes, CRC), `totalBytes <= batchBytesMax` (the
 * `messageBytesMax` option), `lastOffsetDelta + 1 == recordsCount > 0`, no
 * control batch, a sequence for an idempotent producer and, for an
 * uncompressed batch, the record framing. Compressed batches are not inflated.
 */
export function validateBatch(buf: Buffer, pos: number, o: { batchBytesMax: number }): ValidatedBatch {
  const h = checkFraming(buf, pos, o.batchBytesMax);
  if (h.recordsCount <= 0) throw invalid(pos, 'recordsCount', `is ${h.recordsCount}; a batch holds at least one record`);
  if (h.lastOffsetDelta + 1 !== h.recordsCount) throw invalid(pos, 'lastOffsetDelta', `is ${h.lastOffsetDelta} but recordsCount is ${h.recordsCount}`);
  if (h.isControl) throw invalid(pos, 'attributes', 'mark a control batch, which only the broker may write');
  if (h.producerId >= 0 && h.baseSequence < 0) throw invalid(pos, 'baseSequence', `is ${h.baseSequence} for producerId ${h.producerId}`);
  let recordsMaxTimestamp: number | null = null;
  if (h.compression === 'none') {
    // Each record takes at least RECORD_BYTES_MIN, so a huge count fails here before any walking.
    recordsMaxTimestamp = h.baseTimestamp + skimRecords(buf, { pos: pos + RECORDS_OFFSET, end: pos + h.totalBytes }, h.recordsCount);
  }
  return { ...h, recordsMaxTimestamp };
}

/**
 * Kafka LogValidator's maxTimestamp fix-up: a CreateTime batch's header
 * maxTimestamp becomes its records' largest timestamp, set in place with the
 * CRC recomputed; record bytes never change. An uncompressed batch is fixed
 * whenever the two differ (validation already walked its records); a
 * compressed one only when the producer sent NO_TIMESTAMP (-1), as older
 * clients do, because finding the records' timestamps means inflating it.
 * Returns the batch's maxTimestamp as stored.
 */
export function settleMaxTimestamp(buf: Buffer, pos: number, v: ValidatedBatch, o: { inflatedBytesMax?: number } = {}): number {
  if (v.timestampType === 'log-append') return v.maxTimestamp;
  let actual = v.recordsMaxTimestamp;
  if (actual === null && v.maxTimestamp === NO_TIMESTAMP) {
    const plain = decompressRecords(v.compression, buf.subarray(pos + RECORDS_OFFSET, pos + v.totalBytes), o.inflatedBytesMax);
    actual = v.baseTimestamp + skimRecords(plain, { pos: 0, end: plain.length }, v.recordsCount);
  }
  if (actual === null || actual === v.maxTimestamp) return v.maxTimestamp;
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, actual);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, v.totalBytes), pos + CRC_OFFSET);
  return actual;
}

/**
 * Stamps an idempotent producer's id, epoch and base sequence into a sealed
 * batch (they sit inside the CRC, so it is recomputed: one pass over the
 * batch). A producer seals a batch before it knows its sequence; this is how
 * it assigns one, and re-assigns one after an epoch bump, without re-encoding.
 */
export function setProducerFields(buf: Buffer, pos: number, o: { producerId: number; producerEpoch: number; baseSequence: number }): void {
  writeInt64(buf, pos + PRODUCER_ID_OFFSET, o.producerId);
  buf.writeInt16BE(o.producerEpoch, pos + PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(o.baseSequence, pos + BASE_SEQUENCE_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, batchTotalBytes(buf, pos)), pos + CRC_OFFSET);
}

/** Patches baseOffset in place (outside the CRC: the batch stays valid). */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, baseOffset);
}

/** Patches partitionLeaderEpoch in place (outside the CRC: the batch stays valid). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/** Creates a writer for the records of one batch; `sealRecordBatch` turns it into the batch. */
export function createBatchWriter(o: { expectedBytes?: number; buffer?: Buffer } = {}): RecordsWriter {
  return new RecordsWriter({ headBytes: BATCH_HEADER_BYTES, expectedBytes: o.expectedBytes, buffer: o.buffer });
}

/**
 * The finished batch of a writer's records: compressed if asked, the header
 * filled in, the CRC computed once. Uncompressed, it is a view of the
 * writer's buffer (no copy), so the writer must not be appended to afterwards.
 */
export function sealRecordBatch(w: RecordsWriter, o: EncodeOptions = {}): Buffer {
  if (w.recordCount === 0) {
    throw new CopylessError('INVALID_RECORD', 'records must be a non-empty array; a batch holds at least one record', { field: 'records' });
  }
  const compression = o.compression ?? 'none';
  if (!isCompressionName(compression)) {
    throw new CopylessError('UNSUPPORTED_COMPRESSION_TYPE', `compression ${String(compression)}: Kafka's codecs are ${COMPRESSION_NAMES.join(', ')}`, { field: 'compression' });
  }
  let out = w.bytes();
  if (compression !== 'none') {
    const blob = compressRecords(compression, out.subarray(BATCH_HEADER_BYTES));
    out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + blob.length);
    blob.copy(out, BATCH_HEADER_BYTES);
  }
  writeInt64(out, BASE_OFFSET_OFFSET, o.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, LENGTH_OFFSET);
  out.writeInt32BE(o.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(MAGIC_V2, MAGIC_OFFSET);
  out.writeInt16BE(CompressionId[compression], ATTRIBUTES_OFFSET);
  out.writeInt32BE(w.recordCount - 1, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(out, BASE_TIMESTAMP_OFFSET, w.baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP_OFFSET, w.maxTimestamp);
  writeInt64(out, PRODUCER_ID_OFFSET, o.producerId ?? NO_PRODUCER_ID);
  out.writeInt16BE(o.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(o.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(w.recordCount, RECORDS_COUNT_OFFSET);
  out.writeUInt32BE(computeBatchCrc(out, 0, out.length), CRC_OFFSET);
  return out;
}

/**
 * Encodes records into one v2 batch with CreateTime timestamps. A record
 * without a timestamp gets the time of the call; baseTimestamp is the first
 * record's. Unset producer fields get Kafka's "none" values (-1).
 */
export function encodeRecordBatch(records: RecordInput[], o: EncodeOptions = {}): Buffer {
  if (!Array.isArray(records) || records.length === 0) {
    throw new CopylessError('INVALID_RECORD', 'records must be a non-empty array; a batch holds at least one record', { field: 'records' });
  }
  const now = Date.now();
  const w = createBatchWriter();
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === null || typeof r !== 'object') {
      throw new CopylessError('INVALID_RECORD', `records[${i}]: must be an object with a value`, { field: `records[${i}]` });
    }
    w.append(r.key, r.value, r.headers, r.timestamp ?? now);
  }
  return sealRecordBatch(w, o);
}

export interface DecodeOptions {
  /**
   * Verify each batch's CRC-32C (default true, like the Java client's
   * check.crcs): it catches bytes corrupted on disk or on the way. Turning it
   * off saves one pass over the bytes (about 6 GB/s with the hardware CRC).
   */
  checkCrc?: boolean;
}

/** Decodes the records section of a checked batch, handing each record to `sink`. */
function decodeBody(buf: Buffer, pos: number, h: BatchHeader, sink: RecordSink): void {
  const section = buf.subarray(pos + RECORDS_OFFSET, pos + h.totalBytes);
  const plain = decompressRecords(h.compression, section);
  const ctx: RecordContext = {
    baseOffset: h.baseOffset,
    baseTimestamp: h.baseTimestamp,
    logAppendTime: h.timestampType === 'log-append',
    maxTimestamp: h.maxTimestamp,
  };
  const c: Cursor = { pos: 0, end: plain.length };
  const rc: Cursor = { pos: 0, end: 0 };
  // No preallocation by recordsCount: it is untrusted until the records are read.
  for (let i = 0; i < h.recordsCount; i++) {
    if (c.pos >= c.end) throw corrupt(pos, 'recordsCount', `is ${h.recordsCount} but the records end after ${i}`);
    try {
      readRecord(plain, c, rc, ctx, sink);
    } catch (e) {
      throw recordError(e, i);
    }
  }
  if (c.pos !== c.end) throw corrupt(pos, 'records', `leave ${c.end - c.pos} bytes after recordsCount=${h.recordsCount} records`);
}

/**
 * Reads the batch at `pos`: checks its framing (and CRC unless told not to),
 * inflates it (any Kafka codec), hands each record to `sink` in order, and returns the header.
 * Keys and values are views of `buf` (or of the inflated section).
 */
export function readRecordBatch(buf: Buffer, pos: number, sink: RecordSink, o: DecodeOptions = {}): BatchHeader {
  const header = checkFraming(buf, pos, Infinity, o.checkCrc ?? true);
  decodeBody(buf, pos, header, sink);
  return header;
}

/** `readRecordBatch` collecting the records. */
export function decodeRecordBatch(buf: Buffer, pos = 0, o: DecodeOptions = {}): { header: BatchHeader; records: DecodedRecord[] } {
  const records: DecodedRecord[] = [];
  const header = readRecordBatch(buf, pos, (offset, timestamp, key, value, headers) => records.push({ offset, timestamp, key, value, headers }), o);
  return { header, records };
}

/** A batch a reader could not decode (corrupt, or inflating past its bound), named by its offsets. */
export interface BatchFailure {
  baseOffset: number;
  lastOffset: number;
  /** The decoder's error, its message prefixed with the batch's offsets and `details.offset` = baseOffset. */
  error: CopylessError;
}

/** The failure of the batch at `pos`, for a reader to report in place of its records. */
export function batchFailure(buf: Buffer, pos: number, e: unknown): BatchFailure {
  if (!(e instanceof CopylessError)) throw e;
  const baseOffset = batchBaseOffset(buf, pos);
  const lastOffset = batchLastOffset(buf, pos);
  const error = new CopylessError(e.code, `record batch at offsets ${baseOffset}..${lastOffset} cannot be decoded: ${e.message}`, { ...e.details, offset: baseOffset });
  return { baseOffset, lastOffset, error };
}

/**
 * Decodes the whole batches of a fetched `records` blob up to the first one
 * that cannot be decoded: its records are returned with that batch's failure
 * (or null), so a reader delivers everything before a bad batch and then
 * reports that batch alone. A partial trailing batch (the broker cut the
 * response at maxBytes) is dropped, as Kafka clients do; control batches
 * (transaction markers) are skipped.
 */
export function decodeRecordsUntilFailure(buf: Buffer, o: DecodeOptions = {}): { records: DecodedRecord[]; failure: BatchFailure | null } {
  const records: DecodedRecord[] = [];
  const sink: RecordSink = (offset, timestamp, key, value, headers) => records.push({ offset, timestamp, key, value, headers });
  let pos = 0;
  while (buf.length - pos >= BATCH_HEADER_BYTES) {
    const totalBytes = batchTotalBytes(buf, pos);
    if (totalBytes > buf.length - pos) break;
    if (!batchIsControl(buf, pos)) {
      const before = records.length;
      try {
        readRecordBatch(buf, pos, sink, o);
      } catch (e) {
        records.length = before;
        return { records, failure: batchFailure(buf, pos, e) };
      }
    }
    pos += totalBytes;
  }
  return { records, failure: null };
}

/** `decodeRecordsUntilFailure` that throws the failure of the first batch it cannot decode. */
export function decodeRecords(buf: Buffer, o: DecodeOptions = {}): DecodedRecord[] {
  const { records, failure } = decodeRecordsUntilFailure(buf, o);
  if (failure) throw failure.error;
  return records;
}
