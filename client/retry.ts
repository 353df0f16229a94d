// Retrying retriable failures with exponential back-off and jitter, the policy
// every request path of the SDK shares (kafkajs `retry`: initialRetryTime
// doubled per attempt, capped, randomised by ±20% so a herd of clients that
// lost the same broker does not reconnect in lockstep).

import { CopylessError, toCopylessError } from '../src/errors.ts';
import { CLIENT_RETRIES_DEFAULT, CLIENT_RETRY_INITIAL_MS_DEFAULT, CLIENT_RETRY_MAX_MS_DEFAULT } from '../src/limits.ts';

export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. */
  retries: number;
  initialRetryTimeMs: number;
  maxRetryTimeMs: number;
}

export const RETRY_DEFAULTS: RetryOptions = {
  retries: CLIENT_RETRIES_DEFAULT,
  initialRetryTimeMs: CLIENT_RETRY_INITIAL_MS_DEFAULT,
  maxRetryTimeMs: CLIENT_RETRY_MAX_MS_DEFAULT,
};

const JITTER_FRACTION = 0.2;

export function resolveRetry(o: Partial<RetryOptions> | undefined): RetryOptions {
  const r = { ...RETRY_DEFAULTS, ...o };
  for (const field of ['retries', 'initialRetryTimeMs', 'maxRetryTimeMs'] as const) {
    if (!Number.isInteger(r[field]) || r[field] < 0) {
      throw new CopylessError('INVALID_CONFIG', `retry.${field} must be a non-negative integer, got ${r[field]}`, { field: `retry.${field}` });
    }
  }
  return r;
}

/** Back-off before retry number `attempt` (0-based). */
export function backoffMs(o: RetryOptions, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(o.maxRetryTimeMs, o.initialRetryTimeMs * 2 ** attempt);
  const jitter = base * JITTER_FRACTION * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(o.maxRetryTimeMs, base + jitter)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `fn` until it succeeds, throws a non-retriable error, or runs out of
 * retries. `onRetriable` runs before each back-off (e.g. to refresh metadata).
 */
export async function withRetry<T>(
  o: RetryOptions,
  fn: (attempt: number) => Promise<T>,
  onRetriable?: (e: CopylessError, attempt: number) => Promise<void> | void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (thrown) {
      const e = toCopylessError(thrown);
      if (!e.retriable || attempt >= o.retries) throw e;
      await onRetriable?.(e, attempt);
      await sleep(backoffMs(o, attempt));
    }
  }
}
