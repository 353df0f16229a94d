// Proves the group APIs over real sockets at every advertised version: FindCoordinator, the join/sync/heartbeat/leave round
// (including JoinGroup v4+'s MEMBER_ID_REQUIRED and LeaveGroup v3's member list), OffsetCommit/OffsetFetch with their error
// codes, DescribeGroups/ListGroups, the CopylessGroups/CopylessResetOffsets extensions, and commits surviving a broker restart.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { RawClient, startTestBroker, tempDir, type TestBroker } from '../../helpers/broker.ts';
import { encodeAssignment, encodeSubscription } from './fixtures.ts';

let broker: TestBroker;
let client: RawClient;

beforeEach(async () => {
  broker = await startTestBroker();
  broker.groups.settings.sessionTimeoutMsMin = 100;
  await broker.broker.createTopic('t', { partitions: 2 });
  client = await RawClient.connect(broker.port);
});

afterEach(async () => {
  client.close();
  await broker.destroy();
});

function joinBody(o: { groupId?: string; memberId?: string; protocolType?: string } = {}) {
  return {
    groupId: o.groupId ?? 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: o.memberId ?? '',
    groupInstanceId: null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription(['t']) }],
  };
}

function commitBody(o: { groupId?: string; generationId?: number; memberId?: string; offsets: Record<string, Record<number, number>> }) {
  return {
    groupId: o.groupId ?? 'g',
    generationIdOrMemberEpoch: o.generationId ?? -1,
    memberId: o.memberId ?? '',
    retentionTimeMs: -1,
    topics: Object.entries(o.offsets).map(([name, parts]) => ({
      name,
      partitions: Object.entries(parts).map(([p, committedOffset]) => ({ partitionIndex: Number(p), committedOffset, committedMetadata: 'meta' })),
    })),
  };
}

async function json(apiKey: number, input: unknown): Promise<{ errorCode: number; body: any }> {
  const r = await client.request(apiKey, 0, { json: JSON.stringify(input) });
  return { errorCode: r.errorCode, body: JSON.parse(r.json) };
}

/** Join as the only member and sync an assignment of both partitions. */
async function soloMember(version = 5): Promise<{ memberId: string; generationId: number }> {
  let r = await client.request(ApiKey.JoinGroup, version, joinBody());
  if (r.errorCode === 79) r = await client.request(ApiKey.JoinGroup, version, joinBody({ memberId: r.memberId }));
  expect(r.errorCode).toBe(0);
  const assignment = encodeAssignment({ t: [0, 1] });
  const s = await client.request(ApiKey.SyncGroup, Math.min(version, 3), {
    groupId: 'g',
    generationId: r.generationId,
    memberId: r.memberId,
    groupInstanceId: null,
    assignments: [{ memberId: r.memberId, assignment }],
  });
  expect(s.errorCode).toBe(0);
  expect(Buffer.from(s.assignment).equals(assignment)).toBe(true);
  return { memberId: r.memberId, generationId: r.generationId };
}

describe('group APIs over the wire', () => {
  it('advertises the group APIs from version 0 (librdkafka\u2019s feature check)', async () => {
    const r = await client.request(ApiKey.ApiVersions, 2, {});
    const byKey = new Map(r.apiKeys.map((k: any) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(byKey.get(ApiKey.FindCoordinator)).toEqual([0, 2]);
    expect(byKey.get(ApiKey.JoinGroup)).toEqual([0, 5]);
    expect(byKey.get(ApiKey.SyncGroup)).toEqual([0, 3]);
    expect(byKey.get(ApiKey.Heartbeat)).toEqual([0, 3]);
    expect(byKey.get(ApiKey.LeaveGroup)).toEqual([0, 3]);
    expect(byKey.get(ApiKey.OffsetCommit)).toEqual([0, 5]);
    expect(byKey.get(ApiKey.OffsetFetch)).toEqual([1, 4]);
    expect(byKey.get(ApiKey.DescribeGroups)).toEqual([0, 4]);
    expect(byKey.get(ApiKey.ListGroups)).toEqual([0, 2]);
    expect(byKey.has(ApiKey.CopylessGroups)).toBe(true);
    expect(byKey.has(ApiKey.CopylessResetOffsets)).toBe(true);
  });

  it('FindCoordinator names this broker for groups and refuses a transaction coordinator for good (non-retriable)', async () => {
    for (const v of [0, 1, 2]) {
      const r = await client.request(ApiKey.FindCoordinator, v, { key: 'g', keyType: 0 });
      expect(r).toMatchObject({ errorCode: 0, nodeId: 0, host: '127.0.0.1', port: broker.port });
    }
    const txn = await client.request(ApiKey.FindCoordinator, 1, { key: 'txn', keyType: 1 });
    expect(txn).toMatchObject({ errorCode: 53, errorMessage: expect.stringContaining('does not support transactions') });
    expect((await client.request(ApiKey.FindCoordinator, 2, { key: 'x', keyType: 7 })).errorCode).toBe(42);
  });

  it('JoinGroup v0 (no rebalance timeout) through Heartbeat v0 and LeaveGroup v0', async () => {
    const r = await client.request(ApiKey.JoinGroup, 0, joinBody());
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    expect(r.leader).toBe(r.memberId);
    expect(r.members).toHaveLength(1);
    const s = await client.request(ApiKey.SyncGroup, 0, { groupId: 'g', generationId: 1, memberId: r.memberId, assignments: [] });
    expect(s.errorCode).toBe(0);
    expect((await client.request(ApiKey.Heartbeat, 0, { groupId: 'g', generationId: 1, memberId: r.memberId })).errorCode).toBe(0);
    expect((await client.request(ApiKey.Heartbeat, 0, { groupId: 'g', generationId: 0, memberId: r.memberId })).errorCode).toBe(22);
    expect((await client.request(ApiKey.LeaveGroup, 0, { groupId: 'g', memberId: r.memberId })).errorCode).toBe(0);
    expect((await client.request(ApiKey.Heartbeat, 3, { groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null })).errorCode).toBe(25);
  });

  it('JoinGroup v4+ first answers MEMBER_ID_REQUIRED with the member id to rejoin with', async () => {
    const first = await client.request(ApiKey.JoinGroup, 4, joinBody());
    expect(first.errorCode).toBe(79);
    expect(first.memberId).toMatch(/^raw-test-/);
    const again = await client.request(ApiKey.JoinGroup, 4, joinBody({ memberId: first.memberId }));
    expect(again).toMatchObject({ errorCode: 0, memberId: first.memberId, leader: first.memberId, generationId: 1 });
  });

  it('JoinGroup errors: unknown member, inconsistent protocol, session timeout out of bounds, empty group id', async () => {
    await soloMember();
    expect((await client.request(ApiKey.JoinGroup, 5, joinBody({ memberId: 'stranger' }))).errorCode).toBe(25);
    expect((await client.request(ApiKey.JoinGroup, 5, joinBody({ protocolType: 'connect' }))).errorCode).toBe(23);
    expect((await client.request(ApiKey.JoinGroup, 5, { ...joinBody({ groupId: 'h' }), sessionTimeoutMs: 10 })).errorCode).toBe(26);
    expect((await client.request(ApiKey.JoinGroup, 5, joinBody({ groupId: '' }))).errorCode).toBe(24);
  });

  it('LeaveGroup v3 removes several members and reports each one\u2019s error', async () => {
    const { memberId } = await soloMember();
    const r = await client.request(ApiKey.LeaveGroup, 3, {
      groupId: 'g',
      members: [
        { memberId, groupInstanceId: null },
        { memberId: 'ghost', groupInstanceId: null },
      ],
    });
    expect(r).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      members: [
        { memberId, groupInstanceId: null, errorCode: 0 },
        { memberId: 'ghost', groupInstanceId: null, errorCode: 25 },
      ],
    });
    expect((await client.request(ApiKey.LeaveGroup, 1, { groupId: 'g', memberId: 'ghost' })).errorCode).toBe(25);
  });

  it('OffsetCommit v2-v5 and OffsetFetch v1-v4: per-partition errors, -1 without a commit, null topics for all', async () => {
    const { memberId, generationId } = await soloMember();
    for (const v of [2, 3, 4, 5]) {
      const r = await client.request(ApiKey.OffsetCommit, v, commitBody({ generationId, memberId, offsets: { t: { 0: 10 + v, 5: 1 }, missing: { 0: 1 } } }));
      expect(r.topics).toEqual([
        { name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 5, errorCode: 3 }] },
        { name: 'missing', partitions: [{ partitionIndex: 0, errorCode: 3 }] },
      ]);
    }
    const stale = await client.request(ApiKey.OffsetCommit, 5, commitBody({ generationId: generationId + 1, memberId, offsets: { t: { 0: 1 } } }));
    expect(stale.topics[0].partitions[0].errorCode).toBe(22);
    const admin = await client.request(ApiKey.OffsetCommit, 5, commitBody({ offsets: { t: { 0: 1 } } }));
    expect(admin.topics[0].partitions[0].errorCode).toBe(25);
    const v1 = await client.request(ApiKey.OffsetFetch, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
    expect(v1.topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, committedOffset: 15, metadata: 'meta', errorCode: 0 },
          { partitionIndex: 1, committedOffset: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);
    const all = await client.request(ApiKey.OffsetFetch, 4, { groupId: 'g', topics: null });
    expect(all).toEqual({ throttleTimeMs: 0, errorCode: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 15, metadata: 'meta', errorCode: 0 }] }] });
  });

  it('DescribeGroups and ListGroups show the group as Kafka tools expect', async () => {
    const { memberId } = await soloMember();
    const list = await client.request(ApiKey.ListGroups, 2, {});
    expect(list).toEqual({ throttleTimeMs: 0, errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] });
    const d = await client.request(ApiKey.DescribeGroups, 4, { groups: ['g', 'nope'], includeAuthorizedOperations: false });
    const [g, nope] = d.groups;
    expect(g).toMatchObject({ errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(g.members).toHaveLength(1);
    expect(g.members[0]).toMatchObject({ memberId, clientId: 'raw-test', clientHost: '/127.0.0.1' });
    expect(Buffer.from(g.members[0].memberAssignment).equals(encodeAssignment({ t: [0, 1] }))).toBe(true);
    expect(nope).toMatchObject({ errorCode: 0, groupId: 'nope', groupState: 'Dead', members: [] });
    const v0 = await client.request(ApiKey.DescribeGroups, 0, { groups: ['g'] });
    expect(v0.groups[0].groupState).toBe('Stable');
  });

  it('CopylessGroups lists and describes with lag; CopylessResetOffsets moves offsets of an empty group', async () => {
    const batch = encodeRecordBatch(Array.from({ length: 6 }, (_, i) => ({ value: `m${i}` })));
    await broker.broker.produce('t', 0, batch, { acks: 1, timeoutMs: 1000 });
    await client.request(ApiKey.OffsetCommit, 5, commitBody({ offsets: { t: { 0: 2 } } }));
    const list = await json(ApiKey.CopylessGroups, {});
    expect(list.body).toEqual({ groups: [{ groupId: 'g', state: 'Empty', protocolType: '', members: 0 }] });
    const described = await json(ApiKey.CopylessGroups, { groupId: 'g' });
    expect(described.errorCode).toBe(0);
    expect(described.body).toMatchObject({ groupId: 'g', totalLag: 4, partitions: [{ topic: 't', partition: 0, committedOffset: 2, logEndOffset: 6, lagMessages: 4 }] });
    expect(described.body.partitions[0].lagBytes).toBe(batch.length);
    expect(described.body.partitions[0].oldestUnconsumedAgeMs).toBeGreaterThanOrEqual(0);
    expect((await json(ApiKey.CopylessGroups, { groupId: 'ghost' })).errorCode).toBe(69);
    expect((await json(ApiKey.CopylessGroups, { groupId: 5 })).errorCode).toBe(42);
    expect((await json(ApiKey.CopylessResetOffsets, { groupId: 'g', topic: 't', to: 'latest', partitions: 'all' })).errorCode).toBe(42);
    const reset = await json(ApiKey.CopylessResetOffsets, { groupId: 'g', topic: 't', to: 'latest' });
    expect(reset.body).toEqual({ partitions: [{ topic: 't', partition: 0, offset: 6 }, { topic: 't', partition: 1, offset: 0 }] });
    expect((await json(ApiKey.CopylessGroups, { groupId: 'g' })).body.totalLag).toBe(0);
    expect((await json(ApiKey.CopylessResetOffsets, { groupId: 'g', topic: 't', to: 'offset', offset: 'x' })).errorCode).toBe(42);
    expect((await json(ApiKey.CopylessResetOffsets, { topic: 't', to: 'latest' })).errorCode).toBe(42);
    await soloMember();
    expect((await json(ApiKey.CopylessResetOffsets, { groupId: 'g', topic: 't', to: 'earliest' })).errorCode).toBe(68);
  });

  it('committed offsets survive a broker restart', async () => {
    const dataDir = tempDir();
    const first = await startTestBroker({}, dataDir);
    await first.broker.createTopic('t', { partitions: 1 });
    const c1 = await RawClient.connect(first.port);
    const r = await c1.request(ApiKey.OffsetCommit, 2, commitBody({ offsets: { t: { 0: 77 } } }));
    expect(r.topics[0].partitions[0].errorCode).toBe(0);
    c1.close();
    await first.close();
    const second = await startTestBroker({}, dataDir);
    const c2 = await RawClient.connect(second.port);
    const f = await c2.request(ApiKey.OffsetFetch, 3, { groupId: 'g', topics: null });
    expect(f.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 77, metadata: 'meta', errorCode: 0 }] }]);
    c2.close();
    await second.destroy();
  });
});
