// Proves committed offsets: who may commit (current generation, or anyone while the group has no members), per-partition
// errors for unknown topics and partitions, OffsetFetch's -1 for partitions without a commit, durability across a restart of the
// lmdb store, forgetting a deleted topic's offsets, and reset-offsets.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitInput as commit, Harness, join, rejection, stableMember } from './fixtures.ts';

let h: Harness;
beforeEach(() => {
  h = new Harness();
  h.catalog.createTopic('t', 2);
  h.catalog.createTopic('u', 1);
});
afterEach(async () => {
  await h.destroy();
});

describe('OffsetCommit and OffsetFetch', () => {
  it('stores what a member of the current generation commits, with metadata and the commit time', async () => {
    const { memberId, generationId } = await stableMember(h);
    const result = await h.coordinator.commitOffsets({
      groupId: 'g',
      generationId,
      memberId,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: 'm' }, { partitionIndex: 1, committedOffset: 7, committedMetadata: null }] }],
    });
    expect(result).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 0 }] }]);
    expect(h.coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }, { name: 'u', partitionIndexes: [0] }])).toEqual([
      { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, metadata: 'm', errorCode: 0 }, { partitionIndex: 1, committedOffset: 7, metadata: '', errorCode: 0 }] },
      { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: -1, metadata: '', errorCode: 0 }] },
    ]);
    const d = h.coordinator.describeGroup('g');
    expect(d.partitions.find((p) => p.partition === 0)).toMatchObject({ committedOffset: 42, metadata: 'm', commitTimestamp: h.clock.ms, memberId });
  });

  it('topics null fetches every committed partition of the group', async () => {
    await h.coordinator.commitOffsets(commit({ offsets: { t: { 1: 5 }, u: { 0: 9 } } }));
    expect(h.coordinator.fetchOffsets('g', null)).toEqual([
      { name: 't', partitions: [{ partitionIndex: 1, committedOffset: 5, metadata: '', errorCode: 0 }] },
      { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 9, metadata: '', errorCode: 0 }] },
    ]);
    expect(h.coordinator.fetchOffsets('other', null)).toEqual([]);
  });

  it('unknown topics and partitions get UNKNOWN_TOPIC_OR_PARTITION while the rest of the request commits', async () => {
    const result = await h.coordinator.commitOffsets(commit({ offsets: { t: { 0: 1, 2: 1, [-1]: 1 }, nope: { 0: 1 } } }));
    expect(result).toEqual([
      { name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 2, errorCode: 3 }, { partitionIndex: -1, errorCode: 3 }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: 3 }] },
    ]);
    expect(h.coordinator.fetchOffsets('g', null).map((t) => t.name)).toEqual(['t']);
  });

  it('metadata over offset.metadata.max.bytes gets OFFSET_METADATA_TOO_LARGE', async () => {
    const result = await h.coordinator.commitOffsets({
      groupId: 'g',
      generationId: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: 'x'.repeat(4_097) }] }],
    });
    expect(result[0].partitions[0].errorCode).toBe(12);
  });

  it('an admin commit (generation -1) is allowed only while the group has no members', async () => {
    await h.coordinator.commitOffsets(commit({ offsets: { t: { 0: 3 } } }));
    await stableMember(h);
    expect(await rejection(h.coordinator.commitOffsets(commit({ offsets: { t: { 0: 4 } } })))).toBe('UNKNOWN_MEMBER_ID');
    expect(h.coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }])[0].partitions[0].committedOffset).toBe(3);
  });

  it('stale generations, strangers and commits while a rebalance completes are refused', async () => {
    const { memberId, generationId } = await stableMember(h);
    const c = h.coordinator;
    expect(await rejection(c.commitOffsets(commit({ generationId: generationId - 1, memberId, offsets: { t: { 0: 1 } } })))).toBe('ILLEGAL_GENERATION');
    expect(await rejection(c.commitOffsets(commit({ generationId, memberId: 'stranger', offsets: { t: { 0: 1 } } })))).toBe('UNKNOWN_MEMBER_ID');
    expect(await rejection(c.commitOffsets(commit({ groupId: 'unknown-group', generationId: 3, memberId, offsets: { t: { 0: 1 } } })))).toBe('ILLEGAL_GENERATION');
    // a second member joins: PreparingRebalance still takes the current generation's commits ...
    const other = c.joinGroup(join({ clientId: 'd' }));
    expect(await rejection(c.commitOffsets(commit({ generationId, memberId, offsets: { t: { 0: 10 } } })))).toBe(null);
    const [mine] = await Promise.all([c.joinGroup(join({ memberId })), other]);
    // ... CompletingRebalance does not, until the new assignment is out
    expect(await rejection(c.commitOffsets(commit({ generationId: mine.generationId, memberId, offsets: { t: { 0: 11 } } })))).toBe('REBALANCE_IN_PROGRESS');
    expect(c.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }])[0].partitions[0].committedOffset).toBe(10);
  });

  it('committed offsets survive a restart of the coordinator and its lmdb store', async () => {
    await h.coordinator.commitOffsets(commit({ offsets: { t: { 0: 100, 1: 200 } } }));
    await h.coordinator.commitOffsets(commit({ groupId: 'h', offsets: { u: { 0: 5 } } }));
    await h.restart();
    expect(h.coordinator.fetchOffsets('g', null)).toEqual([
      { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 100, metadata: '', errorCode: 0 }, { partitionIndex: 1, committedOffset: 200, metadata: '', errorCode: 0 }] },
    ]);
    expect(h.coordinator.listGroups()).toEqual([
      { groupId: 'g', state: 'Empty', protocolType: '', members: 0 },
      { groupId: 'h', state: 'Empty', protocolType: '', members: 0 },
    ]);
  });

  it('offsets of a deleted topic are forgotten, so a re-created topic starts without them', async () => {
    await h.coordinator.commitOffsets(commit({ offsets: { t: { 0: 1 }, u: { 0: 2 } } }));
    h.catalog.deleteTopic('u');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.coordinator.fetchOffsets('g', null).map((t) => t.name)).toEqual(['t']);
    await h.restart();
    expect(h.coordinator.fetchOffsets('g', null).map((t) => t.name)).toEqual(['t']);
  });
});

describe('reset-offsets', () => {
  it('resets to earliest, latest or a clamped offset, but not while members are active', async () => {
    const [p0, p1] = h.catalog.topics.get('t')!;
    p0.append(10, h.clock.ms);
    p1.append(20, h.clock.ms);
    p1.logStartOffset = 5;
    const c = h.coordinator;
    expect(await c.resetOffsets('g', { topic: 't', to: 'latest' })).toEqual([
      { topic: 't', partition: 0, offset: 10 },
      { topic: 't', partition: 1, offset: 20 },
    ]);
    expect(await c.resetOffsets('g', { topic: 't', to: 'earliest', partitions: [1] })).toEqual([{ topic: 't', partition: 1, offset: 5 }]);
    expect(await c.resetOffsets('g', { topic: 't', to: 'offset', offset: 15 })).toEqual([
      { topic: 't', partition: 0, offset: 10 },
      { topic: 't', partition: 1, offset: 15 },
    ]);
    expect(c.describeGroup('g').totalLag).toBe(5);
    expect(await rejection(c.resetOffsets('g', { topic: 'nope', to: 'latest' }))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await rejection(c.resetOffsets('g', { topic: 't', to: 'latest', partitions: [7] }))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await rejection(c.resetOffsets('g', { topic: 't', to: 'offset', offset: -3 }))).toBe('INVALID_REQUEST');
    expect(await rejection(c.resetOffsets('g', { topic: 't', to: 'sideways' as never }))).toBe('INVALID_REQUEST');
    await stableMember(h);
    expect(await rejection(c.resetOffsets('g', { topic: 't', to: 'earliest' }))).toBe('NON_EMPTY_GROUP');
  });
});
