// Choosing a partition for a record that names none: Kafka's default
// partitioner, shared by the SDK's producer and the broker's HTTP and
// WebSocket produce, so a key lands on the same partition whichever client
// sent it (Java, librdkafka, kafkajs, the copyless SDK, curl).
//   keyed    toPositive(murmur2(keyBytes)) % partitions   (Java Utils.murmur2, seed 0x9747b28c)
//   keyless  a rotation per topic. The SDK takes the next partition for every
//            record, as kafkajs's default partitioner does. The HTTP and
//            WebSocket produce take one per request, so every keyless record
//            of a request shares one partition (one batch instead of many,
//            as KIP-480's sticky partitioner), rotating request by request.

import { murmur2, toPositive } from './murmur2.ts';

/** The rotation counter wraps here (int32's range, as the Java client's counter), long before losing precision. */
const ROTATION_WRAP = 2 ** 31;

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

/** The keyless partition of each topic, moving on by one at every `take`. */
export class PartitionRotation {
  private readonly next = new Map<string, number>();

  take(topic: string, partitionCount: number): number {
    const n = this.next.get(topic) ?? 0;
    this.next.set(topic, (n + 1) % ROTATION_WRAP);
    return n % partitionCount;
  }
}

/** A fresh default partitioner (each keeps its own rotation): keyed records by hash, keyless ones round-robin per record. */
export function createDefaultPartitioner(): Partitioner {
  const rotation = new PartitionRotation();
  return ({ topic, partitionCount, key }) => (key !== null ? partitionForKey(key, partitionCount) : rotation.take(topic, partitionCount));
}
