// Typed errors shared by storage, broker, client and every protocol adapter.
//
// One table maps each error code to its name, HTTP status and WebSocket close
// code, so the Kafka listener, the HTTP API and the WebSocket API report the
// same failure the same way. Codes below 20000 are Apache Kafka's own
// (common/protocol/Errors.java) and keep their numbers; codes from 20000 up are
// copyless's private range for conditions Kafka has no word for. As in Kafka,
// once a code has shipped its number never changes; names may.

export interface ErrorInfo {
  readonly code: number;
  readonly name: string;
  /** HTTP status the HTTP API answers with. */
  readonly httpStatus: number;
  /** WebSocket close code used when the error ends a WebSocket connection. */
  readonly wsClose: number;
  /** True when the same request may succeed if retried later (Kafka's RetriableException). */
  readonly retriable: boolean;
}

// [name, code, httpStatus, wsClose, retriable]
const TABLE = [
  ['UNKNOWN_SERVER_ERROR', -1, 500, 1011, false],
  ['NONE', 0, 200, 1000, false],
  ['OFFSET_OUT_OF_RANGE', 1, 416, 4416, false],
  ['CORRUPT_MESSAGE', 2, 400, 4400, true],
  ['UNKNOWN_TOPIC_OR_PARTITION', 3, 404, 4404, true],
  ['INVALID_FETCH_SIZE', 4, 400, 4400, false],
  ['LEADER_NOT_AVAILABLE', 5, 503, 1013, true],
  ['NOT_LEADER_OR_FOLLOWER', 6, 503, 1013, true],
  ['REQUEST_TIMED_OUT', 7, 504, 1013, true],
  ['MESSAGE_TOO_LARGE', 10, 413, 1009, false],
  ['COORDINATOR_LOAD_IN_PROGRESS', 14, 503, 1013, true],
  ['COORDINATOR_NOT_AVAILABLE', 15, 503, 1013, true],
  ['NOT_COORDINATOR', 16, 503, 1013, true],
  ['INVALID_TOPIC_EXCEPTION', 17, 400, 4400, false],
  ['RECORD_LIST_TOO_LARGE', 18, 413, 1009, false],
  ['INVALID_REQUIRED_ACKS', 21, 400, 4400, false],
  ['ILLEGAL_GENERATION', 22, 409, 4409, false],
  ['INCONSISTENT_GROUP_PROTOCOL', 23, 409, 4409, false],
  ['INVALID_GROUP_ID', 24, 400, 4400, false],
  ['UNKNOWN_MEMBER_ID', 25, 404, 4404, false],
  ['INVALID_SESSION_TIMEOUT', 26, 400, 4400, false],
  ['REBALANCE_IN_PROGRESS', 27, 409, 4409, false],
  ['INVALID_COMMIT_OFFSET_SIZE', 28, 400, 4400, false],
  ['TOPIC_AUTHORIZATION_FAILED', 29, 403, 4403, false],
  ['GROUP_AUTHORIZATION_FAILED', 30, 403, 4403, false],
  ['UNSUPPORTED_VERSION', 35, 400, 4400, false],
  ['TOPIC_ALREADY_EXISTS', 36, 409, 4409, false],
  ['INVALID_PARTITIONS', 37, 400, 4400, false],
  ['INVALID_REPLICATION_FACTOR', 38, 400, 4400, false],
  ['INVALID_CONFIG', 40, 400, 4400, false],
  ['INVALID_REQUEST', 42, 400, 4400, false],
  ['UNSUPPORTED_FOR_MESSAGE_FORMAT', 43, 400, 4400, false],
  ['KAFKA_STORAGE_ERROR', 56, 500, 1011, true],
  ['NON_EMPTY_GROUP', 68, 409, 4409, false],
  ['GROUP_ID_NOT_FOUND', 69, 404, 4404, false],
  ['UNSUPPORTED_COMPRESSION_TYPE', 76, 415, 4415, false],
  ['MEMBER_ID_REQUIRED', 79, 409, 4409, false],
  ['GROUP_MAX_SIZE_REACHED', 81, 409, 4409, false],
  ['INVALID_RECORD', 87, 400, 4400, false],
  // copyless private range: Kafka has no code for these.
  ['FETCH_MODE_UNAVAILABLE', 20001, 501, 4501, false],
  ['LIMIT_EXCEEDED', 20002, 413, 1009, false],
  ['PAGE_CACHE_EXHAUSTED', 20003, 503, 1013, true],
  ['CONNECTION_LIMIT', 20004, 503, 1013, true],
  ['MAPPED_READ_PAST_END', 20005, 500, 1011, false],
  ['UNAUTHORIZED', 20006, 401, 4401, false],
  ['SLOW_CONSUMER', 20007, 429, 4429, false],
  ['NOT_FOUND', 20008, 404, 4404, false],
  ['BROKER_SHUTTING_DOWN', 20009, 503, 1001, true],
  ['CONNECTION_CLOSED', 20010, 503, 1006, true],
] as const;

export type ErrorName = (typeof TABLE)[number][0];

const byName = new Map<string, ErrorInfo>();
const byCode = new Map<number, ErrorInfo>();
for (const [name, code, httpStatus, wsClose, retriable] of TABLE) {
  const info: ErrorInfo = { code, name, httpStatus, wsClose, retriable };
  byName.set(name, info);
  byCode.set(code, info);
}

/** Error codes by name, e.g. `ErrorCode.OFFSET_OUT_OF_RANGE === 1`. */
export const ErrorCode = Object.fromEntries(TABLE.map(([name, code]) => [name, code])) as {
  readonly [K in ErrorName]: number;
};

export function errorInfo(code: number): ErrorInfo {
  return byCode.get(code) ?? { code, name: `UNKNOWN_ERROR_${code}`, httpStatus: 500, wsClose: 1011, retriable: false };
}

export function errorInfoByName(name: ErrorName): ErrorInfo {
  return byName.get(name)!;
}

/** Extra facts an error carries: what was asked for and which limit refused it. */
export interface ErrorDetails {
  topic?: string;
  partition?: number;
  offset?: number;
  /** Name of the limit or config option that refused the request, e.g. `frameBytesMax`. */
  limit?: string;
  /** The limit's value. */
  max?: number;
  /** The value that was refused. */
  actual?: number;
  field?: string;
  [key: string]: unknown;
}

/**
 * The one error class every layer throws for a client's mistake or a refused
 * request. `code` is the stable wire number, `errorName` its Kafka-style name.
 */
export class CopylessError extends Error {
  readonly code: number;
  readonly errorName: string;
  readonly details: ErrorDetails;

  constructor(nameOrCode: ErrorName | number, message?: string, details: ErrorDetails = {}) {
    const info = typeof nameOrCode === 'number' ? errorInfo(nameOrCode) : errorInfoByName(nameOrCode);
    super(message ?? `${info.name} (${info.code})`);
    this.name = 'CopylessError';
    this.code = info.code;
    this.errorName = info.name;
    this.details = details;
  }

  get retriable(): boolean {
    return errorInfo(this.code).retriable;
  }

  get httpStatus(): number {
    return errorInfo(this.code).httpStatus;
  }

  toJSON(): { code: number; name: string; message: string; details?: ErrorDetails } {
    const out: { code: number; name: string; message: string; details?: ErrorDetails } = {
      code: this.code,
      name: this.errorName,
      message: this.message,
    };
    if (Object.keys(this.details).length > 0) out.details = this.details;
    return out;
  }
}

/** A request exceeded a named limit. The message names the limit, its value and the value refused. */
export function limitError(
  name: ErrorName,
  limit: string,
  max: number,
  actual: number,
  what: string,
  details: ErrorDetails = {},
): CopylessError {
  return new CopylessError(name, `${what} is ${actual} bytes, over ${limit}=${max}`, { ...details, limit, max, actual });
}

export function isCopylessError(e: unknown): e is CopylessError {
  return e instanceof CopylessError;
}

/** Map any thrown value to a CopylessError (unknown failures become UNKNOWN_SERVER_ERROR). */
export function toCopylessError(e: unknown): CopylessError {
  if (e instanceof CopylessError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new CopylessError('UNKNOWN_SERVER_ERROR', message);
}

/** Our own invariant. A failure is a bug in copyless, never a client's mistake. */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new Error(`copyless invariant: ${message}`);
}
