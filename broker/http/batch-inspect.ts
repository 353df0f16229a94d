// The batch inspector behind GET /topics/:topic/partitions/:partition/batches:
// stored RecordBatch bytes described field by field (offsets, CRC checked
// against the bytes, compression, timestamps, producer) and their records
// with keys, values and headers as base64 (the page shows them as text or hex).
// Reading never stops at a bad batch's records: a batch whose records cannot
// be decoded (a codec copyless cannot inflate, corrupt bytes) is still
// described, with the reason; a batch whose framing is broken ends the list.

import { CopylessError, toCopylessError } from '../../src/errors.ts';
import { BATCH_HEADER_BYTES, batchTotalBytes, decodeRecordBatch, readBatchHeader } from '../../src/record/index.ts';
import { computeBatchCrc } from '../../src/record/record-batch.ts';
import { recordToJson, type JsonRecord } from './json-records.ts';

export interface InspectedBatch {
  baseOffset: number;
  lastOffset: number;
  /** Byte position of the batch in its segment's .log file. */
  filePosition: number;
  totalBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** As stored, and as the bytes hash now (CRC-32C over [attributes, end)), both 8 hex digits. */
  crc: string;
  crcComputed: string;
  crcValid: boolean;
  compression: string;
  timestampType: 'CreateTime' | 'LogAppendTime';
  transactional: boolean;
  control: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
  /** Null when not asked for or when they could not be decoded (see recordsError). */
  records: JsonRecord[] | null;
  recordsError: string | null;
}

export interface InspectResult {
  batches: InspectedBatch[];
  /** Where the next page of batches starts: after the last batch described, or null when no whole batch was read. */
  nextOffset: number | null;
  /** Why the list ended before the bytes did (a batch cut at maxBytes is not an error). */
  stopReason: string | null;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** Describe the whole batches of `bytes` (read from `filePosition` of a segment), at most `limit` of them. */
export function inspectBatches(bytes: Buffer, o: { filePosition: number; limit: number; records: boolean }): InspectResult {
  const out: InspectResult = { batches: [], nextOffset: null, stopReason: null };
  let pos = 0;
  while (out.batches.length < o.limit && bytes.length - pos >= BATCH_HEADER_BYTES) {
    const totalBytes = batchTotalBytes(bytes, pos);
    if (totalBytes < BATCH_HEADER_BYTES) {
      out.stopReason = `batch at file position ${o.filePosition + pos} claims ${totalBytes} bytes, less than a header`;
      break;
    }
    if (totalBytes > bytes.length - pos) break; // cut at maxBytes: the next request starts at it
    let batch: InspectedBatch;
    try {
      batch = describe(bytes, pos, o.filePosition + pos, o.records);
    } catch (e) {
      out.stopReason = toCopylessError(e).message;
      break;
    }
    out.batches.push(batch);
    out.nextOffset = batch.lastOffset + 1;
    pos += totalBytes;
  }
  return out;
}

function describe(bytes: Buffer, pos: number, filePosition: number, withRecords: boolean): InspectedBatch {
  const h = readBatchHeader(bytes, pos);
  const computed = computeBatchCrc(bytes, pos, h.totalBytes);
  const batch: InspectedBatch = {
    baseOffset: h.baseOffset,
    lastOffset: h.lastOffset,
    filePosition,
    totalBytes: h.totalBytes,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    magic: h.magic,
    crc: hex8(h.crc),
    crcComputed: hex8(computed),
    crcValid: computed === h.crc,
    compression: h.compression,
    timestampType: h.timestampType === 'log-append' ? 'LogAppendTime' : 'CreateTime',
    transactional: h.isTransactional,
    control: h.isControl,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    recordsCount: h.recordsCount,
    records: null,
    recordsError: null,
  };
  if (!withRecords) return batch;
  try {
    // The CRC verdict is reported above; decode anyway so a damaged batch can still be looked at.
    const { records } = decodeRecordBatch(bytes, pos, { checkCrc: false });
    batch.records = records.map((r) => recordToJson(r, 'base64'));
  } catch (e) {
    batch.recordsError = e instanceof CopylessError ? `${e.errorName}: ${e.message}` : String(e);
  }
  return batch;
}
