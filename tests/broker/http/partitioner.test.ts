// Proves a keyed record produced over HTTP lands on the partition the SDK's
// (and so Java's, librdkafka's and kafkajs's) default partitioner picks, and
// that keyless records of one request share one partition while requests rotate.

import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../client/partitioner.ts';
import { keyPartition, StickyRotation } from '../../../broker/http/partitioner.ts';

describe('partitioner', () => {
  it('picks the same partition as the SDK for keys of every length', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let len = 0; len < 64; len++) {
      for (let n = 0; n < 20; n++) {
        const key = Buffer.alloc(len);
        for (let i = 0; i < len; i++) key[i] = rand() & 0xff;
        expect(keyPartition(key, 7)).toBe(partitionForKey(key, 7));
      }
    }
  });

  it('rotates the keyless partition per request and per topic', () => {
    const r = new StickyRotation();
    expect([r.take('a', 3), r.take('a', 3), r.take('a', 3), r.take('a', 3)]).toEqual([0, 1, 2, 0]);
    expect(r.take('b', 3)).toBe(0);
  });
});
