// The raw HTTP fetch: the stored batch bytes of one partition, unchanged, as
// the body of the answer, served by the fetch mode asked for and counted in
// the broker's per-mode accounting exactly as a Kafka Fetch is.
//
// Modelled modes give page-cache views (or one copy, for `copy`): they are
// written to the response socket one by one in a corked burst (libuv turns
// it into writev), never joined, and released after the last write's
// callback (or when the connection closes first).
// Native modes give file ranges: the headers are flushed through Node, then
// the addon sends the ranges itself (sendfile(2), or pread+write) once Node's
// write queue is empty, and the real system calls are counted afterwards. The
// answer carries Content-Length, so the connection stays usable for the next
// request; the accounting of a native send is not in the headers (they left
// before the send) but in GET /broker/stats and /metrics.
//
// Answer headers: Content-Type (the raw type asked for), Content-Length, and
//   X-Copyless-Fetch-Mode, X-Copyless-Fetch-Offset, X-Copyless-High-Watermark,
//   X-Copyless-Log-Start-Offset, X-Copyless-Next-Offset (modelled modes: one
//   past the last batch's last offset), X-Copyless-Accounting (modelled
//   modes: the per-fetch accounting as JSON).

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCopylessError } from '../../src/errors.ts';
import { isModelledMode, type FetchMode } from '../../src/fetch/fetch-mode.ts';
import type { Chunk } from '../../src/protocol/index.ts';
import type { FileRangeChunk, ServedRecords } from '../broker.ts';
import { sendSequence } from '../native/index.ts';
import type { HttpContext } from './context.ts';
import { scanBatches } from './batch-scan.ts';
import { fetchPartition, type PartitionFetchRequest } from './fetch.ts';

/** Media types of stored-format record batches: raw produce bodies and raw fetch answers. */
export const RAW_BATCH_MEDIA_TYPES = ['application/vnd.kafka.recordbatch', 'application/octet-stream'] as const;

/** True when the Accept header names a raw batch type (then the answer is the stored bytes, not JSON). */
export function isRawAccept(accept: string | undefined): boolean {
  return rawAnswerType(accept) !== null;
}

function rawAnswerType(accept: string | undefined): string | null {
  const asked = (accept ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  return RAW_BATCH_MEDIA_TYPES.find((t) => asked.includes(t)) ?? null;
}

export async function sendRawFetch(
  ctx: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
  req: PartitionFetchRequest & { fetchMode: FetchMode },
  signal: AbortSignal,
): Promise<void> {
  ctx.broker.assertModeAvailable(req.fetchMode);
  const { result, fetchOffset } = await fetchPartition(ctx.broker, req, signal);
  const p = result.partitions[0];
  // The copy mode allocates the answer: it waits for room in the held-bytes budget first (views pin cache pages instead).
  const charged = req.fetchMode === 'copy' ? result.bytes : 0;
  if (charged > 0 && !(await ctx.heldBytes.reserve(charged, signal))) {
    result.release();
    reply.hijack();
    reply.raw.destroy();
    return;
  }
  let served: ServedRecords;
  try {
    served = await ctx.broker.serve(result, req.fetchMode);
  } catch (e) {
    ctx.heldBytes.release(charged);
    throw e;
  }
  const release = once((sent: boolean) => {
    served.release({ sent });
    ctx.heldBytes.release(charged);
  });
  const records = served.records[0];
  const bytes = records?.byteLength ?? 0;
  const headers: Record<string, string | number> = {
    'content-type': rawAnswerType(request.headers.accept) ?? RAW_BATCH_MEDIA_TYPES[1],
    'content-length': bytes,
    'x-copyless-fetch-mode': served.mode,
    'x-copyless-fetch-offset': fetchOffset,
    'x-copyless-high-watermark': p.highWatermark,
    'x-copyless-log-start-offset': p.logStartOffset,
  };
  reply.hijack();
  request.copylessBytesOut = bytes;
  const res = reply.raw;
  if (isModelledMode(served.mode)) {
    const views = (records?.parts ?? []) as Buffer[];
    headers['x-copyless-next-offset'] = scanBatches(views).nextOffset ?? fetchOffset;
    if (served.accounting) headers['x-copyless-accounting'] = JSON.stringify(served.accounting);
    writeViews(res, headers, views, release, ctx.broker.config.connectionStallMs);
  } else {
    await writeNative(ctx, res, headers, records?.parts ?? [], served);
  }
}

function once<A extends unknown[]>(f: (...args: A) => void): (...args: A) => void {
  let done = false;
  return (...args: A) => {
    if (done) return;
    done = true;
    f(...args);
  };
}

function setHeaders(res: ServerResponse, headers: Record<string, string | number>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.writeHead(200);
}

/**
 * Write the views in one corked burst; `release` runs once the socket has
 * taken the last one (sent), or when the connection closes first (sent only if
 * the response finished). An answer not taken within stallMs is cut off (the
 * socket destroyed), so a reader that stopped does not hold pinned pages or a
 * copy for good.
 */
function writeViews(res: ServerResponse, headers: Record<string, string | number>, views: Buffer[], release: (sent: boolean) => void, stallMs: number): void {
  const stall = setTimeout(() => res.destroy(), stallMs);
  const done = (error?: Error | null) => {
    clearTimeout(stall);
    release(!error);
  };
  res.once('close', () => {
    clearTimeout(stall);
    release(res.writableFinished);
  });
  setHeaders(res, headers);
  if (views.length === 0) {
    res.end(done);
    return;
  }
  const socket = res.socket;
  socket?.cork();
  for (let i = 0; i < views.length - 1; i++) res.write(views[i]);
  res.write(views[views.length - 1], done);
  res.end();
  if (socket) process.nextTick(() => socket.uncork());
}

async function writeNative(ctx: HttpContext, res: ServerResponse, headers: Record<string, string | number>, parts: Chunk[], served: ServedRecords): Promise<void> {
  let failed = false;
  try {
    setHeaders(res, headers);
    res.flushHeaders();
    const socket = await responseSocket(res);
    if (!socket) {
      failed = true;
      return;
    }
    if (parts.length > 0) {
      const ranges = parts.map((c) => {
        const r = c as FileRangeChunk;
        return { fd: r.fd, position: r.position, length: r.byteLength };
      });
      const real = await sendSequence(socket, ranges, { mode: served.mode === 'native-sendfile' ? 'sendfile' : 'copy' });
      ctx.broker.completeNative(served, real);
    }
    res.end();
  } catch (e) {
    ctx.logger.debug({ err: toCopylessError(e).message }, 'native HTTP send failed');
    res.destroy();
    failed = true;
  } finally {
    served.release({ sent: !failed });
  }
}

/**
 * The socket this answer is written to, once it is this answer's turn. A
 * keep-alive client may send its next request as soon as the last body byte
 * arrives, before the previous answer has ended; Node then queues the new
 * answer without a socket (its writes are buffered and flushed on 'socket').
 * Native bytes bypass that buffer, so they must wait for the 'socket' event.
 * Null when the connection closes first.
 */
function responseSocket(res: ServerResponse): Promise<Socket | null> {
  if (res.socket) return Promise.resolve(res.socket);
  return new Promise((resolve) => {
    const done = (socket: Socket | null) => {
      res.off('socket', onSocket);
      res.off('close', onClose);
      resolve(socket);
    };
    const onSocket = (socket: Socket) => done(socket);
    const onClose = () => done(null);
    res.once('socket', onSocket);
    res.once('close', onClose);
  });
}
