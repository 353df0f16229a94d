// Which partition a record produced over HTTP or WebSocket lands on when it
// names none: Kafka's default partitioner rules, so a key goes to the same
// partition whichever client sent it (Java, librdkafka, kafkajs, the copyless
// SDK, curl).
//   keyed    toPositive(murmur2(keyBytes)) % partitions   (Java Utils.murmur2, seed 0x9747b28c)
//   keyless  one partition for all keyless records of a request (KIP-480's
//            sticky partitioner: one batch instead of many), rotating per request

import { murmur2, toPositive } from '../../src/record/murmur2.ts';

export function keyPartition(key: Uint8Array, partitions: number): number {
  return toPositive(murmur2(key)) % partitions;
}

/** Rotates the keyless partition per topic, request by request. */
export class StickyRotation {
  private readonly next = new Map<string, number>();

  take(topic: string, partitions: number): number {
    const n = this.next.get(topic) ?? 0;
    this.next.set(topic, (n + 1) % 1_000_000_007);
    return n % partitions;
  }
}
