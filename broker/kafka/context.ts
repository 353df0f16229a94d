// What a Kafka API handler sees: the broker core, the group coordinator, the connection's own state
// (its fetch mode, its abort signal) and the request header. Handlers return a
// response body (or nothing for acks=0 produce); the connection encodes and
// writes it, in request order.

import type { Logger } from 'pino';
import type { RequestHeader } from '../../src/protocol/index.ts';
import type { FetchMode } from '../../src/fetch/fetch-mode.ts';
import { ErrorCode, toCopylessError } from '../../src/errors.ts';
import type { Broker, ServedRecords } from '../broker.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import type { SaslSession } from './sasl.ts';

export interface ConnectionState {
  readonly id: number;
  readonly remote: string;
  clientId: string | null;
  /** Fetch mode for this connection: the broker default until CopylessSetFetchMode changes it. */
  fetchMode: FetchMode;
  sgDma: boolean;
  /** Aborted when the connection closes, so long-polls stop waiting. */
  readonly signal: AbortSignal;
  /** The SASL user this connection authenticated as; null until then (and always without saslUsers). */
  principal: string | null;
  /** The SASL exchange under way (after SaslHandshake, before success), else null. */
  sasl: SaslSession | null;
}

export interface RequestContext {
  readonly broker: Broker;
  /** The group coordinator; null when the broker runs without one. */
  readonly groups: GroupCoordinator | null;
  readonly conn: ConnectionState;
  readonly header: RequestHeader;
  readonly logger: Logger;
  /** The API versions this listener advertises: the codec's ranges for the APIs that have a handler. */
  readonly advertised: ReadonlyMap<number, { min: number; max: number }>;
}

export interface HandlerResult {
  /** The response body; absent means no response is sent (Produce with acks=0). */
  body?: unknown;
  /** Fetch responses: the served records, released after the bytes are written (and sent natively for native modes). */
  served?: ServedRecords;
  /** CopylessFetch: the response ends with the accounting trailer, patched after a native send. */
  accountingTrailer?: boolean;
  /**
   * Fetch responses: the records are served (pages pinned, or copied) only
   * when the response's turn to be written has come and the connection has
   * room for `bytes` more held bytes; until then the result holds segment
   * references only. `serve` returns the response to write; `abandon` frees
   * the result when the connection closes first.
   */
  deferred?: { bytes: number; serve(): Promise<HandlerResult>; abandon(): void };
  /** Close the connection once this response is written (a failed or out-of-order SASL step, as Kafka does). */
  closeAfter?: string;
}

export type Handler = (ctx: RequestContext, body: any) => Promise<HandlerResult>;

/**
 * The Kafka error code for a failure. copyless's private codes (>= 20000) are
 * never sent to a Kafka client: they become the closest Kafka code.
 */
export function kafkaErrorCode(e: unknown): number {
  const err = toCopylessError(e);
  if (err.code < 20000) return err.code;
  switch (err.errorName) {
    case 'LIMIT_EXCEEDED':
      return ErrorCode.MESSAGE_TOO_LARGE;
    case 'PAGE_CACHE_EXHAUSTED':
    case 'MAPPED_READ_PAST_END':
      return ErrorCode.KAFKA_STORAGE_ERROR;
    case 'BROKER_SHUTTING_DOWN':
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
