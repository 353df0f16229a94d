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
import { decodeRecordBatch, readBatchHeader, BATCH_HEADER_BYTES } from '../src/record/index.ts';
import type { Cluster } from './cluster.ts';

/** A record as a consumer sees it; key, value and header values are views of the response. */
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
  /** Records at or after fetchOffset, in offset order. */
  messages: ConsumedMessage[];
  /** Offset after the last whole batch (fetchOffset when there was none). */
  nextOffset: number;
  /** Bytes of the `records` field, whole batches or not. */
  recordsBytes: number;
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

  async fetch(nodeId: number, positions: FetchPosition[]): Promise<FetchResult> {
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
        partitions.push(decodePartition(t.topic, p, fetchOffset));
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
export function decodePartition(topic: string, p: PartitionData, fetchOffset: number): FetchedPartition {
  const out: FetchedPartition = {
    topic,
    partition: p.partitionIndex,
    fetchOffset,
    errorCode: p.errorCode,
    highWatermark: p.highWatermark,
    logStartOffset: p.logStartOffset ?? -1,
    messages: [],
    nextOffset: fetchOffset,
    recordsBytes: p.records?.length ?? 0,
  };
  const buf = p.records;
  if (p.errorCode !== 0 || buf === null) return out;
  let pos = 0;
  while (buf.length - pos >= BATCH_HEADER_BYTES) {
    const header = readBatchHeader(buf, pos);
    if (header.totalBytes > buf.length - pos) break;
    if (header.lastOffset >= fetchOffset && !header.isControl) {
      for (const r of decodeRecordBatch(buf, pos).records) {
        if (r.offset < fetchOffset) continue;
        out.messages.push({ topic, partition: p.partitionIndex, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });
      }
    }
    out.nextOffset = Math.max(out.nextOffset, header.lastOffset + 1);
    pos += header.totalBytes;
  }
  return out;
}
