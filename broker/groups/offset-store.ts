// Committed group offsets, durable in lmdb (sub-database "group-offsets" of
// the broker's meta store under <data>/meta), with an in-memory copy that
// every OffsetFetch, lag report and describe reads (Kafka keeps the same kind
// of cache over __consumer_offsets).
//
// Layout: key [groupId, topic, partition as a decimal string] (an lmdb
// ordered-binary array key, so one group's entries sort together), value { offset, metadata,
// commitTimestamp }. One commit request is one lmdb transaction: either every
// partition of it is stored or none is. The memory copy changes only after the
// transaction has committed, so an acknowledged commit is always on disk
// (safe from a process crash) and an unacknowledged one is never visible.

import type { Database } from 'lmdb';
import type { MetaStore } from '../meta-store.ts';

export const OFFSETS_DB_NAME = 'group-offsets';

export interface CommittedOffset {
  offset: number;
  /** The client's metadata string; '' when it sent none (Kafka's NoMetadata). */
  metadata: string;
  /** Broker time of the commit, ms since the epoch. */
  commitTimestamp: number;
}

export interface OffsetWrite {
  topic: string;
  partition: number;
  offset: number;
  metadata: string;
}

export interface CommittedPartition extends CommittedOffset {
  topic: string;
  partition: number;
}

type OffsetKey = string[];

export class OffsetStore {
  private readonly db: Database<CommittedOffset, OffsetKey>;
  /** groupId -> "topic\0partition" -> committed. */
  private readonly byGroup = new Map<string, Map<string, CommittedPartition>>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(meta: MetaStore) {
    this.db = meta.openDB<CommittedOffset, OffsetKey>(OFFSETS_DB_NAME);
    for (const { key, value } of this.db.getRange()) {
      const [groupId, topic, partition] = key;
      this.remember(groupId, { topic, partition: Number(partition), ...value });
    }
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(partitionKey(topic, partition));
  }

  hasGroup(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }

  /** Every committed partition of a group, sorted by topic then partition. */
  partitions(groupId: string): CommittedPartition[] {
    const entries = [...(this.byGroup.get(groupId)?.values() ?? [])];
    return entries.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /** Store a group's offsets in one transaction; resolves once it has committed. */
  async commit(groupId: string, writes: OffsetWrite[], commitTimestamp: number): Promise<void> {
    if (writes.length === 0) return;
    const done = this.db.transaction(() => {
      for (const w of writes) this.db.put([groupId, w.topic, String(w.partition)], { offset: w.offset, metadata: w.metadata, commitTimestamp });
    });
    await this.track(done);
    for (const w of writes) this.remember(groupId, { topic: w.topic, partition: w.partition, offset: w.offset, metadata: w.metadata, commitTimestamp });
  }

  /** Forget every group's offsets for topics that no longer exist (a re-created topic starts without them). */
  async removeTopicsExcept(exists: (topic: string) => boolean): Promise<number> {
    const gone: Array<[string, CommittedPartition]> = [];
    for (const [groupId, entries] of this.byGroup) {
      for (const e of entries.values()) if (!exists(e.topic)) gone.push([groupId, e]);
    }
    if (gone.length === 0) return 0;
    await this.track(
      this.db.transaction(() => {
        for (const [groupId, e] of gone) this.db.remove([groupId, e.topic, String(e.partition)]);
      }),
    );
    for (const [groupId, e] of gone) this.forget(groupId, e.topic, e.partition);
    return gone.length;
  }

  /** Resolves when every write started so far has finished (before the meta store closes). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private remember(groupId: string, e: CommittedPartition): void {
    let entries = this.byGroup.get(groupId);
    if (!entries) this.byGroup.set(groupId, (entries = new Map()));
    entries.set(partitionKey(e.topic, e.partition), e);
  }

  private forget(groupId: string, topic: string, partition: number): void {
    const entries = this.byGroup.get(groupId);
    entries?.delete(partitionKey(topic, partition));
    if (entries?.size === 0) this.byGroup.delete(groupId);
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
