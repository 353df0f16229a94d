// Proves the broker-side partitioner agrees with the SDK's Kafka murmur2 (and
// so with Java, librdkafka and kafkajs) on every key, and that keyless records
// of one request share one partition while requests rotate.

import { describe, expect, it } from 'vitest';
import { murmur2, toPositive } from '../../../client/murmur2.ts';
import { kafkaMurmur2, keyPartition, StickyRotation } from '../../../broker/http/partitioner.ts';

describe('partitioner', () => {
  it('hashes exactly like the SDK murmur2 for keys of every length', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let len = 0; len < 64; len++) {
      for (let n = 0; n < 20; n++) {
        const key = Buffer.alloc(len);
        for (let i = 0; i < len; i++) key[i] = rand() & 0xff;
        expect(kafkaMurmur2(key)).toBe(murmur2(key));
        expect(keyPartition(key, 7)).toBe(toPositive(murmur2(key)) % 7);
      }
    }
  });

  it('rotates the keyless partition per request and per topic', () => {
    const r = new StickyRotation();
    expect([r.take('a', 3), r.take('a', 3), r.take('a', 3), r.take('a', 3)]).toEqual([0, 1, 2, 0]);
    expect(r.take('b', 3)).toBe(0);
  });
});
