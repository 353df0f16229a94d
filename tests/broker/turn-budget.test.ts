// Proves the per-turn budget: the first piece of work in a turn always runs at
// once, more runs at once only within the budget, the rest waits for later
// turns in FIFO order (so one producer's appends keep their order), errors
// reach their own caller; and that the broker's produce path uses it, so a
// burst of large produce requests is spread over several turns of the event
// loop instead of holding it for all of them.

import { afterEach, describe, expect, it } from 'vitest';
import { TurnBudget } from '../../broker/turn-budget.ts';
import { APPEND_BYTES_PER_TURN_MAX } from '../../src/limits.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnBudget', () => {
  it('runs within the budget at once and the rest in later turns, in order', async () => {
    const budget = new TurnBudget(100);
    const ran: number[] = [];
    const done = [60, 40, 30, 200, 10].map((cost, i) => budget.run(cost, () => (ran.push(i), i)));
    expect(ran).toEqual([0, 1]); // 60 + 40 fit; 30 would not
    expect(budget.queued).toBe(3);
    await nextTurn();
    expect(ran).toEqual([0, 1, 2]); // 30, then 200 would pass 100
    await nextTurn();
    expect(ran).toEqual([0, 1, 2, 3]); // the first piece of a turn runs whatever its cost
    await nextTurn();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
  });

  it('queues behind waiting work even when the new piece would fit, and rejects only the failing caller', async () => {
    const budget = new TurnBudget(100);
    const ran: string[] = [];
    void budget.run(100, () => ran.push('a'));
    const failing = budget.run(10, () => {
      throw new Error('boom');
    });
    const later = budget.run(1, () => ran.push('c'));
    expect(ran).toEqual(['a']);
    await expect(failing).rejects.toThrow('boom');
    await later;
    expect(ran).toEqual(['a', 'c']);
  });
});

describe('the broker produce path', () => {
  let tb: TestBroker | null = null;
  afterEach(async () => {
    await tb?.destroy();
    tb = null;
  });

  it('spreads a burst of large produce requests over several turns of the event loop, in order', async () => {
    tb = await startTestBroker();
    await tb.broker.createTopic('burst', { partitions: 1 });
    const payload = () => encodeRecordBatch([{ value: Buffer.alloc(APPEND_BYTES_PER_TURN_MAX - 200, 1) }]);
    const results = Array.from({ length: 6 }, () => tb!.broker.produce('burst', 0, payload(), { acks: 1, timeoutMs: 1000 }));
    const log = tb.broker.partitionLog('burst', 0);
    expect(log.logEndOffset).toBe(1); // one budget's worth now; the rest waits for the next turns
    await nextTurn();
    expect(log.logEndOffset).toBe(2);
    const offsets = (await Promise.all(results)).map((r) => r.baseOffset);
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
