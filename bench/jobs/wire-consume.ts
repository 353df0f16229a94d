// Client job: the wire consumer. It reads one partition the way the SDK
// consumer does on the wire (CopylessFetch, or Fetch v11 against a plain
// Kafka broker, one Fetch in flight plus the next one sent as soon as the
// previous response's framing is read), but it never decodes a record: per
// whole batch it checks the framing and the CRC-32C and counts the batch, its
// records (from the header) and its bytes. It reads every response into one
// reused buffer (WireConnection), so it allocates nothing per response. What it measures is therefore the
// broker's serving and the network, not the client's decoding: next to the
// SDK consumer's figure it shows how much of a consume figure is the client.
//
// Counting rule (the same as the SDK consumer's): only whole batches the
// client received count; a partial batch at the end of a response (the broker
// cut it at maxBytes) is dropped and fetched again, as every Kafka client does.

import net from 'node:net';
import { crc32c } from '@node-rs/crc32';
import { encodeRequestChunks } from '../../client/request-frame.ts';
import { ApiKey, decodeResponse } from '../../src/protocol/index.ts';
import type { CopylessFetchResponse, CopylessJsonResponse, FetchRequest, RequestHeader } from '../../src/protocol/index.ts';
import { ATTRIBUTES_OFFSET, BATCH_HEADER_BYTES, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, batchBaseOffset, batchTotalBytes } from '../../src/record/record-batch.ts';
import { FETCH_BYTES_MAX } from '../../src/limits.ts';
import { nowMs } from './clock.ts';
import type { ConsumeJob, ConsumeJobResult, SpanEvent } from './consume-job.ts';

/** A wire consume that has not finished after this long is stuck, not slow (as CONSUME_JOB_MS_MAX). */
const WIRE_CONSUME_MS_MAX = 180_000;
const CONNECT_TIMEOUT_MS = 5_000;
const MAGIC_V2 = 2;
const SIZE_BYTES = 4;
/** Read buffer for size fields and the first bytes of a frame (Node's own socket read size). */
const SLAB_BYTES = 64 * 1024;
/** Largest response frame accepted: the broker never builds a Fetch response over FETCH_BYTES_MAX. */
const FRAME_BYTES_MAX = FETCH_BYTES_MAX + 64 * 1024;

/** What the whole batches of one partition's `records` held between two offsets. */
export interface RecordsTally {
  /** Whole batches with at least one record in [fromOffset, untilOffset). */
  batches: number;
  /** Records in [fromOffset, untilOffset) of those batches (from each header: lastOffsetDelta + 1 offsets). */
  records: number;
  /** Stored bytes of those batches, headers included. */
  bytes: number;
  /** Offset after the last whole batch (fromOffset when there was none): where the next fetch starts. */
  nextOffset: number;
}

/**
 * Walks the whole batches of `buf` (a Fetch response's records), checking
 * each one's magic and CRC-32C, without decoding a record. A partial batch at
 * the end is not counted. Throws on a bad CRC or magic: a benchmark that
 * counted corrupt bytes would measure nothing.
 */
export function tallyRecords(buf: Buffer, fromOffset: number, untilOffset: number): RecordsTally {
  const t: RecordsTally = { batches: 0, records: 0, bytes: 0, nextOffset: fromOffset };
  for (let pos = 0; buf.length - pos >= BATCH_HEADER_BYTES; ) {
    const total = batchTotalBytes(buf, pos);
    if (total < BATCH_HEADER_BYTES) throw new Error(`record batch at byte ${pos} is ${total} bytes, less than its header`);
    if (total > buf.length - pos) break;
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== MAGIC_V2) throw new Error(`record batch at byte ${pos}: magic ${magic}, expected ${MAGIC_V2}`);
    const crc = buf.readUInt32BE(pos + CRC_OFFSET);
    const computed = crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + total)) >>> 0;
    if (crc !== computed) throw new Error(`record batch at byte ${pos}: crc 0x${crc.toString(16)} but the bytes hash to 0x${computed.toString(16)}`);
    const base = batchBaseOffset(buf, pos);
    const last = base + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    const first = Math.max(base, fromOffset);
    const end = Math.min(last + 1, untilOffset);
    if (end > first) {
      t.batches++;
      t.records += end - first;
      t.bytes += total;
    }
    t.nextOffset = Math.max(t.nextOffset, last + 1);
    pos += total;
  }
  return t;
}

/**
 * One connection of the wire consumer. Requests are answered in order; each
 * response frame is read straight into one buffer that is reused for every
 * frame (grown when a larger one comes), and handed to its callback
 * synchronously: the frame is valid only during that call. The SDK cannot do
 * this (the records it hands out are views of the response), the wire
 * consumer can, because it keeps nothing: so it pays no allocation, page
 * faults or garbage collection per response, only the kernel's copy.
 */
class WireConnection {
  private readonly waiting: Array<{ header: RequestHeader; onFrame: (frame: Buffer, header: RequestHeader) => void; fail: (e: Error) => void }> = [];
  private nextCorrelationId = 0;
  /** Where the size field and the first bytes after it land; a frame's rest is read into `frame` directly. */
  private readonly slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabStart = 0;
  private slabEnd = 0;
  private frame = Buffer.allocUnsafe(SLAB_BYTES);
  /** Size of the frame being filled in `frame`, -1 while reading a size from the slab. */
  private frameSize = -1;
  private frameFilled = 0;
  private failure: Error | null = null;
  readonly socket: net.Socket;

  constructor(host: string, port: number) {
    this.socket = net.connect({
      host,
      port,
      onread: { buffer: () => this.readBuffer(), callback: (n) => this.onRead(n) },
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed by the broker')));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      this.socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Sends a request; `onFrame` gets its response frame (valid during the call only). */
  send(apiKey: number, apiVersion: number, body: unknown, onFrame: (frame: Buffer, header: RequestHeader) => void, fail: (e: Error) => void): void {
    if (this.failure) return fail(this.failure);
    const header: RequestHeader = { apiKey, apiVersion, correlationId: this.nextCorrelationId++, clientId: 'copyless-bench-wire-consumer' };
    this.waiting.push({ header, onFrame, fail });
    const chunks = encodeRequestChunks(header, body);
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  /** `send` for a response to decode and keep (the handshake). */
  request<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    return new Promise((resolve, reject) => this.send(apiKey, apiVersion, body, (frame, header) => resolve(decodeResponse(header, frame).body as T), reject));
  }

  close(): void {
    this.socket.destroy();
  }

  private readBuffer(): Buffer {
    if (this.frameSize >= 0) return this.frame.subarray(this.frameFilled, this.frameSize);
    if (this.slabStart === this.slabEnd) this.slabStart = this.slabEnd = 0;
    if (this.slab.length - this.slabEnd < SIZE_BYTES) {
      this.slab.copy(this.slab, 0, this.slabStart, this.slabEnd);
      this.slabEnd -= this.slabStart;
      this.slabStart = 0;
    }
    return this.slab.subarray(this.slabEnd);
  }

  private onRead(n: number): boolean {
    if (this.frameSize >= 0) {
      this.frameFilled += n;
      if (this.frameFilled === this.frameSize) this.dispatch();
    } else {
      this.slabEnd += n;
    }
    // Sizes, and whatever followed them in the slab: start (or finish) the next frames.
    while (this.frameSize < 0 && this.slabEnd - this.slabStart >= SIZE_BYTES) {
      const size = this.slab.readInt32BE(this.slabStart);
      if (size < 0 || size > FRAME_BYTES_MAX) {
        this.fail(new Error(`response frame of ${size} bytes (limit ${FRAME_BYTES_MAX})`));
        return false;
      }
      this.slabStart += SIZE_BYTES;
      if (this.frame.length < size) this.frame = Buffer.allocUnsafe(size);
      const take = Math.min(size, this.slabEnd - this.slabStart);
      this.slab.copy(this.frame, 0, this.slabStart, this.slabStart + take);
      this.slabStart += take;
      this.frameSize = size;
      this.frameFilled = take;
      if (take === size) this.dispatch();
    }
    return true;
  }

  private dispatch(): void {
    const frame = this.frame.subarray(0, this.frameSize);
    this.frameSize = -1;
    this.frameFilled = 0;
    const w = this.waiting.shift();
    if (w === undefined) return this.fail(new Error('a response nobody asked for'));
    if (frame.readInt32BE(0) !== w.header.correlationId) return this.fail(new Error(`response ${frame.readInt32BE(0)} out of order, expected ${w.header.correlationId}`));
    try {
      w.onFrame(frame, w.header);
    } catch (e) {
      w.fail(e as Error);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.waiting.splice(0)) w.fail(e);
    this.socket.destroy();
  }
}

async function open(job: ConsumeJob): Promise<{ connection: WireConnection; copyless: boolean }> {
  const colon = job.address.lastIndexOf(':');
  const connection = new WireConnection(job.address.slice(0, colon).replace(/^\[|\]$/g, ''), Number(job.address.slice(colon + 1)));
  await connection.connected();
  const versions = await connection.request<{ errorCode: number; apiKeys: { apiKey: number }[] }>(ApiKey.ApiVersions, 0, {});
  const copyless = versions.apiKeys.some((k) => k.apiKey === ApiKey.CopylessFetch);
  if (copyless) {
    const res = await connection.request<CopylessJsonResponse>(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode: job.fetchMode }) });
    if (res.errorCode !== 0) throw new Error(`fetch mode ${job.fetchMode}: error ${res.errorCode} ${res.errorMessage ?? ''}`);
  } else if (job.fetchMode !== undefined) {
    throw new Error(`fetch mode ${job.fetchMode} needs a copyless broker; ${job.address} speaks plain Kafka`);
  }
  return { connection, copyless };
}

function fetchRequest(job: ConsumeJob, offset: number): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: job.maxWaitMs,
    minBytes: 1,
    maxBytes: job.maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: job.topic, partitions: [{ partition: job.partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: job.maxBytesPerPartition }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** The offset after the last whole batch of `buf` (`from` when there is none): the framing walk, no CRC. */
function nextOffsetOf(buf: Buffer, from: number): number {
  let next = from;
  for (let pos = 0; buf.length - pos >= BATCH_HEADER_BYTES && batchTotalBytes(buf, pos) <= buf.length - pos; pos += batchTotalBytes(buf, pos)) {
    next = batchBaseOffset(buf, pos) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
  }
  return next;
}

/** Reads [fromOffset, untilOffset) `passes` times, CRC-checking and counting whole batches; the same result shape as the SDK consume job. */
export async function wireConsumeJob(job: ConsumeJob, emit: (e: SpanEvent) => void = () => {}): Promise<ConsumeJobResult> {
  const { connection, copyless } = await open(job);
  try {
    const sum: Record<string, number> = {};
    let records = 0;
    let bytes = 0;
    let fetches = 0;
    let passesLeft = job.passes ?? 1;
    const cpuStart = process.cpuUsage();
    const startMs = nowMs();
    emit({ span: 'start' });
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`wire consume of ${job.topic}/${job.partition} did not reach offset ${job.untilOffset} within ${WIRE_CONSUME_MS_MAX} ms`)), WIRE_CONSUME_MS_MAX);
      const done = (e?: Error) => {
        clearTimeout(guard);
        if (e) reject(e);
        else resolve();
      };
      const fetch = (offset: number) =>
        connection.send(copyless ? ApiKey.CopylessFetch : ApiKey.Fetch, copyless ? 0 : 11, fetchRequest(job, offset), (frame, header) => onResponse(offset, frame, header), done);
      const onResponse = (offset: number, frame: Buffer, header: RequestHeader) => {
        const res = decodeResponse(header, frame).body as CopylessFetchResponse;
        fetches++;
        for (const a of res.accounting ?? []) sum[a.name] = (sum[a.name] ?? 0) + a.value;
        const part = res.responses[0]?.partitions[0];
        if (part === undefined) return done(new Error(`fetch of ${job.topic}/${job.partition} answered no partition`));
        if (part.errorCode !== 0) return done(new Error(`fetch of ${job.topic}/${job.partition} at ${offset}: error ${part.errorCode}`));
        const buf = part.records ?? Buffer.alloc(0);
        // The framing first, so the next Fetch goes out before the CRC pass holds this process.
        const nextOffset = nextOffsetOf(buf, offset);
        if (nextOffset === offset && buf.length > 0) return done(new Error(`fetch at ${offset} returned ${buf.length} bytes but no whole batch: maxBytesPerPartition ${job.maxBytesPerPartition} is below one batch`));
        let more = true;
        if (nextOffset < job.untilOffset) fetch(nextOffset);
        else if (--passesLeft > 0 || nowMs() - startMs < (job.minSpanMs ?? 0)) fetch(job.fromOffset);
        else more = false;
        const t = tallyRecords(buf, offset, job.untilOffset);
        records += t.records;
        bytes += t.bytes;
        if (!more) done();
      };
      if (job.fromOffset < job.untilOffset) fetch(job.fromOffset);
      else done();
    });
    const endMs = nowMs();
    const cpu = process.cpuUsage(cpuStart);
    emit({ span: 'end' });
    return { records, bytes, fetches, startMs, endMs, cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6 }, accounting: sum };
  } finally {
    connection.close();
  }
}
