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
  // The rest of Apache Kafka's codes (Errors.java, 3.8): copyless never sends
  // most of them, but the client SDK can receive any of them from a real Kafka
  // broker and reports each by its Kafka name. Retriable as in Kafka's
  // RetriableException hierarchy.
  ['BROKER_NOT_AVAILABLE', 8, 503, 1013, false],
  ['REPLICA_NOT_AVAILABLE', 9, 503, 1013, true],
  ['STALE_CONTROLLER_EPOCH', 11, 503, 1013, false],
  ['OFFSET_METADATA_TOO_LARGE', 12, 413, 1009, false],
  ['NETWORK_EXCEPTION', 13, 503, 1006, true],
  ['NOT_ENOUGH_REPLICAS', 19, 503, 1013, true],
  ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20, 503, 1013, true],
  ['CLUSTER_AUTHORIZATION_FAILED', 31, 403, 4403, false],
  ['INVALID_TIMESTAMP', 32, 400, 4400, false],
  ['UNSUPPORTED_SASL_MECHANISM', 33, 400, 4400, false],
  ['ILLEGAL_SASL_STATE', 34, 400, 4400, false],
  ['INVALID_REPLICA_ASSIGNMENT', 39, 400, 4400, false],
  ['NOT_CONTROLLER', 41, 503, 1013, true],
  ['POLICY_VIOLATION', 44, 400, 4400, false],
  ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45, 409, 4409, false],
  ['DUPLICATE_SEQUENCE_NUMBER', 46, 409, 4409, false],
  ['INVALID_PRODUCER_EPOCH', 47, 409, 4409, false],
  ['INVALID_TXN_STATE', 48, 409, 4409, false],
  ['INVALID_PRODUCER_ID_MAPPING', 49, 400, 4400, false],
  ['INVALID_TRANSACTION_TIMEOUT', 50, 400, 4400, false],
  ['CONCURRENT_TRANSACTIONS', 51, 409, 4409, true],
  ['TRANSACTION_COORDINATOR_FENCED', 52, 409, 4409, false],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, 403, 4403, false],
  ['SECURITY_DISABLED', 54, 400, 4400, false],
  ['OPERATION_NOT_ATTEMPTED', 55, 500, 1011, false],
  ['LOG_DIR_NOT_FOUND', 57, 404, 4404, false],
  ['SASL_AUTHENTICATION_FAILED', 58, 401, 4401, false],
  ['UNKNOWN_PRODUCER_ID', 59, 400, 4400, false],
  ['REASSIGNMENT_IN_PROGRESS', 60, 409, 4409, false],
  ['DELEGATION_TOKEN_AUTH_DISABLED', 61, 400, 4400, false],
  ['DELEGATION_TOKEN_NOT_FOUND', 62, 404, 4404, false],
  ['DELEGATION_TOKEN_OWNER_MISMATCH', 63, 403, 4403, false],
  ['DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', 64, 403, 4403, false],
  ['DELEGATION_TOKEN_AUTHORIZATION_FAILED', 65, 403, 4403, false],
  ['DELEGATION_TOKEN_EXPIRED', 66, 401, 4401, false],
  ['INVALID_PRINCIPAL_TYPE', 67, 400, 4400, false],
  ['FETCH_SESSION_ID_NOT_FOUND', 70, 409, 4409, true],
  ['INVALID_FETCH_SESSION_EPOCH', 71, 409, 4409, true],
  ['LISTENER_NOT_FOUND', 72, 503, 1013, true],
  ['TOPIC_DELETION_DISABLED', 73, 403, 4403, false],
  ['FENCED_LEADER_EPOCH', 74, 409, 4409, true],
  ['UNKNOWN_LEADER_EPOCH', 75, 409, 4409, true],
  ['STALE_BROKER_EPOCH', 77, 409, 4409, false],
  ['OFFSET_NOT_AVAILABLE', 78, 503, 1013, true],
  ['PREFERRED_LEADER_NOT_AVAILABLE', 80, 503, 1013, true],
  ['FENCED_INSTANCE_ID', 82, 409, 4409, false],
  ['ELIGIBLE_LEADERS_NOT_AVAILABLE', 83, 503, 1013, true],
  ['ELECTION_NOT_NEEDED', 84, 409, 4409, false],
  ['NO_REASSIGNMENT_IN_PROGRESS', 85, 409, 4409, false],
  ['GROUP_SUBSCRIBED_TO_TOPIC', 86, 409, 4409, false],
  ['UNSTABLE_OFFSET_COMMIT', 88, 409, 4409, true],
  ['THROTTLING_QUOTA_EXCEEDED', 89, 429, 4429, true],
  ['PRODUCER_FENCED', 90, 409, 4409, false],
  ['RESOURCE_NOT_FOUND', 91, 404, 4404, false],
  ['DUPLICATE_RESOURCE', 92, 409, 4409, false],
  ['UNACCEPTABLE_CREDENTIAL', 93, 400, 4400, false],
  ['INCONSISTENT_VOTER_SET', 94, 409, 4409, false],
  ['INVALID_UPDATE_VERSION', 95, 400, 4400, false],
  ['FEATURE_UPDATE_FAILED', 96, 500, 1011, false],
  ['PRINCIPAL_DESERIALIZATION_FAILURE', 97, 500, 1011, false],
  ['SNAPSHOT_NOT_FOUND', 98, 404, 4404, false],
  ['POSITION_OUT_OF_RANGE', 99, 416, 4416, false],
  ['UNKNOWN_TOPIC_ID', 100, 404, 4404, true],
  ['DUPLICATE_BROKER_REGISTRATION', 101, 409, 4409, false],
  ['BROKER_ID_NOT_REGISTERED', 102, 404, 4404, false],
  ['INCONSISTENT_TOPIC_ID', 103, 409, 4409, true],
  ['INCONSISTENT_CLUSTER_ID', 104, 409, 4409, false],
  ['TRANSACTIONAL_ID_NOT_FOUND', 105, 404, 4404, false],
  ['FETCH_SESSION_TOPIC_ID_ERROR', 106, 409, 4409, true],
  ['INELIGIBLE_REPLICA', 107, 409, 4409, false],
  ['NEW_LEADER_ELECTED', 108, 409, 4409, false],
  ['OFFSET_MOVED_TO_TIERED_STORAGE', 109, 416, 4416, false],
  ['FENCED_MEMBER_EPOCH', 110, 409, 4409, false],
  ['UNRELEASED_INSTANCE_ID', 111, 409, 4409, false],
  ['UNSUPPORTED_ASSIGNOR', 112, 400, 4400, false],
  ['STALE_MEMBER_EPOCH', 113, 409, 4409, false],
  ['MISMATCHED_ENDPOINT_TYPE', 114, 400, 4400, false],
  ['UNSUPPORTED_ENDPOINT_TYPE', 115, 400, 4400, false],
  ['UNKNOWN_CONTROLLER_ID', 116, 404, 4404, false],
  // copyless private range, continued.
  ['UNSUPPORTED_MEDIA_TYPE', 20011, 415, 4415, false],
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
