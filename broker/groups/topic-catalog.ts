// What the group coordinator needs to know of the broker's topics, and no
// more: whether a topic exists, its partition count, each partition's log
// (its start and end offsets and batches, for lag and reset-offsets), and a
// signal when topics change (committed offsets of a deleted topic are
// forgotten). The Broker satisfies it as it is; tests pass a stand-in. Naming
// this interface instead of the Broker keeps broker/groups/ free of
// broker.ts, so neither imports the other.

import type { LagSource } from './lag.ts';

export const TOPICS_CHANGED = 'topics-changed';

export interface TopicCatalog {
  hasTopic(topic: string): boolean;
  /** 0 for a topic that does not exist. */
  partitionCount(topic: string): number;
  /** The partition's log; UNKNOWN_TOPIC_OR_PARTITION when there is none. */
  partitionLog(topic: string, partition: number): LagSource;
  /** `listener` runs after a topic was created, deleted or given more partitions. */
  on(event: typeof TOPICS_CHANGED, listener: () => void): unknown;
  off(event: typeof TOPICS_CHANGED, listener: () => void): unknown;
}
