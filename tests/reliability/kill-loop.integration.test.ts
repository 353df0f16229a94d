// Proves (small, for CI) that acknowledged records survive a SIGKILL of the
// broker mid-produce with acks=all and acks=1, in order and without
// duplicates; `npm run soak` runs the same loop with 20 kills.

import { expect, it } from 'vitest';
import { runKillLoop } from './scenarios/kill-loop.ts';

it('keeps every acknowledged record, in send order, across a SIGKILL (acks=all and acks=1 sends in turn)', async () => {
  const r = await runKillLoop({ acks: [-1, 1], kills: 1, batchRecords: 50, runMsMin: 200, runMsMax: 500 });
  expect(r.acknowledgedByAcks.all).toBeGreaterThan(0);
  expect(r.acknowledgedByAcks['1']).toBeGreaterThan(0);
  expect(r).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
  expect(r.stored).toBeGreaterThanOrEqual(r.acknowledged);
}, 120_000);
