// Proves what the coordinator adds to its parts: once closed it refuses every group API with NOT_COORDINATOR, and when a
// topic is deleted it forgets the committed offsets of that topic and then the empty groups nothing else keeps.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitInput as commit, errorNameOf, Harness, join, rejection, stableMember } from './fixtures.ts';

let h: Harness;
beforeEach(() => {
  h = new Harness();
  h.catalog.createTopic('t', 2);
  h.catalog.createTopic('u', 1);
});
afterEach(async () => {
  await h.destroy();
});

describe('close', () => {
  it('refuses every membership and offset API afterwards, and tick() changes nothing', async () => {
    const { memberId, generationId } = await stableMember(h);
    const c = h.coordinator;
    await c.close();
    const member = { groupId: 'g', generationId, memberId };
    expect(await rejection(c.joinGroup(join()))).toBe('NOT_COORDINATOR');
    expect(await rejection(c.syncGroup({ ...member, assignments: [] }))).toBe('NOT_COORDINATOR');
    expect(errorNameOf(() => c.heartbeat(member))).toBe('NOT_COORDINATOR');
    expect(errorNameOf(() => c.leaveGroup('g', [memberId]))).toBe('NOT_COORDINATOR');
    expect(await rejection(c.commitOffsets(commit({ ...member, offsets: { t: { 0: 1 } } })))).toBe('NOT_COORDINATOR');
    expect(errorNameOf(() => c.fetchOffsets('g', null))).toBe('NOT_COORDINATOR');
    expect(await rejection(c.resetOffsets('g', { topic: 't', to: 'earliest' }))).toBe('NOT_COORDINATOR');
    h.advance(60_000); // far past the member's session
    expect(c.listGroups()).toEqual([{ groupId: 'g', state: 'Stable', protocolType: 'consumer', members: 1 }]);
  });
});

describe('deleted topics', () => {
  it('forgets their committed offsets, then an empty group that only those offsets kept', async () => {
    const { memberId, generationId } = await stableMember(h);
    await h.coordinator.commitOffsets(commit({ groupId: 'g', generationId, memberId, offsets: { u: { 0: 7 } } }));
    await h.coordinator.commitOffsets(commit({ groupId: 'other', offsets: { t: { 0: 1 } } }));
    h.coordinator.leaveGroup('g', [memberId]);
    expect(h.coordinator.listGroups().map((g) => [g.groupId, g.state])).toEqual([
      ['g', 'Empty'],
      ['other', 'Empty'],
    ]);
    h.catalog.deleteTopic('u');
    await expect.poll(() => h.coordinator.listGroups().map((g) => g.groupId)).toEqual(['other']);
    expect(h.coordinator.viewGroup('g')).toBeNull();
    expect(h.coordinator.fetchOffsets('g', null)).toEqual([]);
  });
});
