// A consumer's options: the public shape (Kafka's and kafkajs's names where
// they have one), the defaults from src/limits.ts, and the checks that turn a
// bad value into INVALID_CONFIG naming the field and its limit. The group
// options (groupId, session timeouts, assignors, ...) are the group layer's
// (client/group/group-session.ts).

import { CopylessError } from '../src/errors.ts';
import {
  CONSUMER_FETCH_BYTES_DEFAULT,
  CONSUMER_FETCH_WAIT_MS_DEFAULT,
  CONSUMER_PARTITION_FETCH_BYTES_DEFAULT,
  FETCH_BYTES_MAX,
  FETCH_WAIT_MS_MAX,
} from '../src/limits.ts';
import type { GroupOptions } from './group/group-session.ts';

export interface ConsumerOptions extends GroupOptions {
  /** copyless only: the fetch mode of this consumer's fetch connections (CopylessSetFetchMode). */
  fetchMode?: string;
  /** copyless only: scatter-gather DMA for the sendfile mode. */
  sgDma?: boolean;
  maxBytes?: number;
  maxBytesPerPartition?: number;
  maxWaitMs?: number;
  minBytes?: number;
  /**
   * Kafka's auto.offset.reset for a position out of the log's range (an
   * explicit offset past the end, or one retention deleted): 'earliest'
   * (default) and 'latest' move it to the log's start or end; 'none' ends
   * run() with a typed OFFSET_OUT_OF_RANGE error whose details carry the
   * offset and the log's range (logStartOffset, logEndOffset). A group
   * member's partition without a committed offset starts where
   * subscribe({ fromBeginning }) says.
   */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** Let `assign` create a missing topic where the broker auto-creates topics (default true, as kafkajs). */
  allowAutoTopicCreation?: boolean;
  /**
   * Verify the CRC-32C of every fetched batch (default true, as the Java
   * client's check.crcs). It costs one pass over the bytes at about 6 GB/s
   * (hardware CRC); turn it off only where TCP's checksum is trusted enough.
   */
  checkCrcs?: boolean;
}

/** A consumer's options once defaults are applied and every value is checked. */
export interface ConsumerSettings {
  fetchMode: string | undefined;
  sgDma: boolean | undefined;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  minBytes: number;
  autoOffsetReset: 'earliest' | 'latest' | 'none';
  allowAutoTopicCreation: boolean;
  checkCrcs: boolean;
}

export function resolveConsumerOptions(o: ConsumerOptions = {}): ConsumerSettings {
  const s: ConsumerSettings = {
    fetchMode: o.fetchMode,
    sgDma: o.sgDma,
    maxBytes: o.maxBytes ?? CONSUMER_FETCH_BYTES_DEFAULT,
    maxBytesPerPartition: o.maxBytesPerPartition ?? CONSUMER_PARTITION_FETCH_BYTES_DEFAULT,
    maxWaitMs: o.maxWaitMs ?? CONSUMER_FETCH_WAIT_MS_DEFAULT,
    minBytes: o.minBytes ?? 1,
    autoOffsetReset: o.autoOffsetReset ?? 'earliest',
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? true,
    checkCrcs: o.checkCrcs ?? true,
  };
  const ranges = {
    maxBytes: [1, FETCH_BYTES_MAX, 'FETCH_BYTES_MAX'],
    maxBytesPerPartition: [1, FETCH_BYTES_MAX, 'FETCH_BYTES_MAX'],
    maxWaitMs: [0, FETCH_WAIT_MS_MAX, 'FETCH_WAIT_MS_MAX'],
    minBytes: [0, FETCH_BYTES_MAX, 'FETCH_BYTES_MAX'],
  } as const;
  for (const [field, [min, max, limit]] of Object.entries(ranges) as [keyof typeof ranges, readonly [number, number, string]][]) {
    if (!Number.isInteger(s[field]) || s[field] < min || s[field] > max) {
      throw new CopylessError('INVALID_CONFIG', `${field} must be an integer in [${min}, ${max}] (${limit}), got ${s[field]}`, { field, limit, max });
    }
  }
  if (s.fetchMode !== undefined && (typeof s.fetchMode !== 'string' || s.fetchMode === '')) {
    throw new CopylessError('INVALID_CONFIG', 'fetchMode must be a non-empty string', { field: 'fetchMode' });
  }
  if (typeof s.checkCrcs !== 'boolean') {
    throw new CopylessError('INVALID_CONFIG', `checkCrcs must be true or false, got ${String(s.checkCrcs)}`, { field: 'checkCrcs' });
  }
  if (!['earliest', 'latest', 'none'].includes(s.autoOffsetReset)) {
    throw new CopylessError('INVALID_CONFIG', `autoOffsetReset must be 'earliest', 'latest' or 'none'`, { field: 'autoOffsetReset' });
  }
  return s;
}
