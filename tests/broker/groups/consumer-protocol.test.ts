// Proves the consumer-protocol assignment decoder reads what Kafka clients send and turns anything else into null, never an exception.

import { describe, expect, it } from 'vitest';
import { decodeConsumerAssignment } from '../../../broker/groups/consumer-protocol.ts';
import { encodeAssignment } from './fixtures.ts';

describe('decodeConsumerAssignment', () => {
  it('decodes topics and partitions, ignoring the user data', () => {
    const bytes = encodeAssignment({ a: [0, 2], 'b.c': [1] });
    expect(decodeConsumerAssignment(bytes)).toEqual([
      { topic: 'a', partitions: [0, 2] },
      { topic: 'b.c', partitions: [1] },
    ]);
  });

  it('an empty assignment (a member given nothing) is an empty list', () => {
    expect(decodeConsumerAssignment(Buffer.alloc(0))).toEqual([]);
  });

  it('truncated bytes, absurd counts and negative versions decode to null', () => {
    const good = encodeAssignment({ a: [0, 1, 2] });
    for (let cut = 1; cut < good.length - 4; cut++) expect(decodeConsumerAssignment(good.subarray(0, cut))).toBeNull();
    const huge = Buffer.from(good);
    huge.writeInt32BE(0x7fffffff, 2);
    expect(decodeConsumerAssignment(huge)).toBeNull();
    const negative = Buffer.from(good);
    negative.writeInt16BE(-1, 0);
    expect(decodeConsumerAssignment(negative)).toBeNull();
  });
});
