// Kafka's key hash: the 32-bit MurmurHash2 variant of the Java client's
// `Utils.murmur2` (seed 0x9747b28c), so a key lands on the same partition as it
// would from a Java, librdkafka or kafkajs (2.x default) producer.
//
// Input is consumed in little-endian 4-byte words; the 1-3 trailing bytes are
// folded in before the final avalanche. All arithmetic is int32 with wrap-around,
// which Math.imul and `| 0` give us; `>>>` matches Java's unsigned shift.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java `Utils.murmur2(bytes)`: a signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const wordsEnd = length & ~3;
  for (let i = 0; i < wordsEnd; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tailBytes = length & 3;
  if (tailBytes === 3) h ^= data[wordsEnd + 2] << 16;
  if (tailBytes >= 2) h ^= data[wordsEnd + 1] << 8;
  if (tailBytes >= 1) {
    h ^= data[wordsEnd];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}
