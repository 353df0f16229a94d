// The producer: per-partition batching with linger, bounded in-flight bytes,
// one Produce request per leader for every batch that is ready at once.
//
// A record accepted by `send` joins the open batch of its partition. A batch
// closes when it reaches `batchBytes`, when `lingerMs` has passed since its
// first record, on `flush()`, or when `send` must wait for room. Every batch
// closed in one tick goes out together (the transport groups them by leader).
//
// Memory is bounded by `maxInFlightBytes`: the estimated size of every record
// accepted and not yet acknowledged. When a record would exceed it, `send`
// closes the open batches and waits until acknowledgements free room; it
// never buffers without bound.

import { CopylessError, limitError, toCopylessError } from '../src/errors.ts';
import { PRODUCER_BATCH_BYTES_DEFAULT, PRODUCER_INFLIGHT_BYTES_DEFAULT, PRODUCER_LINGER_MS_DEFAULT } from '../src/limits.ts';
import type { RecordInput } from '../src/record/index.ts';
import type { Cluster } from './cluster.ts';
import { createDefaultPartitioner, type Partitioner } from './partitioner.ts';
import { ClusterProduceTransport } from './produce-transport.ts';

export type Acks = 0 | 1 | -1 | 'all';
export type Compression = 'none' | 'gzip';

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

/** A closed batch, ready for the wire. */
export interface ReadyBatch {
  topic: string;
  partition: number;
  records: RecordInput[];
}

/** What the producer needs from the cluster; tests substitute a fake. */
export interface ProduceTransport {
  /** The topic's partition count, auto-creating it where the broker allows. */
  partitionCount(topic: string): Promise<number>;
  /** Sends the batches (grouped by leader); one result per batch, in order: base offset (-1 for acks=0) or the error. */
  produce(batches: ReadyBatch[], o: { acks: number; ackTimeoutMs: number; compression: Compression }): Promise<(number | CopylessError)[]>;
}

const ACK_TIMEOUT_MS_DEFAULT = 30_000;
/** Bytes a record adds beyond its key, value and headers: length, attributes, deltas and counts as varints. */
const RECORD_OVERHEAD_BYTES = 24;
/** RecordBatch v2 header. */
const BATCH_OVERHEAD_BYTES = 61;

interface Portion {
  /** Index of the portion's first record within its batch. */
  indexInBatch: number;
  count: number;
  callResult: Map<number, { baseOffset: number; count: number }>;
}

interface OpenBatch extends ReadyBatch {
  bytes: number;
  portions: Portion[];
  timer: NodeJS.Timeout | null;
  done: Promise<void>;
  settle: (result: number | CopylessError) => void;
}

interface Settings {
  acks: number;
  lingerMs: number;
  batchBytes: number;
  compression: Compression;
  maxInFlightBytes: number;
  ackTimeoutMs: number;
}

export function resolveProducerOptions(o: ProducerOptions = {}): Settings {
  const acks = o.acks === 'all' || o.acks === undefined ? -1 : o.acks;
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    throw new CopylessError('INVALID_REQUIRED_ACKS', `acks must be 0, 1, -1 or 'all', got ${String(o.acks)}`, { field: 'acks' });
  }
  const compression = o.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') {
    throw new CopylessError('INVALID_CONFIG', `compression must be 'none' or 'gzip', got ${String(compression)}`, { field: 'compression' });
  }
  const s: Settings = {
    acks,
    compression,
    lingerMs: o.lingerMs ?? PRODUCER_LINGER_MS_DEFAULT,
    batchBytes: o.batchBytes ?? PRODUCER_BATCH_BYTES_DEFAULT,
    maxInFlightBytes: o.maxInFlightBytes ?? PRODUCER_INFLIGHT_BYTES_DEFAULT,
    ackTimeoutMs: o.ackTimeoutMs ?? ACK_TIMEOUT_MS_DEFAULT,
  };
  for (const field of ['lingerMs', 'batchBytes', 'maxInFlightBytes', 'ackTimeoutMs'] as const) {
    const min = field === 'lingerMs' ? 0 : 1;
    if (!Number.isInteger(s[field]) || s[field] < min) {
      throw new CopylessError('INVALID_CONFIG', `${field} must be an integer >= ${min}, got ${s[field]}`, { field });
    }
  }
  return s;
}

export class RecordAccumulator {
  private readonly s: Settings;
  private readonly transport: ProduceTransport;
  private readonly partitioner: Partitioner;
  private readonly open = new Map<string, OpenBatch>();
  private ready: OpenBatch[] = [];
  private readonly unsettled = new Set<Promise<void>>();
  private drainScheduled = false;
  private roomWaiters: (() => void)[] = [];
  private bufferedBytesNow = 0;

  constructor(transport: ProduceTransport, o: ProducerOptions = {}) {
    this.s = resolveProducerOptions(o);
    this.transport = transport;
    this.partitioner = o.partitioner ?? createDefaultPartitioner();
  }

  /** Estimated bytes accepted and not yet acknowledged (what `maxInFlightBytes` bounds). */
  get bufferedBytes(): number {
    return this.bufferedBytesNow;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    validateRecord(record);
    const { topic, messages } = record;
    if (messages.length === 0) return [];
    const partitionCount = await this.transport.partitionCount(topic);
    const callResult = new Map<number, { baseOffset: number; count: number }>();
    const batches = new Set<OpenBatch>();
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
      const partition = this.choosePartition(topic, m, key, partitionCount, i);
      const bytes = estimateRecordBytes(m, key);
      if (!this.tryReserve(bytes, `messages[${i}]`)) await this.waitForRoom(bytes);
      batches.add(this.append(topic, partition, { ...m, key }, bytes, callResult));
    }
    if (this.s.lingerMs === 0) for (const b of batches) this.close(b);
    await Promise.all([...batches].map((b) => b.done));
    return [...callResult].map(([partition, r]) => ({ topic, partition, baseOffset: r.baseOffset, count: r.count }));
  }

  /** Sends every open batch now and waits until all batches are acknowledged (or failed). */
  async flush(): Promise<void> {
    for (const b of [...this.open.values()]) this.close(b);
    await Promise.all([...this.unsettled]);
  }

  private choosePartition(topic: string, m: Message, key: Buffer | null, partitionCount: number, i: number): number {
    if (m.partition === undefined || m.partition === null) {
      return this.partitioner({ topic, partitionCount, key });
    }
    if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= partitionCount) {
      throw new CopylessError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `messages[${i}].partition is ${m.partition}, topic ${JSON.stringify(topic)} has partitions 0..${partitionCount - 1}`,
        { topic, partition: m.partition, field: `messages[${i}].partition` },
      );
    }
    return m.partition;
  }

  /** Reserves room for a record if it fits now; refuses a record that can never fit. */
  private tryReserve(bytes: number, field: string): boolean {
    if (bytes > this.s.maxInFlightBytes) {
      throw limitError('LIMIT_EXCEEDED', 'maxInFlightBytes', this.s.maxInFlightBytes, bytes, field, { field });
    }
    if (this.bufferedBytesNow + bytes > this.s.maxInFlightBytes) return false;
    this.bufferedBytesNow += bytes;
    return true;
  }

  private async waitForRoom(bytes: number): Promise<void> {
    while (this.bufferedBytesNow + bytes > this.s.maxInFlightBytes) {
      // Waiting for acknowledgements: make sure what is buffered is on its way.
      for (const b of [...this.open.values()]) this.close(b);
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.bufferedBytesNow += bytes;
  }

  private append(topic: string, partition: number, record: RecordInput, bytes: number, callResult: Portion['callResult']): OpenBatch {
    const id = `${partition}\u0000${topic}`;
    let b = this.open.get(id);
    if (b !== undefined && b.bytes + bytes > this.s.batchBytes && b.records.length > 0) {
      this.close(b);
      b = undefined;
    }
    if (b === undefined) {
      b = this.newBatch(topic, partition);
      this.open.set(id, b);
    }
    const last = b.portions[b.portions.length - 1];
    if (last !== undefined && last.callResult === callResult) last.count++;
    else b.portions.push({ indexInBatch: b.records.length, count: 1, callResult });
    b.records.push(record);
    b.bytes += bytes;
    if (b.bytes >= this.s.batchBytes) this.close(b);
    return b;
  }

  private newBatch(topic: string, partition: number): OpenBatch {
    let settle!: OpenBatch['settle'];
    const b: OpenBatch = { topic, partition, records: [], bytes: BATCH_OVERHEAD_BYTES, portions: [], timer: null, done: null!, settle: null! };
    b.done = new Promise<void>((resolve, reject) => {
      settle = (result) => {
        this.release(b.bytes - BATCH_OVERHEAD_BYTES);
        if (result instanceof CopylessError) reject(result);
        else {
          recordOffsets(b, result);
          resolve();
        }
      };
    });
    // Failures reach `send` through `done`; this copy only keeps `flush` waiting.
    const settled = b.done.catch(() => undefined);
    this.unsettled.add(settled);
    settled.then(() => this.unsettled.delete(settled));
    b.settle = settle;
    if (this.s.lingerMs > 0) b.timer = setTimeout(() => this.close(b), this.s.lingerMs);
    return b;
  }

  private close(b: OpenBatch): void {
    const id = `${b.partition}\u0000${b.topic}`;
    if (this.open.get(id) !== b) return;
    this.open.delete(id);
    if (b.timer !== null) clearTimeout(b.timer);
    this.ready.push(b);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    this.drainScheduled = false;
    const batches = this.ready;
    this.ready = [];
    if (batches.length === 0) return;
    const o = { acks: this.s.acks, ackTimeoutMs: this.s.ackTimeoutMs, compression: this.s.compression };
    this.transport.produce(batches, o).then(
      (results) => batches.forEach((b, i) => b.settle(results[i] ?? new CopylessError('UNKNOWN_SERVER_ERROR', 'no result for a batch'))),
      (e) => batches.forEach((b) => b.settle(toCopylessError(e))),
    );
  }

  private release(bytes: number): void {
    this.bufferedBytesNow -= bytes;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

function recordOffsets(b: OpenBatch, baseOffset: number): void {
  for (const p of b.portions) {
    const r = p.callResult.get(b.partition);
    const offset = baseOffset < 0 ? -1 : baseOffset + p.indexInBatch;
    if (r === undefined) p.callResult.set(b.partition, { baseOffset: offset, count: p.count });
    else {
      r.count += p.count;
      if (offset >= 0 && (r.baseOffset < 0 || offset < r.baseOffset)) r.baseOffset = offset;
    }
  }
}

function validateRecord(record: ProducerRecord): void {
  if (record === null || typeof record !== 'object') {
    throw new CopylessError('INVALID_REQUEST', 'send() takes { topic, messages }', { field: 'record' });
  }
  if (typeof record.topic !== 'string' || record.topic.length === 0) {
    throw new CopylessError('INVALID_TOPIC_EXCEPTION', 'topic must be a non-empty string', { field: 'topic' });
  }
  if (!Array.isArray(record.messages)) {
    throw new CopylessError('INVALID_REQUEST', 'messages must be an array', { field: 'messages', topic: record.topic });
  }
  record.messages.forEach((m, i) => {
    const ok = (v: unknown) => v === null || v === undefined || typeof v === 'string' || Buffer.isBuffer(v);
    if (m === null || typeof m !== 'object' || !ok(m.value) || !ok(m.key)) {
      throw new CopylessError('INVALID_RECORD', `messages[${i}] needs a value (and key) that is a string, Buffer or null`, {
        field: `messages[${i}]`,
        topic: record.topic,
      });
    }
  });
}

export function estimateRecordBytes(m: Message, key: Buffer | null): number {
  let bytes = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + byteLength(m.value);
  const h = m.headers;
  if (Array.isArray(h)) for (const x of h) bytes += 8 + Buffer.byteLength(x.key) + byteLength(x.value);
  else if (h) for (const k of Object.keys(h)) bytes += 8 + Buffer.byteLength(k) + byteLength(h[k]);
  return bytes;
}

function byteLength(v: string | Buffer | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** The public producer: a RecordAccumulator over the cluster's Produce path. */
export class Producer {
  private readonly cluster: Cluster;
  private readonly accumulator: RecordAccumulator;

  constructor(cluster: Cluster, o: ProducerOptions = {}) {
    this.cluster = cluster;
    this.accumulator = new RecordAccumulator(new ClusterProduceTransport(cluster), o);
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
