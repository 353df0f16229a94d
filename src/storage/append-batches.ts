// The batches of one produce payload, before anything is written: each is
// validated (record-batch.ts validateBatch, plus the partition's own rules),
// its maxTimestamp settled, and then numbered from the log end offset. A
// payload with one bad batch appends nothing.

import { CopylessError, assert, limitError } from '../errors.ts';
import { settleMaxTimestamp, validateBatch } from '../record/record-batch.ts';
import type { ProducerBatchHeader } from './producer-state.ts';
import type { AppendedBatch } from './segment.ts';

/** A batch of a produce payload, validated, with the offsets it will get. */
export type PendingBatch = AppendedBatch & { lastOffsetDelta: number; producer: ProducerBatchHeader | null };

export interface PayloadLimits {
  /** The topic's segmentBytes: a payload never spans segments. */
  segmentBytes: number;
  /** The topic's messageBytesMax: the largest batch. */
  messageBytesMax: number;
  topic: string;
  partition: number;
}

/**
 * Validates every batch of the payload (validateBatch) and that they fill
 * it exactly, and settles each batch's maxTimestamp (a header field set in
 * place, CRC recomputed, records unchanged; see settleMaxTimestamp) so the
 * time index sees the records' real times even when a client sent -1.
 * Every failure is the client's: a typed error naming the field or limit.
 */
export function validatePayload(payload: Buffer, o: PayloadLimits): PendingBatch[] {
  const where = { topic: o.topic, partition: o.partition };
  if (!Buffer.isBuffer(payload) || payload.length === 0) {
    throw new CopylessError('INVALID_RECORD', 'records must hold at least one record batch', { field: 'records', ...where });
  }
  if (payload.length > o.segmentBytes) {
    throw limitError('RECORD_LIST_TOO_LARGE', 'segmentBytes', o.segmentBytes, payload.length, 'produce payload', where);
  }
  const batches: PendingBatch[] = [];
  const limit = { batchBytesMax: o.messageBytesMax };
  for (let at = 0; at < payload.length; ) {
    const h = validateBatch(payload, at, limit);
    if (h.isTransactional) {
      throw new CopylessError('INVALID_TXN_STATE', `record batch at byte ${at} is transactional; copyless does not support transactions`, {
        field: 'attributes',
        ...where,
      });
    }
    const maxTimestamp = settleMaxTimestamp(payload, at, h);
    const producer = h.producerId >= 0 ? { producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, lastOffsetDelta: h.lastOffsetDelta } : null;
    batches.push({ at, totalBytes: h.totalBytes, lastOffsetDelta: h.lastOffsetDelta, lastOffset: 0, maxTimestamp, producer });
    at += h.totalBytes;
  }
  return batches;
}

/** Gives the batches consecutive offsets from `logEndOffset`; returns the next log end offset and the largest maxTimestamp. */
export function assignOffsets(batches: PendingBatch[], logEndOffset: number): { nextOffset: number; maxTimestamp: number } {
  let next = logEndOffset;
  let maxTimestamp = -1;
  for (const b of batches) {
    assert(b.lastOffsetDelta >= 0, 'a validated batch has lastOffsetDelta >= 0');
    b.lastOffset = next + b.lastOffsetDelta;
    next = b.lastOffset + 1;
    if (b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
  }
  return { nextOffset: next, maxTimestamp };
}
