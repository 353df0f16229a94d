// Committed offsets as the group APIs see them: OffsetCommit's per-partition
// checks (the partition must exist, the metadata must fit), OffsetFetch's
// answer (-1 for a partition without a commit, every committed partition
// when no topics are named), reset-offsets (the CLI's and HTTP API's, clamped
// into each log's range), and forgetting the offsets of deleted topics. The
// offsets themselves live in lmdb (offset-store.ts). Who may commit is a
// membership rule (membership.ts); the coordinator checks it before calling
// commit().

import type { Logger } from 'pino';
import { CopylessError, ErrorCode } from '../../src/errors.ts';
import { GROUP_OFFSET_METADATA_BYTES_MAX } from '../../src/limits.ts';
import type { MetaStore } from '../meta-store.ts';
import type { MemberRef } from './membership.ts';
import { OffsetStore, type CommittedPartition, type OffsetWrite } from './offset-store.ts';
import type { TopicCatalog } from './topic-catalog.ts';

export interface CommitInput extends MemberRef {
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[] }[];
}

export interface CommitResultTopic {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface FetchedOffsetsTopic {
  name: string;
  partitions: { partitionIndex: number; committedOffset: number; metadata: string; errorCode: number }[];
}

export interface ResetOffsetsInput {
  topic: string;
  partitions?: number[];
  to: 'earliest' | 'latest' | 'offset';
  offset?: number;
}

export class OffsetCommits {
  private readonly catalog: TopicCatalog;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly store: OffsetStore;

  constructor(o: { catalog: TopicCatalog; meta: MetaStore; logger: Logger; now: () => number }) {
    this.catalog = o.catalog;
    this.logger = o.logger;
    this.now = o.now;
    this.store = new OffsetStore(o.meta);
  }

  /**
   * OffsetCommit from an accepted committer: per-partition refusals are
   * error codes; the accepted partitions are stored in one lmdb transaction
   * before this resolves.
   */
  async commit(req: CommitInput): Promise<CommitResultTopic[]> {
    const writes: OffsetWrite[] = [];
    const results = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const errorCode = this.commitProblem(t.name, p.partitionIndex, p.committedMetadata);
        if (errorCode === 0) writes.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? '' });
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
    await this.store.commit(req.groupId, writes, this.now());
    return results;
  }

  private commitProblem(topic: string, partition: number, metadata: string | null): number {
    if (!(partition >= 0 && partition < this.catalog.partitionCount(topic))) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (metadata !== null && Buffer.byteLength(metadata) > GROUP_OFFSET_METADATA_BYTES_MAX) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
    return 0;
  }

  /** OffsetFetch: committed offsets, -1 (and '') for partitions without one; `topics` null means every committed partition. */
  fetch(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): FetchedOffsetsTopic[] {
    if (topics === null) {
      const byTopic = new Map<string, FetchedOffsetsTopic>();
      for (const c of this.store.partitions(groupId)) {
        let t = byTopic.get(c.topic);
        if (!t) byTopic.set(c.topic, (t = { name: c.topic, partitions: [] }));
        t.partitions.push({ partitionIndex: c.partition, committedOffset: c.offset, metadata: c.metadata, errorCode: 0 });
      }
      return [...byTopic.values()];
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const c = this.store.get(groupId, t.name, partitionIndex);
        return { partitionIndex, committedOffset: c?.offset ?? -1, metadata: c?.metadata ?? '', errorCode: 0 };
      }),
    }));
  }

  /** Move a group's committed offsets (the caller made sure no member could overwrite them). */
  async reset(groupId: string, o: ResetOffsetsInput): Promise<{ topic: string; partition: number; offset: number }[]> {
    const targets = resetTargets(this.catalog, o);
    await this.store.commit(
      groupId,
      targets.map((t) => ({ ...t, metadata: '' })),
      this.now(),
    );
    this.logger.info({ groupId, topic: o.topic, to: o.to, partitions: targets.length }, 'offsets reset');
    return targets;
  }

  /** Forget every group's offsets of topics that no longer exist; false (after a warning) when lmdb refused. */
  async removeDeletedTopics(): Promise<boolean> {
    try {
      const n = await this.store.removeTopicsExcept((t) => this.catalog.hasTopic(t));
      if (n > 0) this.logger.info({ offsets: n }, 'committed offsets of deleted topics removed');
      return true;
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'could not remove committed offsets of deleted topics');
      return false;
    }
  }

  /** Every committed partition of a group, sorted by topic then partition. */
  committed(groupId: string): CommittedPartition[] {
    return this.store.partitions(groupId);
  }

  hasCommits(groupId: string): boolean {
    return this.store.hasGroup(groupId);
  }

  groupIds(): string[] {
    return this.store.groupIds();
  }

  /** Resolves when every write started so far has finished (before the meta store closes). */
  drain(): Promise<void> {
    return this.store.drain();
  }
}

/** The offsets a reset moves each partition to; `offset` is clamped into [logStartOffset, logEndOffset] as Kafka's tool does. */
function resetTargets(catalog: TopicCatalog, o: ResetOffsetsInput): { topic: string; partition: number; offset: number }[] {
  if (typeof o.topic !== 'string' || !catalog.hasTopic(o.topic)) {
    throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${String(o.topic)} does not exist`, { topic: o.topic, field: 'topic' });
  }
  if (o.to !== 'earliest' && o.to !== 'latest' && o.to !== 'offset') {
    throw new CopylessError('INVALID_REQUEST', `to is ${JSON.stringify(o.to)}, must be earliest, latest or offset`, { field: 'to' });
  }
  if (o.to === 'offset' && !(Number.isSafeInteger(o.offset) && o.offset! >= 0)) {
    throw new CopylessError('INVALID_REQUEST', `offset is ${JSON.stringify(o.offset)}, must be an integer >= 0 when to is offset`, { field: 'offset' });
  }
  const count = catalog.partitionCount(o.topic);
  const partitions = o.partitions ?? Array.from({ length: count }, (_, p) => p);
  if (!Array.isArray(partitions)) throw new CopylessError('INVALID_REQUEST', 'partitions must be an array of partition ids', { field: 'partitions' });
  return partitions.map((partition) => {
    const log = catalog.partitionLog(o.topic, partition);
    const offset = o.to === 'earliest' ? log.logStartOffset : o.to === 'latest' ? log.logEndOffset : Math.min(Math.max(o.offset!, log.logStartOffset), log.logEndOffset);
    return { topic: o.topic, partition, offset };
  });
}
