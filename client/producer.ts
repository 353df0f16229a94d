// The public producer: `send` records and they are batched per partition,
// sent to each partition's leader and acknowledged (record-accumulator.ts
// batches, produce-transport.ts sends). A record accepted by `send` joins the
// open batch of its partition; memory is bounded by `maxInFlightBytes`.

import type { CompressionName } from '../src/record/index.ts';
import type { Cluster } from './cluster.ts';
import type { Partitioner } from './partitioner.ts';
import { ClusterProduceTransport } from './produce-transport.ts';
import { RecordAccumulator } from './record-accumulator.ts';

export { type ProduceTransport, type ReadyBatch, RecordAccumulator, estimateRecordBytes, resolveProducerOptions } from './record-accumulator.ts';

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

/** The public producer: a RecordAccumulator over the cluster's Produce path. */
export class Producer {
  private readonly cluster: Cluster;
  private readonly accumulator: RecordAccumulator;

  constructor(cluster: Cluster, o: ProducerOptions = {}) {
    this.cluster = cluster;
    this.accumulator = new RecordAccumulator(new ClusterProduceTransport(cluster), o, cluster.o.retry);
  }

  /** Connects to a bootstrap broker and loads the broker list (send() also connects on demand). */
  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  /** Resolves once every record is acknowledged (acks=0: written to the socket). */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.accumulator.send(record);
  }

  /** Several topics at once (kafkajs `sendBatch`). */
  async sendBatch(o: { topicMessages: ProducerRecord[] }): Promise<RecordMetadata[]> {
    const all = await Promise.all(o.topicMessages.map((r) => this.accumulator.send(r)));
    return all.flat();
  }

  /** Estimated bytes accepted and not yet acknowledged. */
  get bufferedBytes(): number {
    return this.accumulator.bufferedBytes;
  }

  flush(): Promise<void> {
    return this.accumulator.flush();
  }

  /** Sends what is buffered, waits for it, then closes the connections. */
  async disconnect(): Promise<void> {
    try {
      await this.accumulator.flush();
    } finally {
      await this.cluster.disconnect();
    }
  }
}
