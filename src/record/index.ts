// The record format's public surface: Kafka RecordBatch v2, which is at once
// the wire format, the stored format and what a consumer decodes.

export type { RecordHeader, RecordInput, DecodedRecord, RecordSink, BytesInput, HeadersInput } from './record.ts';
export { NO_HEADERS } from './record.ts';
export type { RecordsWriter } from './records-writer.ts';
export { type CompressionName, COMPRESSION_NAMES, isCompressionName, compressRecords, decompressRecords } from './compression.ts';
export {
  type BatchHeader,
  type EncodeOptions,
  type DecodeOptions,
  type BatchFailure,
  type ValidatedBatch,
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD_BYTES,
  batchIsControl,
  batchLastOffset,
  batchTotalBytes,
  createBatchWriter,
  encodeRecordBatch,
  sealRecordBatch,
  readRecordBatch,
  readBatchHeader,
  validateBatch,
  decodeRecordBatch,
  decodeRecords,
  decodeRecordsUntilFailure,
  batchFailure,
  settleMaxTimestamp,
  setProducerFields,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from './record-batch.ts';
