// Fetch for the HTTP and WebSocket APIs: one partition from one offset,
// through broker.fetch (long-poll included) and broker.serve (a fetch mode,
// counted in the broker's per-mode accounting exactly like a Kafka Fetch).
//
// Decoded JSON records need the bytes in user space, so that path is always
// served with the `copy` mode (read + write) and says so in its answer; the
// raw path (raw-fetch.ts, WebSocket binary frames) keeps the mode asked for.

import { CopylessError } from '../../src/errors.ts';
import { FETCH_BYTES_MAX, FETCH_WAIT_MS_MAX } from '../../src/limits.ts';
import { decodeRecordsUntilFailure } from '../../src/record/index.ts';
import { validateTopicName } from '../../src/topic-name.ts';
import { parseFetchMode, type FetchMode } from '../../src/fetch/fetch-mode.ts';
import type { FetchAccounting } from '../../src/fetch/accounting.ts';
import type { Broker, FetchResult } from '../broker.ts';
import { recordToJson, type BytesEncoding, type JsonRecord } from './json-records.ts';

export type OffsetSpec = number | 'earliest' | 'latest';

export interface PartitionFetchRequest {
  topic: string;
  partition: number;
  offset: OffsetSpec;
  maxBytes: number;
  maxWaitMs: number;
}

export const JSON_FETCH_NOTE = 'records are decoded in user space, so this fetch was served with the copy mode (read + write); ask for Accept: application/octet-stream to use another mode';

export interface JsonFetchResult {
  topic: string;
  partition: number;
  fetchMode: 'copy';
  requestedFetchMode: FetchMode | null;
  note: string;
  highWatermark: number;
  logStartOffset: number;
  /** Where the next fetch should start: one past the last record returned, or the offset asked for. */
  nextOffset: number;
  records: JsonRecord[];
  accounting: FetchAccounting | null;
}

/** `earliest` / `latest` / -2 / -1 (Kafka ListOffsets markers) or an offset, resolved against the partition now. */
export function resolveOffset(broker: Broker, topic: string, partition: number, offset: OffsetSpec): number {
  if (offset === 'earliest' || offset === -2) return broker.listOffset(topic, partition, -2).offset;
  if (offset === 'latest' || offset === -1) return broker.listOffset(topic, partition, -1).offset;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new CopylessError('INVALID_REQUEST', `offset is ${String(offset)}, must be an integer >= 0, "earliest" or "latest"`, { field: 'offset' });
  }
  return offset;
}

export function parseOptionalFetchMode(v: unknown): FetchMode | null {
  if (v === undefined || v === null || v === '') return null;
  return parseFetchMode(String(v));
}

export function checkFetchLimits(maxBytes: number, maxWaitMs: number): void {
  if (maxBytes > FETCH_BYTES_MAX) {
    throw new CopylessError('LIMIT_EXCEEDED', `maxBytes is ${maxBytes}, over fetchBytesMax=${FETCH_BYTES_MAX}`, {
      field: 'maxBytes',
      limit: 'fetchBytesMax',
      max: FETCH_BYTES_MAX,
      actual: maxBytes,
    });
  }
  if (maxWaitMs > FETCH_WAIT_MS_MAX) {
    throw new CopylessError('LIMIT_EXCEEDED', `maxWaitMs is ${maxWaitMs} ms, over fetchWaitMsMax=${FETCH_WAIT_MS_MAX} ms`, {
      field: 'maxWaitMs',
      limit: 'fetchWaitMsMax',
      max: FETCH_WAIT_MS_MAX,
      actual: maxWaitMs,
    });
  }
}

/**
 * Long-poll one partition. The result holds segment references (release it);
 * a partition error (unknown partition, offset out of range) is thrown as its
 * typed error instead of being returned.
 */
export async function fetchPartition(broker: Broker, req: PartitionFetchRequest, signal?: AbortSignal): Promise<{ result: FetchResult; fetchOffset: number }> {
  validateTopicName(req.topic);
  checkFetchLimits(req.maxBytes, req.maxWaitMs);
  const fetchOffset = resolveOffset(broker, req.topic, req.partition, req.offset);
  const result = await broker.fetch(
    {
      partitions: [{ topic: req.topic, partition: req.partition, fetchOffset, maxBytes: req.maxBytes }],
      maxWaitMs: req.maxWaitMs,
      minBytes: 1,
      maxBytes: req.maxBytes,
    },
    signal,
  );
  const p = result.partitions[0];
  if (p.errorCode !== 0) {
    result.release();
    throw new CopylessError(p.errorCode, partitionErrorMessage(p.errorCode, req.topic, req.partition, fetchOffset, p), {
      topic: req.topic,
      partition: req.partition,
      offset: fetchOffset,
    });
  }
  return { result, fetchOffset };
}

function partitionErrorMessage(code: number, topic: string, partition: number, offset: number, p: { logStartOffset: number; highWatermark: number }): string {
  const name = new CopylessError(code).errorName;
  if (name === 'OFFSET_OUT_OF_RANGE') {
    return `offset ${offset} is outside ${topic}-${partition}'s log${p.highWatermark >= 0 ? ` [${p.logStartOffset}, ${p.highWatermark}]` : ''}`;
  }
  return `${name} for ${topic}-${partition} at offset ${offset}`;
}

/** The JSON fetch: copy mode, decode, drop the records of the first batch that precede the offset asked for. */
export async function fetchJson(
  broker: Broker,
  req: PartitionFetchRequest & { encoding: BytesEncoding; requestedFetchMode: FetchMode | null },
  signal?: AbortSignal,
): Promise<JsonFetchResult> {
  const { result, fetchOffset } = await fetchPartition(broker, req, signal);
  const p = result.partitions[0];
  const served = broker.serve(result, 'copy');
  try {
    const parts = served.records[0]?.parts ?? [];
    const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts as Buffer[]);
    // Records before a batch that cannot be decoded are answered; the next fetch, starting at that batch, reports it.
    const decoded = decodeRecordsUntilFailure(bytes);
    const records = decoded.records.filter((r) => r.offset >= fetchOffset).map((r) => recordToJson(r, req.encoding));
    if (records.length === 0 && decoded.failure) throw decoded.failure.error;
    return {
      topic: req.topic,
      partition: req.partition,
      fetchMode: 'copy',
      requestedFetchMode: req.requestedFetchMode,
      note: JSON_FETCH_NOTE,
      highWatermark: p.highWatermark,
      logStartOffset: p.logStartOffset,
      nextOffset: records.length > 0 ? records[records.length - 1].offset + 1 : fetchOffset,
      records,
      accounting: served.accounting,
    };
  } finally {
    served.release();
  }
}
