// The record format's public surface: Kafka RecordBatch v2, which is at once
// the wire format, the stored format and what a consumer decodes.

export type { RecordHeader, RecordInput, DecodedRecord } from './record.ts';
export type { CompressionName } from './compression.ts';
export {
  type BatchHeader,
  type EncodeOptions,
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD_BYTES,
  encodeRecordBatch,
  readBatchHeader,
  validateBatch,
  decodeRecordBatch,
  decodeRecords,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from './record-batch.ts';
