// Produce for the HTTP and WebSocket APIs: JSON records are encoded into one
// RecordBatch v2 per partition (in user space, as any producer does), raw
// `application/vnd.kafka.recordbatch` bodies are appended exactly as sent. Both
// go through broker.produce, the same path as a Kafka Produce request.
//
// Everything that can be checked before an append is checked first (topic,
// partitions, every record, every batch's size), so a refused request appends
// nothing.

import { CopylessError, limitError } from '../../src/errors.ts';
import { HTTP_PRODUCE_OFFSETS_MAX } from '../../src/limits.ts';
import { encodeRecordBatch, type RecordInput } from '../../src/record/index.ts';
import { PartitionRotation, partitionForKey } from '../../src/record/partitioner.ts';
import { validateTopicName } from '../../src/topic-name.ts';
import type { Broker } from '../broker.ts';
import type { ParsedRecord } from './json-records.ts';

/** How long an acks=-1 produce waits for fsync when the request names no timeoutMs (Kafka's request.timeout.ms). */
export const PRODUCE_TIMEOUT_MS_DEFAULT = 30_000;

export interface ProduceOptions {
  /** 0, 1 or -1 (all). Over HTTP every produce is answered; acks=0 only means "don't wait for anything". */
  acks: number;
  timeoutMs: number;
  /** Partition for records that name none (else the key hash or the sticky keyless partition). */
  partition?: number;
}

export interface ProducedBatch {
  partition: number;
  baseOffset: number;
  lastOffset: number;
  records: number;
}

export interface ProduceOutcome {
  topic: string;
  batches: ProducedBatch[];
  /** One entry per record in request order (JSON produce of at most HTTP_PRODUCE_OFFSETS_MAX records). */
  offsets?: { partition: number; offset: number }[];
}

/** `acks` as given in a query string or a WebSocket op: 0, 1, -1 or "all". */
export function parseAcks(v: unknown): number {
  if (v === undefined || v === null) return 1;
  if (v === 'all' || v === '-1' || v === -1) return -1;
  if (v === 0 || v === '0') return 0;
  if (v === 1 || v === '1') return 1;
  throw new CopylessError('INVALID_REQUIRED_ACKS', `acks is ${JSON.stringify(v)}, must be 0, 1, -1 or "all"`, { field: 'acks' });
}

export class RecordProducer {
  private readonly rotation = new PartitionRotation();

  constructor(private readonly broker: Broker) {}

  /**
   * The partition count of a topic a producer may write to. An unknown topic is
   * created when the broker auto-creates topics (as Kafka's Metadata path does),
   * otherwise UNKNOWN_TOPIC_OR_PARTITION.
   */
  async target(topic: string): Promise<number> {
    validateTopicName(topic);
    if (!(await this.broker.ensureTopic(topic, true))) {
      throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist and autoCreateTopics is off`, { topic });
    }
    return this.broker.partitionCount(topic);
  }

  async produceJson(topic: string, records: ParsedRecord[], o: ProduceOptions): Promise<ProduceOutcome> {
    const partitions = await this.target(topic);
    const placed = this.place(topic, partitions, records, o.partition);
    const batches = [...placed.byPartition.entries()].map(([partition, inputs]) => ({ partition, bytes: encodeRecordBatch(inputs) }));
    for (const b of batches) this.checkBatchSize(topic, b.partition, b.bytes.length);
    const produced = new Map<number, ProducedBatch>();
    for (const b of batches) produced.set(b.partition, await this.append(topic, b.partition, b.bytes, o));
    const out: ProduceOutcome = { topic, batches: [...produced.values()] };
    if (records.length <= HTTP_PRODUCE_OFFSETS_MAX) {
      out.offsets = placed.order.map(({ partition, index }) => ({ partition, offset: produced.get(partition)!.baseOffset + index }));
    }
    return out;
  }

  /** A body of one or more stored-format batches, appended unchanged but for the offsets the log assigns. */
  async produceRaw(topic: string, partition: number, body: Buffer, o: ProduceOptions): Promise<ProduceOutcome> {
    const partitions = await this.target(topic);
    checkPartition(topic, partition, partitions);
    if (body.length === 0) throw new CopylessError('CORRUPT_MESSAGE', 'the request body holds no record batch', { topic, partition, field: 'body' });
    return { topic, batches: [await this.append(topic, partition, body, o)] };
  }

  private async append(topic: string, partition: number, bytes: Buffer, o: ProduceOptions): Promise<ProducedBatch> {
    const r = await this.broker.produce(topic, partition, bytes, { acks: o.acks, timeoutMs: o.timeoutMs });
    return { partition, baseOffset: r.baseOffset, lastOffset: r.lastOffset, records: r.records };
  }

  /** Records grouped by partition, and for each record its partition and its index inside that partition's batch. */
  private place(topic: string, partitions: number, records: ParsedRecord[], requestPartition: number | undefined) {
    if (requestPartition !== undefined) checkPartition(topic, requestPartition, partitions);
    let sticky: number | undefined;
    const byPartition = new Map<number, RecordInput[]>();
    const order = records.map((r, i) => {
      let partition = r.partition ?? requestPartition;
      if (partition === undefined && r.keyBytes) partition = partitionForKey(r.keyBytes, partitions);
      partition ??= sticky ??= this.rotation.take(topic, partitions);
      checkPartition(topic, partition, partitions, `records[${i}].partition`);
      let list = byPartition.get(partition);
      if (!list) byPartition.set(partition, (list = []));
      list.push(r.input);
      return { partition, index: list.length - 1 };
    });
    return { byPartition, order };
  }

  private checkBatchSize(topic: string, partition: number, bytes: number): void {
    const max = this.broker.partitionLog(topic, partition).config.messageBytesMax;
    if (bytes > max) {
      throw limitError('MESSAGE_TOO_LARGE', 'messageBytesMax', max, bytes, `the record batch for partition ${partition}`, { topic, partition });
    }
  }
}

function checkPartition(topic: string, partition: number, partitions: number, field = 'partition'): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `${field} is ${partition}, topic ${topic} has partitions 0..${partitions - 1}`, {
      topic,
      partition,
      field,
    });
  }
}
