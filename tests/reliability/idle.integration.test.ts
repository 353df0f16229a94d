// Proves (small, for CI) that many connections are served, then closed by
// the broker once idle for connectionsMaxIdleMs, leaving only its listening
// sockets, and that a new client is served afterwards.

import { expect, it } from 'vitest';
import { runIdle } from './scenarios/idle.ts';

it('closes a crowd of idle connections and serves the next client', async () => {
  const r = await runIdle({ connections: 300, idleMs: 800 });
  expect(r.answered).toBe(300);
  expect(r.closedByBroker).toBe(300);
  expect(r.socketsAfter).toBeLessThanOrEqual(r.socketsBefore);
  expect(r.newClientOk).toBe(true);
}, 90_000);
