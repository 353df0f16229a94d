// What the producer takes and gives back: its options, the records a `send`
// call carries and where they went. Their own module so that the producer
// (producer.ts) and its batching (record-accumulator.ts) both import them
// without importing each other.

import type { CompressionName } from '../src/record/index.ts';
import type { Partitioner } from '../src/record/partitioner.ts';

export type Acks = 0 | 1 | -1 | 'all';
export type Compression = CompressionName;

export interface ProducerOptions {
  /** -1/'all': the leader has the batch durably in its log; 1: the leader appended it; 0: no response at all. */
  acks?: Acks;
  lingerMs?: number;
  batchBytes?: number;
  compression?: Compression;
  maxInFlightBytes?: number;
  partitioner?: Partitioner;
  /** How long the broker may take to acknowledge (ProduceRequest timeoutMs). */
  ackTimeoutMs?: number;
}

export type Headers = Record<string, string | Buffer | null> | { key: string; value: Buffer | null }[];

export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Headers;
  partition?: number;
  timestamp?: number;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
}

/** Where one `send` call's records for one partition went. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /** Offset of the first of these records; -1 with acks=0. */
  baseOffset: number;
  count: number;
}
