// A consumer's positions: for each assigned partition, the next offset to
// read (or an 'earliest'/'latest' still to be resolved), the latest end known
// (high watermark), how many bytes to fetch of it, and an epoch that seek and
// assign bump so a fetch that raced with them is recognised and dropped.
//
// Offsets are resolved with ListOffsets to each partition's leader. A
// position out of the log's range (an offset past the end, or one retention
// deleted) is reset to the log's start or end as autoOffsetReset says; with
// 'none' the consumer ends its run with the typed OFFSET_OUT_OF_RANGE error
// built here, naming the position and the log's range.

import { CopylessError } from '../src/errors.ts';
import { ApiKey } from '../src/protocol/index.ts';
import type { ListOffsetsResponse } from '../src/protocol/index.ts';
import type { Cluster } from './cluster.ts';
import { kafkaError } from './kafka-error.ts';
import type { ConsumerSettings } from './consumer-options.ts';
import type { FetchedPartition } from './fetcher.ts';
import type { OffsetToCommit } from './group/group-member.ts';

export type OffsetSpec = number | 'earliest' | 'latest';

/** One partition to read, or (without `partition`) every partition of the topic. */
export interface AssignmentSpec {
  topic: string;
  partition?: number;
  /** Default 'latest'. */
  offset?: OffsetSpec;
}

export interface PartitionPosition {
  topic: string;
  partition: number;
  /** Next offset to read; null while an 'earliest'/'latest' spec is unresolved. */
  offset: number | null;
  /** High watermark from the latest fetch or offset lookup; null before either. */
  highWatermark: number | null;
}

export interface Position extends PartitionPosition {
  reset: 'earliest' | 'latest' | null;
  /** Bumped by seek/assign so a fetch that raced with them is ignored. */
  epoch: number;
  maxBytes: number;
}

/** What positions need of the cluster: topic metadata, partition leaders, and ListOffsets requests with retries. */
export type PositionsCluster = Pick<Cluster, 'topicMetadata' | 'leaderOf' | 'retry' | 'send'>;

const EARLIEST_TIMESTAMP = -2;
const LATEST_TIMESTAMP = -1;

export class Positions {
  private readonly cluster: PositionsCluster;
  private readonly s: ConsumerSettings;
  private readonly byPartition = new Map<string, Position>();

  constructor(cluster: PositionsCluster, s: ConsumerSettings) {
    this.cluster = cluster;
    this.s = s;
  }

  get(topic: string, partition: number): Position | undefined {
    return this.byPartition.get(key(topic, partition));
  }

  /** True while `p` is its partition's position: not unassigned, nor replaced by a later assign. */
  holds(p: Position): boolean {
    return this.byPartition.get(key(p.topic, p.partition)) === p;
  }

  all(): Position[] {
    return [...this.byPartition.values()];
  }

  /** Replaces the assignment; resolves 'earliest'/'latest' and the current end of every partition. */
  async assign(specs: AssignmentSpec[]): Promise<void> {
    if (!Array.isArray(specs)) throw new CopylessError('INVALID_REQUEST', 'assign() takes an array of { topic, partition?, offset? }', { field: 'assign' });
    const topics = [...new Set(specs.map((s) => s.topic))];
    const metadata = await this.cluster.topicMetadata(topics, this.s.allowAutoTopicCreation);
    const next = new Map<string, Position>();
    for (const spec of specs) {
      const t = metadata[topics.indexOf(spec.topic)];
      const partitions = spec.partition === undefined ? t.partitions.map((p) => p.partition) : [spec.partition];
      for (const partition of partitions) {
        if (!t.partitions.some((p) => p.partition === partition)) {
          throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(spec.topic)} has no partition ${partition}`, {
            topic: spec.topic,
            partition,
          });
        }
        const position: Position = { topic: spec.topic, partition, offset: null, highWatermark: null, reset: null, epoch: 0, maxBytes: this.s.maxBytesPerPartition };
        applyOffset(position, spec.offset ?? 'latest', `offset of ${spec.topic}/${partition}`);
        next.set(key(spec.topic, partition), position);
      }
    }
    for (const [k, p] of next) p.epoch = (this.byPartition.get(k)?.epoch ?? 0) + 1;
    this.byPartition.clear();
    for (const [k, p] of next) this.byPartition.set(k, p);
    await this.resolve(true);
  }

  /** Moves one assigned partition to an offset; takes effect at the next fetch. */
  seek(o: { topic: string; partition: number; offset: OffsetSpec }): void {
    const p = this.get(o.topic, o.partition);
    if (p === undefined) {
      throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `seek: ${o.topic}/${o.partition} is not assigned to this consumer`, {
        topic: o.topic,
        partition: o.partition,
      });
    }
    applyOffset(p, o.offset, `seek offset of ${o.topic}/${o.partition}`);
    p.epoch++;
  }

  clear(): void {
    this.byPartition.clear();
  }

  snapshot(): PartitionPosition[] {
    return this.all().map(({ topic, partition, offset, highWatermark }) => ({ topic, partition, offset, highWatermark }));
  }

  /** True when every position has been read up to its latest known end (high watermark). */
  allAtEnd(): boolean {
    for (const p of this.byPartition.values()) {
      if (p.offset === null || p.highWatermark === null || p.offset < p.highWatermark) return false;
    }
    return true;
  }

  /** Processed positions: the next offset to read, for each partition whose position is known. */
  processed(): OffsetToCommit[] {
    return this.all()
      .filter((p) => p.offset !== null)
      .map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset! }));
  }

  topics(): string[] {
    return [...new Set(this.all().map((p) => p.topic))];
  }

  /** The leader of every position with an offset to fetch from; throws (retriable) where metadata lacks a leader. */
  leaders(): Set<number> {
    const out = new Set<number>();
    for (const p of this.byPartition.values()) {
      const leader = this.cluster.leaderOf(p.topic, p.partition);
      if (p.offset !== null) out.add(leader);
    }
    return out;
  }

  /** The positions with an offset to fetch from whose leader is `leader`. */
  ledBy(leader: number): Position[] {
    return this.all().filter((p) => p.offset !== null && this.leaderOrNull(p) === leader);
  }

  private leaderOrNull(p: Position): number | null {
    try {
      return this.cluster.leaderOf(p.topic, p.partition);
    } catch {
      return null;
    }
  }

  // ---- offset resolution ---------------------------------------------------

  /**
   * Resolves 'earliest'/'latest' positions with ListOffsets to each leader;
   * with `withEnds`, also learns every partition's current end (high watermark).
   */
  async resolve(withEnds: boolean): Promise<void> {
    const todo = this.all().filter((p) => p.offset === null || (withEnds && p.highWatermark === null));
    if (todo.length === 0) return;
    const earliest = todo.filter((p) => p.reset === 'earliest');
    const [starts, ends] = await Promise.all([this.listOffsets(earliest, EARLIEST_TIMESTAMP), this.listOffsets(todo, LATEST_TIMESTAMP)]);
    for (const p of todo) {
      const end = ends.get(p)!;
      if (p.highWatermark === null || end > p.highWatermark) p.highWatermark = end;
      if (p.offset === null) {
        p.offset = p.reset === 'earliest' ? starts.get(p)! : end;
        p.reset = null;
      }
    }
  }

  /**
   * A fetch of `p` answered OFFSET_OUT_OF_RANGE: unless autoOffsetReset is
   * 'none', `p` is reset to be resolved to the log's start or end and this
   * returns true; with 'none' it returns false and `p` stays where it is.
   */
  resetOutOfRange(p: Position): boolean {
    if (this.s.autoOffsetReset === 'none') return false;
    p.offset = null;
    p.reset = this.s.autoOffsetReset;
    return true;
  }

  /**
   * autoOffsetReset 'none': the typed OFFSET_OUT_OF_RANGE error, naming the
   * position and the log's range (asked with ListOffsets, so it holds against
   * Kafka too, whose error responses carry no range).
   */
  async outOfRangeError(p: Position, f: FetchedPartition): Promise<CopylessError> {
    const ends = await Promise.all([this.listOffsets([p], EARLIEST_TIMESTAMP), this.listOffsets([p], LATEST_TIMESTAMP)]).catch(() => null);
    const start = ends?.[0].get(p) ?? f.logStartOffset;
    const end = ends?.[1].get(p) ?? f.highWatermark;
    const where = `${f.topic}/${f.partition}`;
    const range = start < 0 || end < 0 ? 'the log range is unknown' : start === end ? `the log is empty (log start = log end = ${end})` : `the log holds offsets ${start}..${end - 1} (log start ${start}, log end ${end})`;
    return new CopylessError('OFFSET_OUT_OF_RANGE', `offset ${f.fetchOffset} of ${where} is out of range: ${range}; autoOffsetReset is 'none'`, {
      topic: f.topic,
      partition: f.partition,
      offset: f.fetchOffset,
      logStartOffset: start,
      logEndOffset: end,
    });
  }

  private async listOffsets(positions: Position[], timestamp: number): Promise<Map<Position, number>> {
    const out = new Map<Position, number>();
    if (positions.length === 0) return out;
    const topics = [...new Set(positions.map((p) => p.topic))];
    await this.cluster.retry(async () => {
      const byLeader = new Map<number, Position[]>();
      for (const p of positions) {
        if (out.has(p)) continue;
        const leader = this.cluster.leaderOf(p.topic, p.partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      await Promise.all([...byLeader].map(([leader, list]) => this.listOffsetsFrom(leader, list, timestamp, out)));
    }, topics);
    return out;
  }

  private async listOffsetsFrom(leader: number, list: Position[], timestamp: number, out: Map<Position, number>): Promise<void> {
    const byTopic = new Map<string, { partitionIndex: number; timestamp: number }[]>();
    for (const p of list) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partitionIndex: p.partition, timestamp }]);
    const body = { replicaId: -1, isolationLevel: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    const res = await this.cluster.send<ListOffsetsResponse>(leader, ApiKey.ListOffsets, body);
    let retriable: CopylessError | null = null;
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const p = list.find((x) => x.topic === t.name && x.partition === r.partitionIndex);
        if (p === undefined) continue;
        if (r.errorCode === 0) {
          out.set(p, r.offset);
          continue;
        }
        const err = kafkaError(r.errorCode, `list offsets of ${t.name}/${r.partitionIndex}`, { topic: t.name, partition: r.partitionIndex });
        if (!err.retriable) throw err;
        retriable = err;
      }
    }
    if (retriable) throw retriable;
  }
}

function key(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}

function applyOffset(p: Position, offset: OffsetSpec, what: string): void {
  if (offset === 'earliest' || offset === 'latest') {
    p.offset = null;
    p.reset = offset;
  } else if (Number.isSafeInteger(offset) && offset >= 0) {
    p.offset = offset;
    p.reset = null;
  } else {
    throw new CopylessError('INVALID_REQUEST', `${what} must be an offset >= 0, 'earliest' or 'latest', got ${String(offset)}`, {
      field: 'offset',
      topic: p.topic,
      partition: p.partition,
    });
  }
}
