// Proves group commit: callers covered by the pass in flight share it, every later caller shares one queued pass that covers what was appended meanwhile, nothing runs when nothing is unflushed, and a failed pass fails its callers without blocking the next one.
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/storage/group-commit.ts';

/** A log whose end the test moves, and whose passes it finishes by hand. */
function fakeLog() {
  const state = { end: 0, durable: 0, passes: [] as { target: number; finish(e?: Error): void }[] };
  const commits = new GroupCommit({
    target: () => (state.end > state.durable ? state.end : null),
    run: (target) =>
      new Promise<void>((resolve, reject) => {
        state.passes.push({
          target,
          finish: (e) => {
            if (e) return reject(e);
            state.durable = Math.max(state.durable, target);
            resolve();
          },
        });
      }),
  });
  return { state, commits };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('runs at most one pass in flight and one queued, however many callers arrive', async () => {
    const { state, commits } = fakeLog();
    expect(state.passes).toHaveLength(0);
    await commits.flush(); // nothing unflushed: no pass
    expect(state.passes).toHaveLength(0);

    state.end = 10;
    const first = commits.flush();
    expect(commits.flush()).toBe(first); // covered by the pass in flight
    state.end = 15;
    const later = [commits.flush(), commits.flush(), commits.flush()];
    expect(new Set(later).size).toBe(1); // all share the queued pass
    state.end = 20;
    expect(commits.flush()).toBe(later[0]);
    expect(state.passes.map((p) => p.target)).toEqual([10]);

    state.passes[0].finish();
    await first;
    await settle();
    expect(state.passes.map((p) => p.target)).toEqual([10, 20]); // the queued pass covers everything appended by the time it starts
    state.passes[1].finish();
    await Promise.all(later);
    expect(state.durable).toBe(20);
  });

  it('fails the callers of a failed pass and still runs the next one', async () => {
    const { state, commits } = fakeLog();
    state.end = 5;
    const failing = commits.flush();
    state.end = 6;
    const queued = commits.flush();
    state.passes[0].finish(new Error('EIO'));
    await expect(failing).rejects.toThrow('EIO');
    await settle();
    expect(state.passes.map((p) => p.target)).toEqual([5, 6]);
    state.passes[1].finish();
    await queued;
    expect(state.durable).toBe(6);
  });
});
