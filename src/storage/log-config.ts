// The per-partition log configuration (Kafka's topic configs), its defaults and
// the bounds each field must respect. Kafka names in parentheses.

import { CopylessError } from '../errors.ts';
import {
  BATCH_BYTES_MAX_CEILING,
  BATCH_BYTES_MAX_DEFAULT,
  INDEX_BYTES_MAX,
  INDEX_INTERVAL_BYTES_DEFAULT,
  SEGMENT_BYTES_DEFAULT,
  SEGMENT_BYTES_MAX,
  SEGMENT_BYTES_MIN,
  SEGMENT_MS_DEFAULT,
} from '../limits.ts';
import { BATCH_HEADER_BYTES } from '../record/record-batch.ts';

export interface LogConfig {
  /** Roll the active segment before it would exceed this (segment.bytes). */
  segmentBytes: number;
  /** Roll the active segment once it is this old (segment.ms). */
  segmentMs: number;
  /** Bytes appended between two sparse index entries (index.interval.bytes). */
  indexIntervalBytes: number;
  /** Delete old segments while the log is larger than this; -1 = unlimited (retention.bytes). */
  retentionBytes: number;
  /** Delete segments whose newest record is older than this; -1 = unlimited (retention.ms). */
  retentionMs: number;
  /** fsync after this many appended records; Infinity = never (flush.messages). */
  flushIntervalMessages: number;
  /** fsync at least this often; Infinity = never (flush.ms). */
  flushIntervalMs: number;
  /** Largest batch accepted, log overhead included (max.message.bytes). */
  messageBytesMax: number;
  /** Size of each index file; a full index rolls the segment (segment.index.bytes). Default INDEX_BYTES_MAX. */
  indexBytesMax?: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** Kafka's retention.ms default: 7 days. */
export const RETENTION_MS_DEFAULT = 7 * DAY_MS;
/** Smallest index accepted: room for two time-index entries, so a segment can hold its final entry. */
export const INDEX_BYTES_MIN = 24;

export const LOG_CONFIG_DEFAULTS: LogConfig = Object.freeze({
  segmentBytes: SEGMENT_BYTES_DEFAULT,
  segmentMs: SEGMENT_MS_DEFAULT,
  indexIntervalBytes: INDEX_INTERVAL_BYTES_DEFAULT,
  retentionBytes: -1,
  retentionMs: RETENTION_MS_DEFAULT,
  flushIntervalMessages: Infinity,
  flushIntervalMs: Infinity,
  messageBytesMax: BATCH_BYTES_MAX_DEFAULT,
  indexBytesMax: INDEX_BYTES_MAX,
});

interface Bound {
  min: number;
  max: number;
  /** -1 means "unlimited" for this field. */
  unlimited?: boolean;
  /** Infinity means "never" for this field. */
  infinite?: boolean;
  why: string;
}

const BOUNDS: Record<keyof LogConfig, Bound> = {
  segmentBytes: { min: SEGMENT_BYTES_MIN, max: SEGMENT_BYTES_MAX, why: 'SEGMENT_BYTES_MIN..SEGMENT_BYTES_MAX' },
  segmentMs: { min: 1, max: Number.MAX_SAFE_INTEGER, infinite: true, why: 'at least 1 ms' },
  indexIntervalBytes: { min: 0, max: SEGMENT_BYTES_MAX, why: '0..SEGMENT_BYTES_MAX' },
  retentionBytes: { min: 0, max: Number.MAX_SAFE_INTEGER, unlimited: true, why: '-1 (unlimited) or >= 0' },
  retentionMs: { min: 0, max: Number.MAX_SAFE_INTEGER, unlimited: true, why: '-1 (unlimited) or >= 0' },
  flushIntervalMessages: { min: 1, max: Number.MAX_SAFE_INTEGER, infinite: true, why: 'at least 1, or Infinity (never)' },
  flushIntervalMs: { min: 1, max: Number.MAX_SAFE_INTEGER, infinite: true, why: 'at least 1, or Infinity (never)' },
  messageBytesMax: { min: BATCH_HEADER_BYTES, max: BATCH_BYTES_MAX_CEILING, why: 'a batch header (61) ..BATCH_BYTES_MAX_CEILING' },
  indexBytesMax: { min: INDEX_BYTES_MIN, max: INDEX_BYTES_MAX, why: 'INDEX_BYTES_MIN..INDEX_BYTES_MAX' },
};

function checkField(field: keyof LogConfig, value: unknown): number {
  const b = BOUNDS[field];
  const ok =
    typeof value === 'number' &&
    ((b.unlimited && value === -1) || (b.infinite && value === Infinity) || (Number.isSafeInteger(value) && value >= b.min && value <= b.max));
  if (!ok) {
    throw new CopylessError('INVALID_CONFIG', `${field} must be an integer in ${b.min}..${b.max} (${b.why}), got ${String(value)}`, {
      field,
      limit: field,
      max: b.max,
    });
  }
  return value as number;
}

/** Defaults filled in, every field checked; unknown fields are refused by name. */
export function validateLogConfig(c: Partial<LogConfig>): LogConfig {
  for (const key of Object.keys(c)) {
    if (!(key in BOUNDS)) {
      throw new CopylessError('INVALID_CONFIG', `unknown log config ${key}; known: ${Object.keys(BOUNDS).join(', ')}`, { field: key });
    }
  }
  const out = { ...LOG_CONFIG_DEFAULTS };
  for (const field of Object.keys(BOUNDS) as (keyof LogConfig)[]) {
    const value = c[field];
    if (value !== undefined) out[field] = checkField(field, value);
  }
  return out;
}
