// Proves the group membership state machine (driven through the coordinator) on a fake clock: join, sync, heartbeat and leave;
// rebalances on join, leave, session timeout and rebalance timeout; protocol selection; and the Kafka error codes for stale
// generations, unknown members, bad protocols and session timeouts, without a socket.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JoinGroupInput, JoinResult } from '../../../broker/groups/coordinator.ts';
import { encodeAssignment, encodeSubscription, errorNameOf, Harness, rejection, silentLogger } from './fixtures.ts';

const SESSION_MS = 1_000;
const REBALANCE_MS = 3_000;
const SUBSCRIPTION = encodeSubscription(['t']);

function joinInput(o: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
    requireKnownMemberId: false,
    ...o,
  };
}

/** 'pending' unless the promise settles within the current turn of the event loop. */
async function stateOf(p: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  const marker = Symbol('pending');
  try {
    const r = await Promise.race([p, new Promise((resolve) => setImmediate(() => resolve(marker)))]);
    return r === marker ? 'pending' : 'fulfilled';
  } catch {
    return 'rejected';
  }
}

let h: Harness;
beforeEach(() => {
  h = new Harness();
  h.catalog.createTopic('t', 4);
});
afterEach(async () => {
  await h.destroy();
});

/** Two members A (leader) and B, synced and Stable in generation 2. */
async function twoMemberGroup(): Promise<{ a: string; b: string; generationId: number }> {
  const c = h.coordinator;
  const first = await c.joinGroup(joinInput({ clientId: 'a' }));
  await c.syncGroup({ groupId: 'g', generationId: first.generationId, memberId: first.memberId, assignments: [] });
  const bJoin = c.joinGroup(joinInput({ clientId: 'b' }));
  const aJoin = c.joinGroup(joinInput({ clientId: 'a', memberId: first.memberId }));
  const [a, b] = await Promise.all([aJoin, bJoin]);
  const assignments = [
    { memberId: a.memberId, assignment: encodeAssignment({ t: [0, 1] }) },
    { memberId: b.memberId, assignment: encodeAssignment({ t: [2, 3] }) },
  ];
  await Promise.all([
    c.syncGroup({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, assignments }),
    c.syncGroup({ groupId: 'g', generationId: b.generationId, memberId: b.memberId, assignments: [] }),
  ]);
  return { a: a.memberId, b: b.memberId, generationId: a.generationId };
}

describe('join and sync', () => {
  it('a lone member becomes leader of generation 1 and gets back its own assignment', async () => {
    const c = h.coordinator;
    const joined = await c.joinGroup(joinInput());
    expect(joined).toMatchObject({ generationId: 1, protocolName: 'range', leader: joined.memberId });
    expect(joined.memberId).toMatch(/^client-/);
    expect(joined.members).toEqual([{ memberId: joined.memberId, groupInstanceId: null, metadata: SUBSCRIPTION }]);
    expect(c.listGroups()).toEqual([{ groupId: 'g', state: 'CompletingRebalance', protocolType: 'consumer', members: 1 }]);
    const mine = encodeAssignment({ t: [0, 1, 2, 3] });
    const got = await c.syncGroup({ groupId: 'g', generationId: 1, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: mine }] });
    expect(got.equals(mine)).toBe(true);
    expect(c.listGroups()[0].state).toBe('Stable');
    expect(() => c.heartbeat({ groupId: 'g', generationId: 1, memberId: joined.memberId })).not.toThrow();
  });

  it('a second member starts a rebalance that completes once the first rejoins; only the leader sees the members', async () => {
    const c = h.coordinator;
    const a1 = await c.joinGroup(joinInput({ clientId: 'a' }));
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: a1.memberId, assignments: [] });
    const bJoin = c.joinGroup(joinInput({ clientId: 'b' }));
    expect(await stateOf(bJoin)).toBe('pending');
    expect(c.listGroups()[0].state).toBe('PreparingRebalance');
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId: 1, memberId: a1.memberId }))).toBe('REBALANCE_IN_PROGRESS');
    const [a2, b] = await Promise.all([c.joinGroup(joinInput({ clientId: 'a', memberId: a1.memberId })), bJoin]);
    expect(a2.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(a2.leader).toBe(a1.memberId);
    expect(b.leader).toBe(a1.memberId);
    expect(a2.members.map((m) => m.memberId).sort()).toEqual([a1.memberId, b.memberId].sort());
    expect(b.members).toEqual([]);
  });

  it('a follower waits in SyncGroup for the leader, then each member gets the assignment the leader gave it', async () => {
    const c = h.coordinator;
    const a1 = await c.joinGroup(joinInput({ clientId: 'a' }));
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: a1.memberId, assignments: [] });
    const bJoin = c.joinGroup(joinInput({ clientId: 'b' }));
    const [a, b] = await Promise.all([c.joinGroup(joinInput({ clientId: 'a', memberId: a1.memberId })), bJoin]);
    const bSync = c.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, assignments: [] });
    expect(await stateOf(bSync)).toBe('pending');
    const forA = encodeAssignment({ t: [0, 1] });
    const forB = encodeAssignment({ t: [2, 3] });
    const aSync = c.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: forA }, { memberId: b.memberId, assignment: forB }] });
    expect((await aSync).equals(forA)).toBe(true);
    expect((await bSync).equals(forB)).toBe(true);
    const d = c.describeGroup('g');
    expect(d.state).toBe('Stable');
    expect(d.memberList.find((m) => m.memberId === b.memberId)?.assignment).toEqual([{ topic: 't', partitions: [2, 3] }]);
  });

  it('a follower rejoining unchanged while Stable gets the current generation back without a rebalance', async () => {
    const { b, generationId } = await twoMemberGroup();
    const again = await h.coordinator.joinGroup(joinInput({ clientId: 'b', memberId: b }));
    expect(again.generationId).toBe(generationId);
    expect(h.coordinator.listGroups()[0].state).toBe('Stable');
  });

  it('SyncGroup during a rebalance answers REBALANCE_IN_PROGRESS; a new join voids a pending sync the same way', async () => {
    const c = h.coordinator;
    const a1 = await c.joinGroup(joinInput({ clientId: 'a' }));
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: a1.memberId, assignments: [] });
    const bJoin = c.joinGroup(joinInput({ clientId: 'b' }));
    const [a, b] = await Promise.all([c.joinGroup(joinInput({ clientId: 'a', memberId: a1.memberId })), bJoin]);
    const bSync = c.syncGroup({ groupId: 'g', generationId: b.generationId, memberId: b.memberId, assignments: [] });
    const cJoin = c.joinGroup(joinInput({ clientId: 'c' }));
    expect(await rejection(bSync)).toBe('REBALANCE_IN_PROGRESS');
    expect(await rejection(c.syncGroup({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, assignments: [] }))).toBe('REBALANCE_IN_PROGRESS');
    expect(await stateOf(cJoin)).toBe('pending');
  });

  it('chooses a protocol every member supports, by the members\u2019 first-choice votes', async () => {
    const c = h.coordinator;
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: SUBSCRIPTION }));
    const a1 = await c.joinGroup(joinInput({ clientId: 'a', protocols: p('range', 'roundrobin', 'sticky') }));
    expect(a1.protocolName).toBe('range');
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: a1.memberId, assignments: [] });
    const joins = [
      c.joinGroup(joinInput({ clientId: 'b', protocols: p('sticky', 'roundrobin') })),
      c.joinGroup(joinInput({ clientId: 'c', protocols: p('roundrobin', 'sticky') })),
      c.joinGroup(joinInput({ clientId: 'a', memberId: a1.memberId, protocols: p('range', 'roundrobin', 'sticky') })),
    ];
    const results = await Promise.all(joins);
    // candidates: roundrobin, sticky; votes: a -> roundrobin, b -> sticky, c -> roundrobin
    for (const r of results) expect(r.protocolName).toBe('roundrobin');
    const leader = results.find((r) => r.members.length > 0)!;
    expect(leader.members).toHaveLength(3);
  });
});

describe('rebalance on leave and timeouts', () => {
  it('a member that leaves is removed and the others rebalance without it', async () => {
    const { a, b, generationId } = await twoMemberGroup();
    const c = h.coordinator;
    expect(c.leaveGroup('g', [b])).toEqual([{ memberId: b, errorCode: 0 }]);
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId, memberId: a }))).toBe('REBALANCE_IN_PROGRESS');
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId, memberId: b }))).toBe('UNKNOWN_MEMBER_ID');
    const rejoined = await c.joinGroup(joinInput({ clientId: 'a', memberId: a }));
    expect(rejoined.generationId).toBe(generationId + 1);
    expect(rejoined.members.map((m) => m.memberId)).toEqual([a]);
  });

  it('LeaveGroup of an unknown member or group reports UNKNOWN_MEMBER_ID for that member only', async () => {
    const { a } = await twoMemberGroup();
    expect(h.coordinator.leaveGroup('g', ['nobody', a])).toEqual([
      { memberId: 'nobody', errorCode: 25 },
      { memberId: a, errorCode: 0 },
    ]);
    expect(h.coordinator.leaveGroup('no-such-group', ['x'])).toEqual([{ memberId: 'x', errorCode: 25 }]);
  });

  it('the last member leaving empties the group, which is forgotten when it has no commits', async () => {
    const c = h.coordinator;
    const a = await c.joinGroup(joinInput());
    c.leaveGroup('g', [a.memberId]);
    expect(c.listGroups()).toEqual([]);
    expect(() => c.describeGroup('g')).toThrow(expect.objectContaining({ errorName: 'GROUP_ID_NOT_FOUND' }));
  });

  it('a member that stops heartbeating is removed after its session timeout and its partitions go to a rebalance', async () => {
    const { a, b, generationId } = await twoMemberGroup();
    const c = h.coordinator;
    for (let elapsed = 0; elapsed < SESSION_MS + 200; elapsed += 200) {
      h.advance(200);
      if (c.listGroups()[0].state === 'Stable') c.heartbeat({ groupId: 'g', generationId, memberId: a });
    }
    expect(c.describeGroup('g').memberList.map((m) => m.memberId)).toEqual([a]);
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId, memberId: b }))).toBe('UNKNOWN_MEMBER_ID');
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId, memberId: a }))).toBe('REBALANCE_IN_PROGRESS');
    const next = await c.joinGroup(joinInput({ clientId: 'a', memberId: a }));
    expect(next).toMatchObject({ generationId: generationId + 1, leader: a });
  });

  it('a join round waits for missing members until the rebalance timeout, then drops them', async () => {
    const { a, b, generationId } = await twoMemberGroup();
    const c = h.coordinator;
    const cJoin = c.joinGroup(joinInput({ clientId: 'c', sessionTimeoutMs: 10_000 }));
    const aJoin = c.joinGroup(joinInput({ clientId: 'a', memberId: a, sessionTimeoutMs: 10_000 }));
    // b keeps its session alive with heartbeats but never rejoins
    for (let elapsed = 0; elapsed < REBALANCE_MS - 500; elapsed += 500) {
      h.advance(500);
      expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId, memberId: b }))).toBe('REBALANCE_IN_PROGRESS');
    }
    expect(await stateOf(aJoin)).toBe('pending');
    h.advance(500);
    const [ra, rc] = await Promise.all([aJoin, cJoin]);
    expect(ra.generationId).toBe(generationId + 1);
    expect(ra.members.map((m) => m.memberId).sort()).toEqual([a, rc.memberId].sort());
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId: generationId + 1, memberId: b }))).toBe('UNKNOWN_MEMBER_ID');
  });

  it('a member removed while its JoinGroup is parked gets UNKNOWN_MEMBER_ID', async () => {
    const { a, b } = await twoMemberGroup();
    const c = h.coordinator;
    const aJoin = c.joinGroup(joinInput({ clientId: 'a', memberId: a }));
    c.leaveGroup('g', [a]);
    expect(await rejection(aJoin)).toBe('UNKNOWN_MEMBER_ID');
    expect((await c.joinGroup(joinInput({ clientId: 'b', memberId: b }))).members.map((m) => m.memberId)).toEqual([b]);
  });
});

describe('MEMBER_ID_REQUIRED (JoinGroup v4+)', () => {
  it('hands out a member id first, then admits the member that rejoins with it', async () => {
    const c = h.coordinator;
    let assigned = '';
    try {
      await c.joinGroup(joinInput({ requireKnownMemberId: true }));
    } catch (e) {
      expect((e as { errorName: string }).errorName).toBe('MEMBER_ID_REQUIRED');
      assigned = (e as { details: { memberId: string } }).details.memberId;
    }
    expect(assigned).toMatch(/^client-/);
    const joined: JoinResult = await c.joinGroup(joinInput({ memberId: assigned, requireKnownMemberId: true }));
    expect(joined.memberId).toBe(assigned);
    expect(joined.leader).toBe(assigned);
  });

  it('an id never used expires after the session timeout, so it holds up no join round for ever', async () => {
    const { a, generationId } = await twoMemberGroup();
    const c = h.coordinator;
    await expect(c.joinGroup(joinInput({ requireKnownMemberId: true }))).rejects.toMatchObject({ errorName: 'MEMBER_ID_REQUIRED' });
    c.leaveGroup('g', [a]);
    const b = c.describeGroup('g').memberList[0].memberId;
    const bJoin = c.joinGroup(joinInput({ clientId: 'b', memberId: b }));
    expect(await stateOf(bJoin)).toBe('pending');
    h.advance(SESSION_MS);
    expect((await bJoin).generationId).toBe(generationId + 1);
  });
});

describe('errors', () => {
  it('stale generations get ILLEGAL_GENERATION and unknown members UNKNOWN_MEMBER_ID', async () => {
    const { a, generationId } = await twoMemberGroup();
    const c = h.coordinator;
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId: generationId - 1, memberId: a }))).toBe('ILLEGAL_GENERATION');
    expect(errorNameOf(() => c.heartbeat({ groupId: 'g', generationId, memberId: 'stranger' }))).toBe('UNKNOWN_MEMBER_ID');
    expect(errorNameOf(() => c.heartbeat({ groupId: 'other', generationId, memberId: a }))).toBe('UNKNOWN_MEMBER_ID');
    expect(await rejection(c.syncGroup({ groupId: 'g', generationId: generationId + 5, memberId: a, assignments: [] }))).toBe('ILLEGAL_GENERATION');
    expect(await rejection(c.syncGroup({ groupId: 'g', generationId, memberId: 'stranger', assignments: [] }))).toBe('UNKNOWN_MEMBER_ID');
    expect(await rejection(c.joinGroup(joinInput({ memberId: 'stranger' })))).toBe('UNKNOWN_MEMBER_ID');
    expect(await rejection(c.joinGroup(joinInput({ groupId: 'fresh', memberId: 'stranger' })))).toBe('UNKNOWN_MEMBER_ID');
  });

  it('refuses protocols the group cannot agree on, bad session timeouts and empty group ids', async () => {
    await twoMemberGroup();
    const c = h.coordinator;
    expect(await rejection(c.joinGroup(joinInput({ protocolType: 'connect' })))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(await rejection(c.joinGroup(joinInput({ protocols: [{ name: 'sticky', metadata: SUBSCRIPTION }] })))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(await rejection(c.joinGroup(joinInput({ groupId: 'new', protocols: [] })))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(await rejection(c.joinGroup(joinInput({ groupId: 'new', protocolType: '' })))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(await rejection(c.joinGroup(joinInput({ sessionTimeoutMs: 99 })))).toBe('INVALID_SESSION_TIMEOUT');
    expect(await rejection(c.joinGroup(joinInput({ sessionTimeoutMs: 60_001 })))).toBe('INVALID_SESSION_TIMEOUT');
    expect(await rejection(c.joinGroup(joinInput({ groupId: '' })))).toBe('INVALID_GROUP_ID');
    expect(c.listGroups().map((g) => g.groupId)).toEqual(['g']);
  });

  it('the default session timeout bounds are Kafka\u2019s 6 s to 300 s', async () => {
    const { GroupCoordinator } = await import('../../../broker/groups/coordinator.ts');
    const strict = new GroupCoordinator({ catalog: h.catalog, meta: h.meta, logger: silentLogger });
    expect(strict.settings).toEqual({ sessionTimeoutMsMin: 6_000, sessionTimeoutMsMax: 300_000 });
    expect(await rejection(strict.joinGroup(joinInput({ sessionTimeoutMs: 5_999 })))).toBe('INVALID_SESSION_TIMEOUT');
    await strict.close();
  });

  it('close answers parked requests with NOT_COORDINATOR and refuses new ones', async () => {
    const { a } = await twoMemberGroup();
    const c = h.coordinator;
    const parked = c.joinGroup(joinInput({ clientId: 'a', memberId: a }));
    await c.close();
    expect(await rejection(parked)).toBe('NOT_COORDINATOR');
    expect(await rejection(c.joinGroup(joinInput()))).toBe('NOT_COORDINATOR');
  });
});
