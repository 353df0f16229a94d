// The JSON HTTP fetch, streamed: records are read, decoded and written in
// rounds of HTTP_JSON_ROUND_BYTES record bytes, and the next round starts only
// once the client has taken the last one (the socket drained) and the
// broker-wide budget of held answer bytes (httpHeldBytesMax) has room. A slow
// reader of a 64 MiB fetch so holds one round, not a 64 MiB copy plus its
// decoded objects plus its JSON text, and no round blocks the event loop for
// long. An answer that has not drained for connectionStallMs is cut off (the
// socket destroyed), so a reader that stopped frees its round.
//
// The answer is one JSON object, written in this order:
//   {"topic", "partition", "fetchMode": "copy", "requestedFetchMode", "note",
//    "highWatermark", "logStartOffset",     (as of the first round)
//    "records": [...],                      (round by round)
//    "nextOffset", "accounting"}            (known at the end; accounting sums the rounds)
// Errors found before the first byte (unknown partition, offset out of range,
// limits) are answered as usual; a failure after it destroys the connection,
// so a client never mistakes a cut answer for a whole one.

import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { toCopylessError } from '../../src/errors.ts';
import { HTTP_JSON_ROUND_BYTES } from '../../src/limits.ts';
import { decodeRecordsUntilFailure, type BatchFailure, type DecodedRecord } from '../../src/record/index.ts';
import type { FetchMode } from '../../src/fetch/fetch-mode.ts';
import { addAccounting, emptyAccounting, type FetchAccounting } from '../../src/fetch/accounting.ts';
import type { Broker, FetchResult } from '../broker.ts';
import type { ByteBudget } from '../byte-budget.ts';
import type { HttpContext } from './context.ts';
import { checkFetchLimits, fetchPartition, JSON_FETCH_NOTE, type PartitionFetchRequest } from './fetch.ts';
import { recordToJson, type BytesEncoding } from './json-records.ts';

export interface JsonFetchRequest extends PartitionFetchRequest {
  encoding: BytesEncoding;
  requestedFetchMode: FetchMode | null;
}

/**
 * JSON text written per piece: a round is encoded in pieces of about this
 * size with a turn of the event loop between them, so one large batch (a
 * round is at least one whole batch, up to messageBytesMax) never holds the
 * loop for long.
 */
const JSON_PIECE_BYTES = 64 * 1024;

export async function streamJsonFetch(ctx: HttpContext, reply: FastifyReply, req: JsonFetchRequest, signal: AbortSignal): Promise<void> {
  const { broker } = ctx;
  const budget = ctx.heldBytes;
  checkFetchLimits(req.maxBytes, req.maxWaitMs);
  const firstLimit = Math.min(req.maxBytes, HTTP_JSON_ROUND_BYTES);
  // The first round long-polls and is decoded before anything is sent, so it may still fail with a typed error.
  const { result, fetchOffset } = await fetchPartition(broker, { ...req, maxBytes: firstLimit }, signal);
  const p = result.partitions[0];
  const accounting = emptyAccounting();
  let first: DecodedRound | null;
  try {
    first = await decodeRound(broker, result, { fetchOffset, budget, accounting, signal });
  } catch (e) {
    result.release();
    throw e;
  }
  // A batch that cannot be decoded, right at the offset asked for: reported alone, as a typed error.
  if (first?.failure && first.records.length === 0) {
    first.release();
    throw first.failure.error;
  }
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  const head = {
    topic: req.topic,
    partition: req.partition,
    fetchMode: 'copy',
    requestedFetchMode: req.requestedFetchMode,
    note: JSON_FETCH_NOTE,
    highWatermark: p.highWatermark,
    logStartOffset: p.logStartOffset,
  };
  let bytesOut = 0;
  const send = async (text: string, charged: number): Promise<boolean> => {
    bytesOut += Buffer.byteLength(text);
    return writeHeld(res, text, charged, budget, broker.config.connectionStallMs);
  };
  try {
    if (!(await send(`${JSON.stringify(head).slice(0, -1)},"records":[`, 0))) return;
    let round = first;
    let offset = fetchOffset;
    let sentRecordBytes = 0;
    const state = { first: true };
    while (round !== null) {
      const sent = await sendRound(round, { fetchOffset: offset, encoding: req.encoding, state, budget, send });
      if (sent === null) break;
      offset = sent.nextOffset;
      sentRecordBytes += sent.recordBytes;
      // A batch that cannot be decoded ends the answer after the records before it; a fetch from its offset reports it.
      if (round.failure) break;
      const next = await nextRound(broker, req, offset, req.maxBytes - sentRecordBytes, signal);
      round = next && (await decodeRound(broker, next, { fetchOffset: offset, budget, accounting, signal }));
    }
    if (res.destroyed) return;
    await send(`],"nextOffset":${offset},"accounting":${JSON.stringify(accounting)}}`, 0);
    res.end();
  } catch (e) {
    ctx.logger.debug({ err: toCopylessError(e).message, topic: req.topic, partition: req.partition }, 'JSON fetch cut off');
    res.destroy();
  } finally {
    result.release();
    reply.request.copylessBytesOut = bytesOut;
  }
}

/** The next round's fetch (no long-poll), or null when the log is caught up or maxBytes is reached. */
async function nextRound(broker: Broker, req: JsonFetchRequest, offset: number, remaining: number, signal: AbortSignal): Promise<FetchResult | null> {
  if (remaining <= 0 || signal.aborted) return null;
  const { result } = await fetchPartition(broker, { ...req, offset, maxBytes: Math.min(remaining, HTTP_JSON_ROUND_BYTES), maxWaitMs: 0 }, signal);
  // An empty round means caught up; a round whose first batch alone is past what is left is for the next fetch (KIP-74 applies to the first round only).
  if (result.bytes === 0 || result.bytes > remaining) {
    result.release();
    return null;
  }
  return result;
}

/** One round's records, decoded up to the first batch that cannot be; its budget bytes and pages are held until release. */
interface DecodedRound {
  records: DecodedRecord[];
  failure: BatchFailure | null;
  recordBytes: number;
  release(): void;
}

/**
 * Serve one round with the copy mode (its bytes charged to the budget before
 * they are copied) and decode it up to the first batch that cannot be
 * decoded. Null when the round had nothing to send (caught up) or no room
 * came before the client went away.
 */
async function decodeRound(
  broker: Broker,
  result: FetchResult,
  o: { fetchOffset: number; budget: ByteBudget; accounting: FetchAccounting; signal: AbortSignal },
): Promise<DecodedRound | null> {
  const { budget } = o;
  if (result.bytes === 0 || !(await budget.reserve(result.bytes, o.signal))) {
    result.release();
    return null;
  }
  try {
    const served = await broker.serve(result, 'copy');
    try {
      const parts = (served.records[0]?.parts ?? []) as Buffer[];
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      if (served.accounting) addAccounting(o.accounting, served.accounting);
      const decoded = decodeRecordsUntilFailure(bytes);
      const records = decoded.records.filter((r) => r.offset >= o.fetchOffset);
      return { records, failure: decoded.failure, recordBytes: result.bytes, release: once(() => budget.release(result.bytes)) };
    } finally {
      served.release();
    }
  } catch (e) {
    budget.release(result.bytes);
    throw e;
  }
}

/**
 * Write a decoded round's records as JSON in pieces: each piece is charged
 * while the socket holds it, and the next is encoded only once the socket has
 * drained and the event loop has had a turn. Releases the round. Null when
 * the round had no records or the answer was cut off.
 */
async function sendRound(
  round: DecodedRound,
  o: {
    fetchOffset: number;
    encoding: BytesEncoding;
    state: { first: boolean };
    budget: ByteBudget;
    send: (text: string, charged: number) => Promise<boolean>;
  },
): Promise<{ recordBytes: number; nextOffset: number } | null> {
  const { budget } = o;
  let nextOffset = o.fetchOffset;
  try {
    let piece = '';
    for (const r of round.records) {
      piece += (o.state.first ? '' : ',') + JSON.stringify(recordToJson(r, o.encoding));
      o.state.first = false;
      nextOffset = r.offset + 1;
      if (piece.length >= JSON_PIECE_BYTES) {
        if (!(await sendPiece(piece, budget, o.send))) return null;
        piece = '';
      }
    }
    if (piece.length > 0 && !(await sendPiece(piece, budget, o.send))) return null;
  } finally {
    round.release();
  }
  return nextOffset === o.fetchOffset ? null : { recordBytes: round.recordBytes, nextOffset };
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      f();
    }
  };
}

/** Charge a piece of text already made, write it, and give the event loop a turn. */
async function sendPiece(text: string, budget: ByteBudget, send: (text: string, charged: number) => Promise<boolean>): Promise<boolean> {
  const charged = Buffer.byteLength(text);
  budget.charge(charged);
  if (!(await send(text, charged))) return false;
  await new Promise((resolve) => setImmediate(resolve));
  return true;
}

/**
 * Write text whose `charged` budget bytes go back once the socket has taken
 * it, and wait until the socket has drained. False when the answer was cut
 * off: the client went away, or nothing drained for stallMs.
 */
function writeHeld(res: ServerResponse, text: string, charged: number, budget: ByteBudget, stallMs: number): Promise<boolean> {
  if (res.destroyed) {
    budget.release(charged);
    return Promise.resolve(false);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    budget.release(charged);
  };
  res.once('close', release);
  const drained = res.write(text, () => {
    res.off('close', release);
    release();
  });
  return drained ? Promise.resolve(true) : untilDrained(res, stallMs);
}

/** Resolves true on 'drain', false (the response destroyed) on close or after stallMs without draining. */
export function untilDrained(res: ServerResponse, stallMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (!ok) res.destroy();
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), stallMs);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
