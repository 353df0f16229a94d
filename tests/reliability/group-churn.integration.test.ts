// Proves (small, for CI) that members joining and leaving a group while
// records keep arriving never make a committed offset go backwards or past
// the log end, and every record is consumed by some member.

import { expect, it } from 'vitest';
import { runGroupChurn } from './scenarios/group-churn.ts';

it('has no commit regressions through joins and leaves', async () => {
  const r = await runGroupChurn({ rounds: 2, partitions: 3, recordsPerRound: 60, roundMs: 800 });
  expect(r.joins + r.leaves).toBeGreaterThanOrEqual(3);
  expect(r.commitChecks).toBeGreaterThan(0);
  expect(r.regressions).toBe(0);
  expect(r.pastEnd).toBe(0);
  expect(r.consumedDistinct).toBe(r.produced);
}, 120_000);
