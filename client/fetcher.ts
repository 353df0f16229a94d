// One Fetch to one partition leader, decoded: the layer a consumer (and later
// a consumer-group member) uses to read the partitions it owns. It knows
// nothing of assignment or offsets management; it turns positions into
// messages.
//
// Against copyless it sends CopylessFetch (FetchRequest v11 whose response
// carries a trailer with this fetch's zero-copy accounting); against Kafka it
// sends plain Fetch at the highest version both sides speak (v11 for Kafka
// 2.3+). Fetches go over the broker's `fetch` connection so a long-poll never
// delays produce or admin requests.

import { CopylessError } from '../src/errors.ts';
import { ApiKey } from '../src/protocol/index.ts';
import type { CopylessFetchResponse, FetchRequest } from '../src/protocol/index.ts';
import { BATCH_HEADER_BYTES, batchFailure, batchIsControl, batchLastOffset, batchTotalBytes, readRecordBatch } from '../src/record/index.ts';
import type { Cluster } from './cluster.ts';

/**
 * A record as a consumer sees it; key, value and header values are views of
 * the response. A record without headers shares one frozen empty `headers`.
 */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/** Per-fetch accounting from the CopylessFetch trailer: counter name to value (system calls, copies, ...). */
export type FetchAccounting = Record<string, number>;

export interface FetchPosition {
  topic: string;
  partition: number;
  offset: number;
  maxBytes: number;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  fetchOffset: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** Records at or after fetchOffset, in offset order; empty until `decodeMessages` (Fetcher.fetch decodes them; an eachMessage consumer decodes batch by batch instead, see decodeBatchAt). */
  messages: ConsumedMessage[];
  /** The response's `records` bytes, whole batches or not; null after an error. */
  records: Buffer | null;
  /** Offset after the last whole batch (fetchOffset when there was none). */
  nextOffset: number;
  /** Bytes of the `records` field, whole batches or not. */
  recordsBytes: number;
  /** Bytes of the whole batches at the start of `records` (what decoding reads; a partial trailing batch is not counted). */
  wholeBatchBytes: number;
  /**
   * The first batch that could not be decoded (corrupt, or inflating past
   * BATCH_INFLATED_BYTES_MAX), naming its offsets; `messages` then hold the
   * records before it and `nextOffset` is where it starts. Absent otherwise.
   */
  decodeError?: CopylessError;
}

export interface FetchResult {
  partitions: FetchedPartition[];
  /** Present when the broker is copyless (CopylessFetch). */
  accounting: FetchAccounting | undefined;
}

export interface FetcherOptions {
  maxBytes: number;
  minBytes: number;
  maxWaitMs: number;
  /** Verify each batch's CRC-32C (the Java client's check.crcs). */
  checkCrcs: boolean;
}

/** READ_UNCOMMITTED: copyless has no transactions, and aborted data is not filtered here. */
const ISOLATION_LEVEL = 0;

export class Fetcher {
  private readonly cluster: Cluster;
  private readonly o: FetcherOptions;

  constructor(cluster: Cluster, o: FetcherOptions) {
    this.cluster = cluster;
    this.o = o;
  }

  /** Sends one Fetch and decodes every record of the response. */
  async fetch(nodeId: number, positions: FetchPosition[]): Promise<FetchResult> {
    const result = await this.fetchUndecoded(nodeId, positions);
    this.decode(result);
    return result;
  }

  /**
   * Decodes the records of every partition of a `fetchUndecoded` result in
   * place (CRC checks included): the costly half of a fetch, which a consumer
   * runs after it has sent the next Fetch.
   */
  decode(result: FetchResult): void {
    for (const f of result.partitions) decodeMessages(f, this.o.checkCrcs);
  }

  /**
   * Sends one Fetch and reads only the framing of each partition's records:
   * the offsets and sizes of its batches, enough to know where the next fetch
   * starts. `messages` stay empty until `decode`.
   */
  async fetchUndecoded(nodeId: number, positions: FetchPosition[]): Promise<FetchResult> {
    // Connects (and handshakes) first: which Fetch to send depends on the broker's ApiVersions.
    const connection = await this.cluster.connectionTo(nodeId, 'fetch');
    const address = connection.address;
    const useCopylessFetch = this.cluster.supports(address, ApiKey.CopylessFetch);
    const body = this.request(positions);
    const res = await this.cluster.send<CopylessFetchResponse>(nodeId, useCopylessFetch ? ApiKey.CopylessFetch : ApiKey.Fetch, body, {
      kind: 'fetch',
      extraTimeoutMs: this.o.maxWaitMs,
    });
    if (res.errorCode !== undefined && res.errorCode !== 0) {
      throw new CopylessError(res.errorCode, `fetch from ${address} failed`);
    }
    const offsets = new Map(positions.map((p) => [`${p.partition}\u0000${p.topic}`, p.offset]));
    const partitions: FetchedPartition[] = [];
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const fetchOffset = offsets.get(`${p.partitionIndex}\u0000${t.topic}`);
        if (fetchOffset === undefined) continue;
        partitions.push(scanPartition(t.topic, p, fetchOffset));
      }
    }
    const accounting = useCopylessFetch ? Object.fromEntries((res.accounting ?? []).map((a) => [a.name, a.value])) : undefined;
    return { partitions, accounting };
  }

  private request(positions: FetchPosition[]): FetchRequest {
    const byTopic = new Map<string, FetchRequest['topics'][number]['partitions']>();
    for (const p of positions) {
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, logStartOffset: -1, partitionMaxBytes: p.maxBytes });
    }
    return {
      replicaId: -1,
      maxWaitMs: this.o.maxWaitMs,
      minBytes: this.o.minBytes,
      maxBytes: this.o.maxBytes,
      isolationLevel: ISOLATION_LEVEL,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      forgottenTopicsData: [],
      rackId: '',
    };
  }
}

type PartitionData = CopylessFetchResponse['responses'][number]['partitions'][number];

/**
 * Decodes the whole batches of one partition. Records before the fetch offset
 * (the broker returns the whole batch containing it) are skipped, control
 * batches are skipped, and a partial trailing batch (the response was cut at
 * partitionMaxBytes) is left for the next fetch.
 */
export function decodePartition(topic: string, p: PartitionData, fetchOffset: number, checkCrcs = true): FetchedPartition {
  const f = scanPartition(topic, p, fetchOffset);
  decodeMessages(f, checkCrcs);
  return f;
}

/** One partition of a response with its batches' framing read (nextOffset) and no record decoded yet. */
export function scanPartition(topic: string, p: PartitionData, fetchOffset: number): FetchedPartition {
  const buf = p.errorCode === 0 ? p.records : null;
  const partition = p.partitionIndex;
  const f: FetchedPartition = {
    topic,
    partition,
    fetchOffset,
    errorCode: p.errorCode,
    highWatermark: p.highWatermark,
    logStartOffset: p.logStartOffset ?? -1,
    messages: [],
    records: buf,
    nextOffset: fetchOffset,
    recordsBytes: p.records?.length ?? 0,
    wholeBatchBytes: 0,
  };
  if (buf === null) return f;
  let pos = 0;
  while (buf.length - pos >= BATCH_HEADER_BYTES) {
    const totalBytes = batchTotalBytes(buf, pos);
    if (totalBytes > buf.length - pos) break;
    if (totalBytes < BATCH_HEADER_BYTES) {
      throw new CopylessError('CORRUPT_MESSAGE', `${topic}/${partition}: record batch at byte ${pos} is ${totalBytes} bytes, less than its header`, { topic, partition });
    }
    f.nextOffset = Math.max(f.nextOffset, batchLastOffset(buf, pos) + 1);
    pos += totalBytes;
  }
  f.wholeBatchBytes = pos;
  return f;
}

/**
 * Decodes the records of a scanned partition into `f.messages`, from
 * fetchOffset up to nextOffset, or up to the first batch that cannot be
 * decoded: that batch is reported in `f.decodeError` and `f.nextOffset` stops
 * at it, so what precedes it is delivered and nothing after it is skipped.
 */
export function decodeMessages(f: FetchedPartition, checkCrcs: boolean): void {
  for (let pos = 0; pos >= 0; ) pos = decodeBatchAt(f, pos, checkCrcs, f.messages);
}

/**
 * Decodes the whole batch at byte `pos` of `f.records` (CRC checked unless
 * `checkCrcs` is false), appending its records at or after fetchOffset to
 * `out`; control batches and batches before fetchOffset add nothing. Returns
 * the position of the next batch, or -1 after the last whole batch or at a
 * batch that cannot be decoded (see decodeMessages). The unit
 * of lazy decoding: a consumer decodes one batch at a time as its handler
 * reaches it, so a fetch's records never all live at once.
 */
export function decodeBatchAt(f: FetchedPartition, pos: number, checkCrcs: boolean, out: ConsumedMessage[]): number {
  const buf = f.records;
  if (buf === null || buf.length - pos < BATCH_HEADER_BYTES) return -1;
  const totalBytes = batchTotalBytes(buf, pos);
  // Only whole batches (scanPartition's walk): they end where nextOffset begins.
  if (totalBytes > buf.length - pos) return -1;
  const { topic, partition, fetchOffset } = f;
  if (batchLastOffset(buf, pos) >= fetchOffset && !batchIsControl(buf, pos)) {
    const before = out.length;
    try {
      readRecordBatch(
        buf,
        pos,
        (offset, timestamp, key, value, headers) => {
          if (offset >= fetchOffset) out.push({ topic, partition, offset, timestamp, key, value, headers });
        },
        checkCrcs ? CHECK_CRC : NO_CRC,
      );
    } catch (e) {
      // Reported alone (f.decodeError), after the records before it; nextOffset stops at it so nothing after it is skipped.
      out.length = before;
      const failure = batchFailure(buf, pos, e);
      f.decodeError = new CopylessError(failure.error.code, `${topic}/${partition}: ${failure.error.message}`, { ...failure.error.details, topic, partition });
      f.nextOffset = Math.max(fetchOffset, failure.baseOffset);
      return -1;
    }
  }
  return pos + totalBytes;
}

const CHECK_CRC = Object.freeze({ checkCrc: true });
const NO_CRC = Object.freeze({ checkCrc: false });
