// Which partition a record produced over HTTP or WebSocket lands on when it
// names none: Kafka's default partitioner rules, so a key goes to the same
// partition whichever client sent it (Java, librdkafka, kafkajs, the copyless
// SDK, curl).
//   keyed    toPositive(murmur2(keyBytes)) % partitions   (Java Utils.murmur2, seed 0x9747b28c)
//   keyless  one partition for all keyless records of a request (KIP-480's
//            sticky partitioner: one batch instead of many), rotating per request
//
// The broker may not import client/, so the hash lives here too; a test checks
// it against the SDK's client/murmur2.ts.

const MURMUR_SEED = 0x9747b28c;
const MURMUR_M = 0x5bd1e995;
const MURMUR_R = 24;

/** Java `Utils.murmur2(bytes)`: 32-bit MurmurHash2, little-endian words, signed result. */
export function kafkaMurmur2(data: Uint8Array): number {
  let h = MURMUR_SEED ^ data.length;
  const whole = data.length - (data.length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, MURMUR_M);
    k ^= k >>> MURMUR_R;
    h = Math.imul(h, MURMUR_M) ^ Math.imul(k, MURMUR_M);
  }
  const tail = data.length % 4;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], MURMUR_M);
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR_M);
  h ^= h >>> 15;
  return h | 0;
}

export function keyPartition(key: Uint8Array, partitions: number): number {
  return (kafkaMurmur2(key) & 0x7fffffff) % partitions;
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
