// Proves (small, for CI) that mutated and random frames over many short
// connections leave the broker with no leaked socket and still serving a
// normal client; `npm run soak` sends 100,000 frames. Against the broker
// before issue 12's fixes this left refused connections open for good.

import { expect, it } from 'vitest';
import { runFuzz } from './scenarios/fuzz.ts';

it('leaks no socket and keeps serving after thousands of mutated frames', async () => {
  const r = await runFuzz({ frames: 3000, concurrency: 32, framesPerConnectionMax: 20, seed: 2024 });
  expect(r.frames).toBe(3000);
  expect(r.leakedSockets).toBe(0);
  expect(r.normalClientOk).toBe(true);
}, 120_000);
