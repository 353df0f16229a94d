// Client job: the wire consumer. It reads one partition the way the SDK
// consumer does on the wire (CopylessFetch, or Fetch v11 against a plain
// Kafka broker, one Fetch in flight plus the next one sent as soon as the
// previous response's framing is read), but it never decodes a record: per
// whole batch it checks the framing and the CRC-32C and counts the batch, its
// records (from the header) and its bytes. What it measures is therefore the
// broker's serving and the network, not the client's decoding: next to the
// SDK consumer's figure it shows how much of a consume figure is the client.
//
// Counting rule (the same as the SDK consumer's): only whole batches the
// client received count; a partial batch at the end of a response (the broker
// cut it at maxBytes) is dropped and fetched again, as every Kafka client does.

import { crc32c } from '@node-rs/crc32';
import { Connection } from '../../client/connection.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import type { CopylessFetchResponse, CopylessJsonResponse, FetchRequest } from '../../src/protocol/index.ts';
import { ATTRIBUTES_OFFSET, BATCH_HEADER_BYTES, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, batchBaseOffset, batchTotalBytes } from '../../src/record/record-batch.ts';
import { nowMs } from './clock.ts';
import type { ConsumeJob, ConsumeJobResult, SpanEvent } from './consume.ts';

/** A wire consume that has not finished after this long is stuck, not slow (as CONSUME_JOB_MS_MAX). */
const WIRE_CONSUME_MS_MAX = 180_000;
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;
const MAGIC_V2 = 2;

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

interface Wire {
  connection: Connection;
  copyless: boolean;
}

async function open(job: ConsumeJob): Promise<Wire> {
  const [host, port] = [job.address.slice(0, job.address.lastIndexOf(':')), Number(job.address.slice(job.address.lastIndexOf(':') + 1))];
  const connection = new Connection({
    host: host.replace(/^\[|\]$/g, ''),
    port,
    clientId: 'copyless-bench-wire-consumer',
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 },
  });
  await connection.connect();
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

/** Reads [fromOffset, untilOffset) `passes` times, CRC-checking and counting whole batches; the same result shape as the SDK consume job. */
export async function wireConsumeJob(job: ConsumeJob, emit: (e: SpanEvent) => void = () => {}): Promise<ConsumeJobResult> {
  const w = await open(job);
  try {
    const send = (offset: number) => {
      const p = w.connection.request<CopylessFetchResponse>(w.copyless ? ApiKey.CopylessFetch : ApiKey.Fetch, w.copyless ? 0 : 11, fetchRequest(job, offset), { extraTimeoutMs: job.maxWaitMs });
      p.catch(() => undefined); // an abandoned prefetch must not be an unhandled rejection
      return { offset, response: p };
    };
    const sum: Record<string, number> = {};
    let records = 0;
    let bytes = 0;
    let fetches = 0;
    let passesLeft = job.passes ?? 1;
    const cpuStart = process.cpuUsage();
    const startMs = nowMs();
    emit({ span: 'start' });
    const deadline = startMs + WIRE_CONSUME_MS_MAX;
    let next: { offset: number; response: Promise<CopylessFetchResponse> } | null = job.fromOffset < job.untilOffset ? send(job.fromOffset) : null;
    while (next !== null) {
      if (nowMs() > deadline) throw new Error(`wire consume of ${job.topic}/${job.partition} did not reach offset ${job.untilOffset} within ${WIRE_CONSUME_MS_MAX} ms`);
      const { offset, response } = next;
      const res = await response;
      fetches++;
      for (const a of res.accounting ?? []) sum[a.name] = (sum[a.name] ?? 0) + a.value;
      const part = res.responses[0]?.partitions[0];
      if (part === undefined) throw new Error(`fetch of ${job.topic}/${job.partition} answered no partition`);
      if (part.errorCode !== 0) throw new Error(`fetch of ${job.topic}/${job.partition} at ${offset}: error ${part.errorCode}`);
      const buf = part.records ?? Buffer.alloc(0);
      // The framing first, so the next Fetch goes out before the CRC pass holds this process.
      let nextOffset = offset;
      for (let pos = 0; buf.length - pos >= BATCH_HEADER_BYTES && batchTotalBytes(buf, pos) <= buf.length - pos; pos += batchTotalBytes(buf, pos)) {
        nextOffset = batchBaseOffset(buf, pos) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
      }
      if (nextOffset === offset && buf.length > 0) throw new Error(`fetch at ${offset} returned ${buf.length} bytes but no whole batch: maxBytesPerPartition ${job.maxBytesPerPartition} is below one batch`);
      next = null;
      if (nextOffset < job.untilOffset) next = send(nextOffset);
      else if (--passesLeft > 0 || nowMs() - startMs < (job.minSpanMs ?? 0)) next = send(job.fromOffset);
      const t = tallyRecords(buf, offset, job.untilOffset);
      records += t.records;
      bytes += t.bytes;
    }
    const endMs = nowMs();
    const cpu = process.cpuUsage(cpuStart);
    emit({ span: 'end' });
    return { records, bytes, fetches, startMs, endMs, cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6 }, accounting: sum };
  } finally {
    await w.connection.close();
  }
}
