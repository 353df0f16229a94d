// The WebSocket server's bounds, one object so a test can lower them; the
// defaults are the named constants of src/limits.ts.

import { assert } from '../../src/errors.ts';
import {
  WS_CLOSE_GRACE_MS,
  WS_FETCH_WAIT_MS,
  WS_SEND_BUFFER_CLOSE_BYTES,
  WS_SEND_BUFFER_PAUSE_BYTES,
  WS_SLOW_CONSUMER_MS,
  WS_STATS_INTERVAL_MS,
  WS_SUBSCRIPTIONS_MAX,
} from '../../src/limits.ts';

export interface WsLimits {
  /** Send buffer (ws.bufferedAmount) above which subscriptions stop fetching. */
  pauseBytes: number;
  /** Send buffer above which the connection is closed with SLOW_CONSUMER at once. */
  closeBytes: number;
  /** A connection paused longer than this is closed with SLOW_CONSUMER. */
  slowConsumerMs: number;
  /** After a close frame, how long the peer has before the socket is destroyed. */
  closeGraceMs: number;
  statsIntervalMs: number;
  subscriptionsMax: number;
  /** Long-poll of one subscription round. */
  fetchWaitMs: number;
}

export const WS_LIMITS_DEFAULT: WsLimits = {
  pauseBytes: WS_SEND_BUFFER_PAUSE_BYTES,
  closeBytes: WS_SEND_BUFFER_CLOSE_BYTES,
  slowConsumerMs: WS_SLOW_CONSUMER_MS,
  closeGraceMs: WS_CLOSE_GRACE_MS,
  statsIntervalMs: WS_STATS_INTERVAL_MS,
  subscriptionsMax: WS_SUBSCRIPTIONS_MAX,
  fetchWaitMs: WS_FETCH_WAIT_MS,
};

export function wsLimits(overrides: Partial<WsLimits> = {}): WsLimits {
  const limits = { ...WS_LIMITS_DEFAULT, ...overrides };
  assert(limits.pauseBytes < limits.closeBytes, 'wsPauseBytes must be below wsCloseBytes: a connection is paused before it is closed');
  return limits;
}
