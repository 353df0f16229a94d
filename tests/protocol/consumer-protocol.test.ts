// Proves the consumer-protocol bytes agree with Kafka's and kafkajs's: subscriptions and assignments round-trip and cross-decode with kafkajs's own encoder, later protocol versions are read by their version-0 prefix, malformed bytes are typed errors; and that the coordinator's lenient decoder reads the partitions Kafka clients send, ignores the user data, and turns anything else into null, never an exception.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeAssignment, decodeAssignmentOrNull, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.ts';

const require = createRequire(import.meta.url);
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js');

describe('consumer protocol bytes', () => {
  it('round-trips subscriptions and assignments', () => {
    const sub = encodeSubscription({ topics: ['a', 'b.c', 'é'], userData: Buffer.from([1, 2]) });
    expect(decodeSubscription(sub)).toEqual({ version: 0, topics: ['a', 'b.c', 'é'], userData: Buffer.from([1, 2]) });
    const assignment = [{ topic: 'a', partitions: [0, 3] }, { topic: 'b', partitions: [] }];
    expect(decodeAssignment(encodeAssignment({ assignment }))).toEqual({ version: 0, assignment, userData: null });
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ version: 0, assignment: [], userData: null });
  });

  it('cross-decodes with kafkajs in both directions', () => {
    const theirs = MemberMetadata.encode({ version: 0, topics: ['x', 'y'] });
    expect(decodeSubscription(theirs).topics).toEqual(['x', 'y']);
    expect(MemberMetadata.decode(encodeSubscription({ topics: ['x', 'y'] })).topics).toEqual(['x', 'y']);
    const theirAssignment = MemberAssignment.encode({ version: 0, assignment: { x: [1, 3], y: [0] } });
    expect(decodeAssignment(theirAssignment).assignment).toEqual([{ topic: 'x', partitions: [1, 3] }, { topic: 'y', partitions: [0] }]);
    expect(MemberAssignment.decode(encodeAssignment({ assignment: [{ topic: 'x', partitions: [2] }] })).assignment).toEqual({ x: [2] });
  });

  it('reads a Java v1 subscription (ownedPartitions appended) by its version-0 prefix', () => {
    const v0 = encodeSubscription({ topics: ['t'], userData: Buffer.alloc(0) });
    const owned = Buffer.alloc(4 + 2 + 1 + 4 + 4);
    owned.writeInt32BE(1, 0);
    owned.writeInt16BE(1, 4);
    owned.write('t', 6);
    owned.writeInt32BE(1, 7);
    owned.writeInt32BE(5, 11);
    const v1 = Buffer.concat([v0, owned]);
    v1.writeInt16BE(1, 0);
    expect(decodeSubscription(v1)).toEqual({ version: 1, topics: ['t'], userData: Buffer.alloc(0) });
  });

  it('malformed bytes are CORRUPT_MESSAGE naming the field, never a RangeError', () => {
    const good = encodeAssignment({ assignment: [{ topic: 'abc', partitions: [0, 1, 2] }] });
    for (let cut = 1; cut < good.length - 4; cut++) {
      expect(() => decodeAssignment(good.subarray(0, cut))).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE', details: { field: expect.stringMatching(/^assignment\./) } }));
    }
    const negative = Buffer.from(good);
    negative.writeInt16BE(-3, 0);
    expect(() => decodeAssignment(negative)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE' }));
    expect(() => decodeSubscription(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff]))).toThrow(expect.objectContaining({ details: { field: 'subscription.topics' } }));
  });
});

describe('decodeAssignmentOrNull (the coordinator reading members\' assignments)', () => {
  it('decodes topics and partitions, ignoring the user data', () => {
    const bytes = MemberAssignment.encode({ version: 0, assignment: { a: [0, 2], 'b.c': [1] }, userData: Buffer.from('opaque') });
    expect(decodeAssignmentOrNull(bytes)).toEqual([
      { topic: 'a', partitions: [0, 2] },
      { topic: 'b.c', partitions: [1] },
    ]);
  });

  it('does not read the user data: a malformed one still yields the partitions', () => {
    const bytes = encodeAssignment({ assignment: [{ topic: 'a', partitions: [3] }] });
    bytes.writeInt32BE(100, bytes.length - 4); // userData claims 100 bytes that are not there
    expect(() => decodeAssignment(bytes)).toThrow(expect.objectContaining({ errorName: 'CORRUPT_MESSAGE', details: { field: 'assignment.userData' } }));
    expect(decodeAssignmentOrNull(bytes)).toEqual([{ topic: 'a', partitions: [3] }]);
  });

  it('an empty assignment (a member given nothing) is an empty list', () => {
    expect(decodeAssignmentOrNull(Buffer.alloc(0))).toEqual([]);
  });

  it('truncated bytes, absurd counts and negative versions decode to null', () => {
    const good = encodeAssignment({ assignment: [{ topic: 'a', partitions: [0, 1, 2] }] });
    for (let cut = 1; cut < good.length - 4; cut++) expect(decodeAssignmentOrNull(good.subarray(0, cut))).toBeNull();
    const huge = Buffer.from(good);
    huge.writeInt32BE(0x7fffffff, 2);
    expect(decodeAssignmentOrNull(huge)).toBeNull();
    const negative = Buffer.from(good);
    negative.writeInt16BE(-1, 0);
    expect(decodeAssignmentOrNull(negative)).toBeNull();
  });
});
