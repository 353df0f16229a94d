// The SDK's error for a Kafka error code found in a response: a CopylessError
// with that code and a message naming what was asked, the code's name and the
// broker's own message when it sent one. Every module that reads responses
// (cluster, API-version negotiation, SASL, producer, consumer, admin, group)
// uses it, so it depends on nothing but src/errors.ts.

import { CopylessError, errorInfo, type ErrorDetails } from '../src/errors.ts';

/** The typed error for a Kafka error code found in a response. */
export function kafkaError(code: number, what: string, details: ErrorDetails = {}, brokerMessage?: string | null): CopylessError {
  const suffix = brokerMessage ? `: ${brokerMessage}` : '';
  return new CopylessError(code, `${what}: ${errorInfo(code).name} (${code})${suffix}`, details);
}
