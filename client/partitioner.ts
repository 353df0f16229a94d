// Choosing a partition for a record that names none. Keyed records hash with
// Kafka's murmur2 (the Java client's rule, so the same key lands on the same
// partition from any Kafka client); keyless records go round-robin per topic,
// as kafkajs's default partitioner does.

import { murmur2, toPositive } from '../src/record/murmur2.ts';

export interface PartitionerArgs {
  topic: string;
  /** Number of partitions the topic has (from Metadata), at least 1. */
  partitionCount: number;
  /** The record key as bytes, or null for a keyless record. */
  key: Buffer | null;
}

/** Returns a partition index in [0, partitionCount). */
export type Partitioner = (args: PartitionerArgs) => number;

/** Java's `Utils.toPositive(Utils.murmur2(key)) % numPartitions`. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount;
}

/** A fresh default partitioner (each keeps its own round-robin counters). */
export function createDefaultPartitioner(): Partitioner {
  const nextByTopic = new Map<string, number>();
  return ({ topic, partitionCount, key }) => {
    if (key !== null) return partitionForKey(key, partitionCount);
    const next = nextByTopic.get(topic) ?? 0;
    nextByTopic.set(topic, (next + 1) & 0x7fffffff);
    return next % partitionCount;
  };
}
