// The producer's batching: per-partition batches with linger, bounded
// in-flight bytes (Kafka's RecordAccumulator). Sealed batches go to the
// ProduceSender (produce-sender.ts), which keeps each partition's batches in
// order on the wire and through retries.
//
// Records are stored in call order. `send()` calls are accepted strictly one
// after another, in the order they were made: a call that must wait (for the
// topic's partition count from Metadata, or for room under
// `maxInFlightBytes`) holds back every later call, even one whose topic is
// cached or whose records would fit, so no later call overtakes it (Kafka's
// BufferPool serves memory waiters first come, first served too). A call that
// needs nothing from the network is accepted synchronously.
//
// A record accepted by `send` joins the open batch of its partition. A batch
// closes when it reaches `batchBytes`, when `lingerMs` has passed since its
// first record, on `flush()`, or when a call must wait for room. Every batch
// closed in one tick goes to the sender together (it groups them by leader).
//
// Memory is bounded by `maxInFlightBytes`: the estimated size of every record
// accepted and not yet acknowledged. When a record would exceed it, the call
// closes the open batches and waits until acknowledgements free room; it
// never buffers without bound.

import { CopylessError, limitError, toCopylessError } from '../src/errors.ts';
import { PRODUCER_BATCH_BYTES_DEFAULT, PRODUCER_INFLIGHT_BYTES_DEFAULT, PRODUCER_LINGER_MS_DEFAULT } from '../src/limits.ts';
import { COMPRESSION_NAMES, type RecordsWriter, createBatchWriter, isCompressionName, sealRecordBatch } from '../src/record/index.ts';
import { createDefaultPartitioner, type Partitioner } from '../src/record/partitioner.ts';
import { type ProduceOutcome, ProduceSender, type ProduceTransport } from './produce-sender.ts';
import type { Compression, Headers, Message, ProducerOptions, ProducerRecord, RecordMetadata } from './producer-types.ts';
import { RETRY_DEFAULTS, type RetryOptions } from './retry.ts';

export type { ProduceOutcome, ProduceTransport, ReadyBatch } from './produce-sender.ts';

const ACK_TIMEOUT_MS_DEFAULT = 30_000;
/** Bytes a record adds beyond its key, value and headers: length, attributes, deltas and counts as varints. */
const RECORD_OVERHEAD_BYTES = 24;
/** RecordBatch v2 header. */
const BATCH_OVERHEAD_BYTES = 61;
/**
 * Batch buffers (batchBytes each) kept for reuse once their batch is
 * acknowledged. A fresh 256 KiB buffer per batch is external memory V8 only
 * reclaims with a full mark-compact, which it starts every 64 MiB of such
 * allocation: at 100 MB/s that was several full GCs a second. A few spares
 * cover the batches in flight at once; more would only hold memory.
 */
const SPARE_BUFFERS_MAX = 8;

/** Where one `send` call's records went: per partition, the first offset and the count. */
type CallResult = Map<number, { baseOffset: number; count: number }>;

/** A run of consecutive records of one `send` call inside one batch. */
interface Portion {
  /** Index of the portion's first record within its batch. */
  indexInBatch: number;
  /** Index of the portion's first record within its call's messages. */
  indexInCall: number;
  count: number;
  callResult: CallResult;
}

interface OpenBatch {
  topic: string;
  partition: number;
  /** The records, encoded as they arrive (see records-writer.ts). */
  writer: RecordsWriter;
  /** Estimated bytes (estimateRecordBytes) plus the header: what batchBytes and maxInFlightBytes count. */
  bytes: number;
  portions: Portion[];
  timer: NodeJS.Timeout | null;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: CopylessError) => void;
}

/** A `send()` call in the queue of calls, accepted record by record in call order. */
interface PendingCall {
  topic: string;
  messages: Message[];
  /** One clock read per call: records without a timestamp get the time of the call. */
  now: number;
  /** From Metadata, when it was not cached at the call. */
  partitionCount: number | undefined;
  metadataRequested: boolean;
  /** Per record, once the partition count is known: key bytes, partition and estimated size. */
  keys: (Buffer | null)[];
  partitions: Int32Array | null;
  sizes: Float64Array | null;
  /** Index of the next record to append. */
  next: number;
  callResult: CallResult;
  batches: Set<OpenBatch>;
  accepted: Promise<void>;
  accept: () => void;
  refuse: (e: unknown) => void;
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
  if (!isCompressionName(compression)) {
    throw new CopylessError('INVALID_CONFIG', `compression must be one of ${COMPRESSION_NAMES.join(', ')}, got ${String(compression)}`, { field: 'compression' });
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

// The send path runs once per record: it allocates nothing per record beyond
// what the caller passed (a string key becomes bytes for the partitioner) and
// creates no closures, named or not; each record is encoded into its batch once.

export class RecordAccumulator {
  private readonly s: Settings;
  private readonly transport: ProduceTransport;
  private readonly sender: ProduceSender;
  private readonly partitioner: Partitioner;
  /** Open batches by topic, indexed by partition. */
  private readonly open = new Map<string, (OpenBatch | undefined)[]>();
  private ready: OpenBatch[] = [];
  private readonly unsettled = new Set<Promise<void>>();
  private drainScheduled = false;
  /** `send()` calls not yet wholly accepted, in call order; only the first one appends. */
  private readonly calls: PendingCall[] = [];
  private pumping = false;
  /** The first call waits for acknowledgements to free room. */
  private waitingForRoom = false;
  private bufferedBytesNow = 0;
  /** Buffers of acknowledged batches, each batchBytes long (SPARE_BUFFERS_MAX). */
  private readonly spareBuffers: Buffer[] = [];

  constructor(transport: ProduceTransport, o: ProducerOptions = {}, retry: RetryOptions = RETRY_DEFAULTS) {
    this.s = resolveProducerOptions(o);
    this.transport = transport;
    this.sender = new ProduceSender(transport, { acks: this.s.acks, ackTimeoutMs: this.s.ackTimeoutMs, retry });
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
    const call = newCall(topic, messages);
    this.calls.push(call);
    if (this.calls.length === 1) this.pump();
    await call.accepted;
    const batches = [...call.batches];
    const outcomes = await Promise.allSettled(batches.map((b) => b.done));
    if (outcomes.some((o) => o.status === 'rejected')) throw partialFailure(call, batches, outcomes);
    return [...call.callResult].map(([partition, r]) => ({ topic, partition, baseOffset: r.baseOffset, count: r.count }));
  }

  /** Sends every open batch now and waits until every record of every earlier send() is acknowledged (or failed). */
  async flush(): Promise<void> {
    const last = this.calls[this.calls.length - 1];
    if (last !== undefined) await last.accepted.catch(() => undefined);
    this.closeAll();
    await Promise.all([...this.unsettled]);
  }

  /** Accepts the queued calls in order, as far as metadata and room allow; resumed when either arrives. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.calls.length > 0) {
        const call = this.calls[0];
        if (call.partitions === null) {
          const planned = this.plan(call);
          if (planned === 'waiting') return;
          if (planned === 'refused') continue;
        }
        if (!this.appendFrom(call)) return;
        this.calls.shift();
        if (this.s.lingerMs === 0) for (const b of call.batches) this.close(b);
        call.accept();
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Chooses every record's partition and checks every record before any is
   * accepted, so a bad one fails the call without sending the others.
   */
  private plan(call: PendingCall): 'planned' | 'waiting' | 'refused' {
    const partitionCount = call.partitionCount ?? this.transport.cachedPartitionCount(call.topic);
    if (partitionCount === undefined) {
      if (!call.metadataRequested) this.requestMetadata(call);
      return 'waiting';
    }
    const n = call.messages.length;
    const partitions = new Int32Array(n);
    const sizes = new Float64Array(n);
    try {
      for (let i = 0; i < n; i++) {
        const m = call.messages[i];
        const key = keyBytes(m.key);
        call.keys.push(key);
        partitions[i] = this.choosePartition(call.topic, m, key, partitionCount, i);
        sizes[i] = estimateRecordBytes(m, key);
        if (sizes[i] > this.s.maxInFlightBytes) {
          const field = `messages[${i}]`;
          throw limitError('LIMIT_EXCEEDED', 'maxInFlightBytes', this.s.maxInFlightBytes, sizes[i], field, { field, topic: call.topic });
        }
      }
    } catch (e) {
      this.calls.shift();
      call.refuse(e);
      return 'refused';
    }
    call.partitions = partitions;
    call.sizes = sizes;
    return 'planned';
  }

  private requestMetadata(call: PendingCall): void {
    call.metadataRequested = true;
    this.transport.partitionCount(call.topic).then(
      (count) => {
        call.partitionCount = count;
        this.pump();
      },
      (e) => {
        // The call is still first in line: nothing after it was accepted meanwhile.
        if (this.calls[0] === call) this.calls.shift();
        call.refuse(e);
        this.pump();
      },
    );
  }

  /** Appends the call's records from `next` on; false when it must wait for room first. */
  private appendFrom(call: PendingCall): boolean {
    const { topic, messages, keys, callResult } = call;
    const partitions = call.partitions!;
    const sizes = call.sizes!;
    for (let i = call.next; i < messages.length; i++) {
      const bytes = sizes[i];
      if (this.bufferedBytesNow + bytes > this.s.maxInFlightBytes) {
        call.next = i;
        this.waitingForRoom = true;
        // Waiting for acknowledgements: make sure what is buffered is on its way.
        this.closeAll();
        return false;
      }
      this.bufferedBytesNow += bytes;
      const m = messages[i];
      const b = this.append(topic, partitions[i], m, keys[i], bytes, m.timestamp ?? call.now, callResult, i);
      if (b !== null) call.batches.add(b);
    }
    call.next = messages.length;
    return true;
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

  /** Encodes the record into its partition's open batch; returns the batch when this call first joins it, else null. */
  private append(
    topic: string,
    partition: number,
    m: Message,
    key: Buffer | null,
    bytes: number,
    timestamp: number,
    callResult: CallResult,
    indexInCall: number,
  ): OpenBatch | null {
    let open = this.open.get(topic);
    if (open === undefined) this.open.set(topic, (open = []));
    let b = open[partition];
    if (b !== undefined && b.bytes + bytes > this.s.batchBytes && b.writer.recordCount > 0) {
      this.close(b);
      b = undefined;
    }
    if (b === undefined) b = open[partition] = this.newBatch(topic, partition);
    const indexInBatch = b.writer.recordCount;
    b.writer.append(key, m.value, m.headers, timestamp);
    b.bytes += bytes;
    const last = b.portions[b.portions.length - 1];
    let joined: OpenBatch | null = null;
    if (last !== undefined && last.callResult === callResult) last.count++;
    else {
      b.portions.push({ indexInBatch, indexInCall, count: 1, callResult });
      joined = b;
    }
    if (b.bytes >= this.s.batchBytes) this.close(b);
    return joined;
  }

  private newBatch(topic: string, partition: number): OpenBatch {
    const b: OpenBatch = {
      topic,
      partition,
      writer: createBatchWriter({ expectedBytes: this.s.batchBytes, buffer: this.spareBuffers.pop() }),
      bytes: BATCH_OVERHEAD_BYTES,
      portions: [],
      timer: null,
      done: null!,
      resolve: null!,
      reject: null!,
    };
    b.done = new Promise<void>((resolve, reject) => {
      b.resolve = resolve;
      b.reject = reject;
    });
    // Failures reach `send` through `done`; this copy only keeps `flush` waiting.
    const settled = b.done.catch(() => undefined);
    this.unsettled.add(settled);
    settled.then(() => this.unsettled.delete(settled));
    if (this.s.lingerMs > 0) b.timer = setTimeout(() => this.close(b), this.s.lingerMs);
    return b;
  }

  private closeAll(): void {
    for (const open of this.open.values()) for (const b of open) if (b !== undefined) this.close(b);
  }

  private close(b: OpenBatch): void {
    const open = this.open.get(b.topic);
    if (open === undefined || open[b.partition] !== b) return;
    open[b.partition] = undefined;
    if (b.timer !== null) clearTimeout(b.timer);
    this.ready.push(b);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  /** Seals every batch closed since the last drain and hands them to the sender, in the order they closed. */
  private drain(): void {
    this.drainScheduled = false;
    const closed = this.ready;
    this.ready = [];
    for (const b of closed) {
      let bytes: Buffer;
      try {
        bytes = sealRecordBatch(b.writer, { compression: this.s.compression });
      } catch (e) {
        this.settle(b, toCopylessError(e));
        continue;
      }
      const batch = { topic: b.topic, partition: b.partition, recordCount: b.writer.recordCount, bytes };
      this.sender.enqueue(batch, (outcome) => this.settle(b, outcome));
    }
  }

  private settle(b: OpenBatch, result: ProduceOutcome): void {
    if (result instanceof CopylessError) b.reject(result);
    else {
      this.keepSpare(b.writer.buffer);
      recordOffsets(b, result);
      b.resolve();
    }
    this.release(b.bytes - BATCH_OVERHEAD_BYTES);
  }

  /**
   * Keeps an acknowledged batch's buffer for the next batch. Only after
   * success: an acknowledged (or, acks=0, written) request is off the socket,
   * whereas a failed one (a timeout) may still sit in its write queue.
   */
  private keepSpare(buffer: Buffer): void {
    if (buffer.length === this.s.batchBytes && this.spareBuffers.length < SPARE_BUFFERS_MAX) this.spareBuffers.push(buffer);
  }

  private release(bytes: number): void {
    this.bufferedBytesNow -= bytes;
    if (!this.waitingForRoom) return;
    this.waitingForRoom = false;
    this.pump();
  }
}

function newCall(topic: string, messages: Message[]): PendingCall {
  const call: PendingCall = {
    topic,
    messages,
    now: Date.now(),
    partitionCount: undefined,
    metadataRequested: false,
    keys: [],
    partitions: null,
    sizes: null,
    next: 0,
    callResult: new Map(),
    batches: new Set(),
    accepted: null!,
    accept: null!,
    refuse: null!,
  };
  call.accepted = new Promise<void>((resolve, reject) => {
    call.accept = resolve;
    call.refuse = reject;
  });
  // A refused call reports through send(); flush() only waits on this.
  call.accepted.catch(() => undefined);
  return call;
}

/**
 * The error a send() rejects with when some of its batches failed: the first
 * failed record's error, with how much of the call got through. A call's
 * records of one partition are consecutive in each batch (calls are appended
 * whole, one after another), so each batch holds one portion of the call.
 */
function partialFailure(call: PendingCall, batches: OpenBatch[], outcomes: PromiseSettledResult<void>[]): CopylessError {
  let acknowledged = 0;
  let first: { index: number; error: CopylessError } | null = null;
  batches.forEach((b, i) => {
    const p = b.portions.find((x) => x.callResult === call.callResult)!;
    const o = outcomes[i];
    if (o.status === 'fulfilled') acknowledged += p.count;
    else if (first === null || p.indexInCall < first.index) first = { index: p.indexInCall, error: toCopylessError(o.reason) };
  });
  const { index, error } = first!;
  return new CopylessError(error.code, error.message, { ...error.details, acknowledged, firstFailedIndex: index });
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

function keyBytes(key: Message['key']): Buffer | null {
  if (key === undefined || key === null) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
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
  // Every message is checked before any is accepted, so a bad one fails the call without sending the others.
  for (let i = 0; i < record.messages.length; i++) validateMessage(record.messages[i], i, record.topic);
}

function validateMessage(m: Message, i: number, topic: string): void {
  if (m === null || typeof m !== 'object' || !isBytes(m.value) || !isBytes(m.key)) {
    throw new CopylessError('INVALID_RECORD', `messages[${i}] needs a value (and key) that is a string, Buffer or null`, { field: `messages[${i}]`, topic });
  }
  if (m.timestamp !== undefined && m.timestamp !== null && !Number.isSafeInteger(m.timestamp)) {
    const field = `messages[${i}].timestamp`;
    throw new CopylessError('INVALID_TIMESTAMP', `${field} must be an integer of milliseconds, got ${m.timestamp}`, { field, topic });
  }
  if (m.headers !== undefined && m.headers !== null) validateHeaders(m.headers, i, topic);
}

function validateHeaders(h: Headers, i: number, topic: string): void {
  const pairs = Array.isArray(h) ? h : Object.keys(h).map((key) => ({ key, value: h[key] }));
  for (let j = 0; j < pairs.length; j++) {
    if (typeof pairs[j]?.key !== 'string' || !isBytes(pairs[j].value)) {
      const field = `messages[${i}].headers[${j}]`;
      throw new CopylessError('INVALID_RECORD', `${field} needs a string key and a value that is a string, Buffer or null`, { field, topic });
    }
  }
}

function isBytes(v: unknown): boolean {
  return v === null || v === undefined || typeof v === 'string' || Buffer.isBuffer(v);
}

export function estimateRecordBytes(m: Message, key: Buffer | null): number {
  let bytes = RECORD_OVERHEAD_BYTES + (key === null ? 0 : key.length) + byteLength(m.value);
  const h = m.headers;
  if (h === undefined || h === null) return bytes;
  if (Array.isArray(h)) for (const x of h) bytes += 8 + Buffer.byteLength(x.key) + byteLength(x.value);
  else for (const k of Object.keys(h)) bytes += 8 + Buffer.byteLength(k) + byteLength(h[k]);
  return bytes;
}

function byteLength(v: string | Buffer | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

