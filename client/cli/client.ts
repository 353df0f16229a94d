// The SDK client every CLI command uses, and how the CLI words its errors.
//
// A command-line run is short and usually talks to a broker on this machine,
// so the CLI retries less than the SDK's defaults: a missing broker is
// reported within a second (three quick retries, ~0.7 s of back-off in all)
// instead of after the SDK's ~3 s, and in words that say what to do.

import { isCopylessError } from '../../src/errors.ts';
import type { Admin } from '../admin.ts';
import { Copyless } from '../copyless.ts';
import type { RetryOptions } from '../retry.ts';

const CLI_RETRY: RetryOptions = { retries: 3, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 };
const CLI_CLIENT_ID = 'copyless-cli';

export function cliClient(broker: string): Copyless {
  return new Copyless({ brokers: [broker], clientId: CLI_CLIENT_ID, retry: CLI_RETRY });
}

export async function withAdmin<T>(broker: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = cliClient(broker).admin();
  try {
    await admin.connect();
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** One line for stderr after `copyless: `. */
export function describeError(e: unknown): string {
  if (isCopylessError(e)) {
    const broker = typeof e.details.broker === 'string' ? e.details.broker : null;
    if (e.errorName === 'CONNECTION_CLOSED' && broker !== null && /cannot connect: (ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|EADDRNOTAVAIL)/.test(e.message)) {
      return `no broker at ${broker} — is it running? (\`npx copyless broker\`)`;
    }
    return `${e.errorName}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}
