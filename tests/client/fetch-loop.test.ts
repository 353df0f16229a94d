// Proves the run control the fetch loops obey: only the current generation of a running consumer may go on; a failure keeps
// the first error, ends the generation and wakes the supervisor; a retriable error lets a loop retry only while the run lasts.
import { describe, expect, it } from 'vitest';
import { LoopControl } from '../../client/fetch-loop.ts';
import { CopylessError } from '../../src/errors.ts';

describe('LoopControl', () => {
  it('fail keeps the first error, ends the current generation and wakes the supervisor', async () => {
    const c = new LoopControl();
    c.running = true;
    const generation = ++c.generation;
    expect(c.isCurrent(generation)).toBe(true);
    const woken = c.nextWake();
    c.fail(new CopylessError('CORRUPT_MESSAGE', 'first'));
    c.fail(new CopylessError('UNKNOWN_SERVER_ERROR', 'second'));
    await woken;
    expect(c.fatal).toMatchObject({ errorName: 'CORRUPT_MESSAGE', message: 'first' });
    expect([c.running, c.isCurrent(generation), c.generation > generation]).toEqual([false, false, true]);
  });

  it('handleLoopError: retriable errors are retried while running; anything else, or any error after a stop, ends the loop', () => {
    const c = new LoopControl();
    c.running = true;
    expect(c.handleLoopError(new CopylessError('NOT_LEADER_OR_FOLLOWER', 'moved'))).toBe(true);
    expect(c.fatal).toBeNull();
    const handlerError = new Error('a handler threw');
    expect(c.handleLoopError(handlerError)).toBe(false);
    expect(c.fatal).toBe(handlerError); // unchanged, as run() rejects with it
    expect(c.handleLoopError(new CopylessError('NOT_LEADER_OR_FOLLOWER', 'moved'))).toBe(false);
  });
});
