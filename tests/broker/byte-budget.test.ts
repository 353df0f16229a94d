// Proves the broker-wide byte budget: reservations fit or wait, waiters are
// granted in arrival order without newcomers jumping the queue, one
// reservation larger than the whole budget still goes alone, a cancelled
// waiter is never granted, and an aborted promise reservation resolves false.

import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../broker/byte-budget.ts';

describe('ByteBudget', () => {
  it('grants in arrival order and lets nobody jump the queue', () => {
    const b = new ByteBudget('test', 100);
    const granted: string[] = [];
    expect(b.tryReserve(60)).toBe(true);
    b.reserveLater(50, () => granted.push('big'));
    expect(b.tryReserve(10)).toBe(false); // would fit, but 'big' waits first
    b.reserveLater(10, () => granted.push('small'));
    expect(granted).toEqual([]);
    b.release(60);
    expect(granted).toEqual(['big', 'small']);
    expect(b.usedBytes).toBe(60);
    expect(b.usedBytesMax).toBe(60);
  });

  it('lets one reservation larger than the budget through, alone', () => {
    const b = new ByteBudget('test', 100);
    expect(b.tryReserve(500)).toBe(true);
    expect(b.tryReserve(1)).toBe(false);
    b.release(500);
    expect(b.tryReserve(1)).toBe(true);
  });

  it('never grants a cancelled waiter, and unblocks the ones behind it', () => {
    const b = new ByteBudget('test', 100);
    b.tryReserve(100);
    const granted: string[] = [];
    const cancel = b.reserveLater(80, () => granted.push('a'));
    b.reserveLater(10, () => granted.push('b'));
    cancel();
    b.release(50);
    expect(granted).toEqual(['b']);
    expect(b.waitingCount).toBe(0);
  });

  it('resolves a promise reservation false when its signal aborts first', async () => {
    const b = new ByteBudget('test', 10);
    b.tryReserve(10);
    const ac = new AbortController();
    const p = b.reserve(5, ac.signal);
    ac.abort();
    expect(await p).toBe(false);
    b.release(10);
    expect(b.usedBytes).toBe(0);
  });

  it('counts charged bytes, past capacity, until released', () => {
    const b = new ByteBudget('test', 10);
    b.charge(25);
    expect(b.tryReserve(1)).toBe(false);
    b.release(25);
    expect(b.tryReserve(10)).toBe(true);
  });
});
