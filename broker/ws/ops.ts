// The WebSocket protocol's client operations: one JSON text message each,
// parsed and checked here (no socket), with a CopylessError naming the field
// for any mistake. docs/http-api.md describes the protocol; in short:
//   {"op":"subscribe","topic":"demo","partition":0,"offset":"latest","format":"json"}
//       also "group":"g" (start each partition at the group's committed offset),
//       "format":"binary" (stored batch bytes as binary messages), "fetchMode",
//       "maxBytes", "encoding"; no "partition" = every partition of the topic
//   {"op":"subscribe","channel":"stats"}            broker.stats() every second
//       also "intervalMs", "include": ["activity","pageMap"], "connection" (the dashboard's parts,
//       broker/dashboard/messages.ts)
//   {"op":"unsubscribe","subscription":1} / {"op":"unsubscribe","channel":"stats"}
//   {"op":"produce","id":1,"topic":"demo","records":[{"value":"hi"}]}   -> {"op":"ack","id":1,...}
//   {"op":"ping"}                                   -> {"op":"pong"}
// Every op may carry an "id" (string or number) that its answer echoes.

import { CopylessError } from '../../src/errors.ts';
import { isModelledMode, parseFetchMode, type FetchMode } from '../../src/fetch/fetch-mode.ts';
import { WS_FETCH_BYTES_DEFAULT, WS_FETCH_BYTES_MAX, WS_STATS_INTERVAL_MS_MAX, WS_STATS_INTERVAL_MS_MIN } from '../../src/limits.ts';
import { validateTopicName } from '../../src/topic-name.ts';
import { native } from '../native/index.ts';
import type { OffsetSpec } from '../http/fetch.ts';
import { BYTES_ENCODINGS, parseJsonRecords, type BytesEncoding, type ParsedRecord } from '../http/json-records.ts';
import { parseAcks, PRODUCE_TIMEOUT_MS_DEFAULT } from '../http/produce.ts';
import { STATS_INCLUDES, type StatsInclude } from '../dashboard/messages.ts';

export type OpId = string | number | null;

export interface SubscribeOp {
  op: 'subscribe';
  id: OpId;
  topic: string;
  /** null: every partition of the topic. */
  partition: number | null;
  offset: OffsetSpec;
  group: string | null;
  format: 'json' | 'binary';
  /** JSON subscriptions are always served with `copy` (records are decoded in user space). */
  fetchMode: FetchMode | null;
  maxBytes: number;
  encoding: BytesEncoding;
}

/** Options of a stats subscription; absent when the subscriber gave none (then the answers keep their original shape). */
export interface StatsOptions {
  intervalMs: number | null;
  include: StatsInclude[];
  /** A Kafka connection id whose last fetch the activity part carries. */
  connection: number | null;
}

export type ClientOp =
  | SubscribeOp
  | { op: 'subscribe-stats'; id: OpId; options?: StatsOptions }
  | { op: 'unsubscribe'; id: OpId; subscription: number }
  | { op: 'unsubscribe-stats'; id: OpId }
  | { op: 'produce'; id: OpId; topic: string; partition: number | undefined; acks: number; timeoutMs: number; records: ParsedRecord[] }
  | { op: 'ping'; id: OpId };

export const OP_NAMES: readonly string[] = ['subscribe', 'unsubscribe', 'produce', 'ping'];

function invalid(field: string, message: string): CopylessError {
  return new CopylessError('INVALID_REQUEST', `${field} ${message}`, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The op's id, echoed in its answer and in errors about it, when the text is at least an object with an id. */
export function opIdOf(v: unknown): OpId {
  return isObject(v) && (typeof v.id === 'string' || typeof v.id === 'number') ? v.id : null;
}

function optionalInt(v: unknown, field: string, min: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Number.isSafeInteger(v) || (v as number) < min) throw invalid(field, `must be an integer >= ${min}`);
  return v as number;
}

function parseOffset(v: unknown): OffsetSpec {
  if (v === undefined || v === null) return 'latest';
  if (v === 'earliest' || v === 'latest') return v;
  if (Number.isSafeInteger(v) && (v as number) >= 0) return v as number;
  throw invalid('offset', 'must be "earliest", "latest" or an integer >= 0');
}

/** Parse one text message into an op. Throws INVALID_REQUEST (or the field's own code) naming the field. */
export function parseOp(text: string): ClientOp {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid('message', 'is not valid JSON');
  }
  if (!isObject(v)) throw invalid('message', 'must be a JSON object with an "op" field');
  const id = opIdOf(v);
  if (v.id !== undefined && id === null) throw invalid('id', 'must be a string or a number');
  switch (v.op) {
    case 'subscribe':
      if (v.channel === undefined) return parseSubscribe(v, id);
      checkChannel(v.channel);
      const options = parseStatsOptions(v);
      return options ? { op: 'subscribe-stats', id, options } : { op: 'subscribe-stats', id };
    case 'unsubscribe':
      if (v.channel !== undefined) {
        checkChannel(v.channel);
        return { op: 'unsubscribe-stats', id };
      }
      return { op: 'unsubscribe', id, subscription: optionalInt(v.subscription, 'subscription', 1) ?? missing('subscription') };
    case 'produce':
      return {
        op: 'produce',
        id,
        topic: validateTopicName(v.topic),
        partition: optionalInt(v.partition, 'partition', 0),
        acks: parseAcks(v.acks),
        timeoutMs: optionalInt(v.timeoutMs, 'timeoutMs', 1) ?? PRODUCE_TIMEOUT_MS_DEFAULT,
        records: parseJsonRecords(v.records),
      };
    case 'ping':
      return { op: 'ping', id };
    default:
      throw invalid('op', `is ${JSON.stringify(v.op)}, must be one of ${OP_NAMES.join(', ')}`);
  }
}

function missing(field: string): never {
  throw invalid(field, 'is required');
}

function checkChannel(v: unknown): void {
  if (v !== 'stats') throw invalid('channel', `is ${JSON.stringify(v)}, the only channel is "stats"`);
}

function parseStatsOptions(v: Record<string, unknown>): StatsOptions | null {
  if (v.intervalMs === undefined && v.include === undefined && v.connection === undefined) return null;
  const intervalMs = optionalInt(v.intervalMs, 'intervalMs', WS_STATS_INTERVAL_MS_MIN) ?? null;
  if (intervalMs !== null && intervalMs > WS_STATS_INTERVAL_MS_MAX) {
    throw new CopylessError('LIMIT_EXCEEDED', `intervalMs is ${intervalMs}, over wsStatsIntervalMsMax=${WS_STATS_INTERVAL_MS_MAX}`, {
      field: 'intervalMs',
      limit: 'wsStatsIntervalMsMax',
      max: WS_STATS_INTERVAL_MS_MAX,
      actual: intervalMs,
    });
  }
  const include = v.include ?? [];
  if (!Array.isArray(include) || !include.every((x) => (STATS_INCLUDES as readonly unknown[]).includes(x))) {
    throw invalid('include', `must be a list of ${STATS_INCLUDES.map((x) => JSON.stringify(x)).join(', ')}`);
  }
  return { intervalMs, include: [...new Set(include as StatsInclude[])], connection: optionalInt(v.connection, 'connection', 0) ?? null };
}

function parseSubscribe(v: Record<string, unknown>, id: OpId): SubscribeOp {
  const format = v.format ?? 'json';
  if (format !== 'json' && format !== 'binary') throw invalid('format', 'must be "json" or "binary"');
  const encoding = v.encoding ?? 'auto';
  if (!BYTES_ENCODINGS.includes(encoding as BytesEncoding)) throw invalid('encoding', `must be one of ${BYTES_ENCODINGS.join(', ')}`);
  if (v.group !== undefined && (typeof v.group !== 'string' || v.group.length === 0)) throw invalid('group', 'must be a non-empty string');
  const maxBytes = optionalInt(v.maxBytes, 'maxBytes', 1) ?? WS_FETCH_BYTES_DEFAULT;
  if (maxBytes > WS_FETCH_BYTES_MAX) {
    throw new CopylessError('LIMIT_EXCEEDED', `maxBytes is ${maxBytes}, over wsFetchBytesMax=${WS_FETCH_BYTES_MAX}`, {
      field: 'maxBytes',
      limit: 'wsFetchBytesMax',
      max: WS_FETCH_BYTES_MAX,
      actual: maxBytes,
    });
  }
  const fetchMode = v.fetchMode === undefined || v.fetchMode === null ? null : parseFetchMode(String(v.fetchMode));
  if (format === 'binary' && fetchMode && !isModelledMode(fetchMode)) {
    throw new CopylessError(
      'FETCH_MODE_UNAVAILABLE',
      `fetchMode ${fetchMode} sends file ranges straight to a raw socket; WebSocket frames are written by the ws library, so use copy, mmap, sendfile or splice here${native.available ? '' : ` (and the native addon is unavailable: ${native.reason})`}`,
      { field: 'fetchMode' },
    );
  }
  return {
    op: 'subscribe',
    id,
    topic: validateTopicName(v.topic),
    partition: optionalInt(v.partition, 'partition', 0) ?? null,
    offset: parseOffset(v.offset),
    group: (v.group as string | undefined) ?? null,
    format,
    fetchMode,
    maxBytes,
    encoding: encoding as BytesEncoding,
  };
}
