// Proves that ThreadSlots lets at most its number of holders in at once, serves waiters first come first served, and sizes itself to half the libuv threadpool.

import { describe, expect, it } from 'vitest';

import { ThreadSlots, nativeSendSlots } from '../../../broker/native/thread-slots.ts';

describe('ThreadSlots', () => {
  it('admits two of four at once, the others in arrival order', async () => {
    const slots = new ThreadSlots(2);
    const order: number[] = [];
    const releases = await Promise.all([slots.acquire(), slots.acquire()]);
    const waiting = [3, 4].map((n) => slots.acquire().then((release) => (order.push(n), release)));
    await Promise.resolve();
    expect(order).toEqual([]);
    releases[0]();
    releases[0](); // a second call gives back nothing more
    const third = await waiting[0];
    expect(order).toEqual([3]);
    releases[1]();
    (await waiting[1])();
    third();
    expect(order).toEqual([3, 4]);
    // Both slots are free again: two acquisitions succeed at once.
    await Promise.all([slots.acquire(), slots.acquire()]);
  });

  it('takes half the threadpool, at least one thread', () => {
    expect(nativeSendSlots({})).toBe(2);
    expect(nativeSendSlots({ UV_THREADPOOL_SIZE: '16' })).toBe(8);
    expect(nativeSendSlots({ UV_THREADPOOL_SIZE: '1' })).toBe(1);
  });
});
