// A fetch as the broker core sees it, whatever the transport: which
// partitions from which offsets, and the log slices it found. The core
// (broker.ts) produces a FetchResult; fetch-serving.ts and the adapters turn
// it into wire parts. Its own module so that neither imports the other.

import type { LogSlice } from '../src/storage/log.ts';

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  /** Largest slice for this partition (Kafka partition_max_bytes). */
  maxBytes: number;
}

export interface FetchRequestSpec {
  partitions: FetchPartitionRequest[];
  maxWaitMs: number;
  minBytes: number;
  /** Largest total response (Kafka max_bytes); the first partition with data always gets one whole batch (KIP-74). */
  maxBytes: number;
}

export interface FetchPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  slice: LogSlice | null;
}

export interface FetchResult {
  partitions: FetchPartitionResult[];
  bytes: number;
  /** Drop the segment references the slices hold. Idempotent. */
  release(): void;
}
