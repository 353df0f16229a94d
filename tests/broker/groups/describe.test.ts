// Proves the group reports: lag in messages, bytes and age read from real record batches, from the committed offset (or the log
// start, for an assigned partition never committed) to the log end; GROUP_ID_NOT_FOUND for a group with nothing to report; and
// DescribeGroups' view, which shows metadata and assignments only while the group is Stable.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitInput as commit, encodeAssignment, encodeSubscription, Harness, join, stableMember } from './fixtures.ts';

let h: Harness;
beforeEach(() => {
  h = new Harness();
  h.catalog.createTopic('t', 2);
  h.catalog.createTopic('u', 1);
});
afterEach(async () => {
  await h.destroy();
});

describe('lag', () => {
  it('reports lag in messages, bytes and age from the committed offset to the log end', async () => {
    const [p0, p1] = h.catalog.topics.get('t')!;
    const t0 = h.clock.ms;
    p0.append(10, t0 - 5_000); // offsets 0-9
    p0.append(5, t0 - 2_000); // offsets 10-14
    p1.append(3, t0 - 1_000);
    await h.coordinator.commitOffsets(commit({ offsets: { t: { 0: 10, 1: 3 } } }));
    const d = h.coordinator.describeGroup('g');
    const [r0, r1] = d.partitions;
    expect(r0).toMatchObject({ topic: 't', partition: 0, committedOffset: 10, logStartOffset: 0, logEndOffset: 15, lagMessages: 5, oldestUnconsumedAgeMs: 2_000 });
    expect(r0.lagBytes).toBe(p0.segments()[0].sizeBytes - p0.read(10, 1)!.position);
    expect(r1).toMatchObject({ committedOffset: 3, logEndOffset: 3, lagMessages: 0, lagBytes: 0, oldestUnconsumedAgeMs: null });
    expect(d.totalLag).toBe(5);
  });

  it('a partition that is assigned but never committed lags from the log start; retention moves that start', async () => {
    const [p0] = h.catalog.topics.get('t')!;
    p0.append(4, h.clock.ms - 100);
    p0.append(4, h.clock.ms - 50);
    const { memberId } = await stableMember(h);
    let row = h.coordinator.describeGroup('g').partitions[0];
    expect(row).toMatchObject({ partition: 0, committedOffset: -1, lagMessages: 8, lagBytes: p0.segments()[0].sizeBytes, oldestUnconsumedAgeMs: 100, memberId, metadata: null, commitTimestamp: null });
    p0.logStartOffset = 4;
    row = h.coordinator.describeGroup('g').partitions[0];
    expect(row).toMatchObject({ lagMessages: 4, oldestUnconsumedAgeMs: 50 });
  });

  it('describe of a group with neither members nor commits is GROUP_ID_NOT_FOUND', () => {
    expect(() => h.coordinator.describeGroup('ghost')).toThrow(expect.objectContaining({ errorName: 'GROUP_ID_NOT_FOUND' }));
  });
});

describe('DescribeGroups view', () => {
  it('is null for an unknown group and Empty for a group known by its commits only', async () => {
    expect(h.coordinator.viewGroup('g')).toBeNull();
    await h.coordinator.commitOffsets(commit({ offsets: { t: { 0: 1 } } }));
    expect(h.coordinator.viewGroup('g')).toEqual({ state: 'Empty', protocolType: '', protocol: null, members: [] });
  });

  it('shows member metadata and assignments while Stable, and neither during a rebalance', async () => {
    const { memberId } = await stableMember(h);
    const stable = h.coordinator.viewGroup('g')!;
    expect(stable).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(stable.members).toEqual([
      { memberId, groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', metadata: encodeSubscription(['t']), assignment: encodeAssignment({ t: [0, 1] }) },
    ]);
    void h.coordinator.joinGroup(join({ clientId: 'd' })).catch(() => undefined); // parked until the coordinator closes
    const rebalancing = h.coordinator.viewGroup('g')!;
    expect(rebalancing).toMatchObject({ state: 'PreparingRebalance', protocolType: 'consumer', protocol: null });
    expect(rebalancing.members.map((m) => [m.clientId, m.metadata.length, m.assignment.length])).toEqual([
      ['c', 0, 0],
      ['d', 0, 0],
    ]);
  });
});
