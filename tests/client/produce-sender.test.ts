// Proves the producer keeps each partition's batches in order on the wire and through retries: a retried batch goes alone and before later ones, is never stored after a later batch of its partition (it fails instead), a leader change waits for the old leader's answers, and a batch that fails for good leaves a gap, never a reordering.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordAccumulator } from '../../client/record-accumulator.ts';
import { CopylessError } from '../../src/errors.ts';
import { decodeRecordBatch } from '../../src/record/index.ts';
import { FakeTransport } from './fake-transport.ts';
import type { ReadyBatch } from '../../client/produce-sender.ts';

const FAST_RETRY = { retries: 3, initialRetryTimeMs: 1, maxRetryTimeMs: 2 };
// Fake timers: retry back-offs and linger run on the test's clock, so each step is the same however loaded the machine is.
const settle = () => vi.advanceTimersByTimeAsync(20);
const values = (b: ReadyBatch) => decodeRecordBatch(b.bytes).records.map((r) => r.value!.toString());
const notLeader = () => new CopylessError('NOT_LEADER_OR_FOLLOWER', 'leader moved');
const timedOut = () => new CopylessError('REQUEST_TIMED_OUT', 'no answer in time');

/** One batch per send (lingerMs 0), every request held until answered. */
function setup(retry = FAST_RETRY) {
  const t = new FakeTransport(1);
  t.hold = true;
  const acc = new RecordAccumulator(t, { lingerMs: 0 }, retry);
  const send = (v: string) => acc.send({ topic: 'a', messages: [{ value: v, partition: 0 }] });
  return { t, acc, send };
}

describe('ProduceSender', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pipelines a partition\'s batches, one request each, in call order', async () => {
    const { t, send } = setup();
    const sends = ['b0', 'b1', 'b2'].map(send);
    await settle();
    expect(t.requests.map((r) => r.batches.flatMap(values))).toEqual([['b0'], ['b1'], ['b2']]);
    t.releaseAll();
    await Promise.all(sends);
    expect(t.logs.get('a/0')).toEqual(['b0', 'b1', 'b2']);
  });

  it('a retriable error on batch k while k+1 is in flight: both are resent in order, k alone first', async () => {
    const { t, send } = setup();
    const k = send('k');
    const k1 = send('k+1');
    await settle();
    expect(t.requests).toHaveLength(2);
    t.answer(0, notLeader);
    t.answer(1, notLeader);
    await settle();
    expect(t.requests).toHaveLength(3);
    expect(values(t.requests[2].batches[0])).toEqual(['k']); // alone: k+1 waits
    expect(t.refreshes).toBeGreaterThan(0); // NOT_LEADER_OR_FOLLOWER: Metadata reloaded before the retry
    t.answer(2);
    await settle();
    expect(t.requests.slice(3).flatMap((r) => r.batches.flatMap(values))).toEqual(['k+1']);
    t.releaseAll();
    await Promise.all([k, k1]);
    expect(t.logs.get('a/0')).toEqual(['k', 'k+1']);
  });

  it('a later batch does not overtake a batch waiting for its retry', async () => {
    const { t, send } = setup();
    const k = send('k');
    await settle();
    t.answer(0, notLeader);
    const later = send('later'); // made while k backs off
    await settle();
    expect(t.requests.slice(1).map((r) => r.batches.flatMap(values))).toEqual([['k']]);
    t.releaseAll();
    await settle();
    t.releaseAll();
    await Promise.all([k, later]);
    expect(t.logs.get('a/0')).toEqual(['k', 'later']);
  });

  it('batch k fails retriably but k+1, already on the wire, is stored: k fails instead of landing after k+1', async () => {
    const { t, send } = setup();
    const k = send('k');
    const k1 = send('k+1');
    await settle();
    t.answer(0, timedOut);
    t.answer(1);
    await expect(k).rejects.toMatchObject({ errorName: 'REQUEST_TIMED_OUT', message: expect.stringMatching(/not retried: a later batch of a\/0 was already stored/) });
    await k1;
    await settle();
    expect(t.requests).toHaveLength(2); // k was never resent
    expect(t.logs.get('a/0')).toEqual(['k+1']);
  });

  it('after a leader change, the next batch waits until the batches sent to the old leader are answered', async () => {
    const { t, send } = setup();
    const first = send('first');
    await settle();
    t.leaders.set('a/0', 1);
    const second = send('second');
    await settle();
    expect(t.requests).toHaveLength(1);
    t.answer(0); // the old leader answers NOT_LEADER_OR_FOLLOWER: first is retried, at the new leader, before second
    for (let i = 0; i < 3; i++) {
      await settle();
      t.releaseAll();
    }
    await Promise.all([first, second]);
    expect(t.requests.map((r) => [r.leader, ...r.batches.flatMap(values)])).toEqual([
      [0, 'first'],
      [1, 'first'],
      [1, 'second'],
    ]);
    expect(t.logs.get('a/0')).toEqual(['first', 'second']);
  });

  it('a batch that fails for good rejects its sends; later batches are still sent, leaving a gap, never a reordering', async () => {
    const { t, send } = setup({ retries: 1, initialRetryTimeMs: 1, maxRetryTimeMs: 1 });
    const k = send('k');
    await settle();
    t.answer(0, notLeader);
    await settle();
    const later = send('later');
    t.answer(1, notLeader); // the one retry fails too
    await expect(k).rejects.toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER' });
    await settle();
    t.releaseAll();
    await later;
    expect(t.logs.get('a/0')).toEqual(['later']);
  });

  it('a send whose records partly failed says how many were acknowledged and which record failed first', async () => {
    const t = new FakeTransport(2);
    const acc = new RecordAccumulator(t, { lingerMs: 0 }, FAST_RETRY);
    t.failWith = null;
    const partition = (b: ReadyBatch) => (b.partition === 1 ? new CopylessError('MESSAGE_TOO_LARGE', 'too big') : null);
    t.hold = true;
    const sent = acc.send({ topic: 'a', messages: ['p0-a', 'p1-a', 'p0-b', 'p1-b', 'p0-c'].map((value) => ({ value, partition: value.startsWith('p0') ? 0 : 1 })) });
    await settle();
    t.answer(0, partition);
    await expect(sent).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE', details: { acknowledged: 3, firstFailedIndex: 1 } });
    expect(t.logs.get('a/0')).toEqual(['p0-a', 'p0-b', 'p0-c']);
  });

  it('does not retry once the client is disconnected', async () => {
    const { t, send } = setup();
    const k = send('k');
    await settle();
    t.isClosed = true;
    t.answer(0, () => new CopylessError('CONNECTION_CLOSED', 'the client was disconnected'));
    await expect(k).rejects.toMatchObject({ errorName: 'CONNECTION_CLOSED' });
    expect(t.requests).toHaveLength(1);
  });
});
