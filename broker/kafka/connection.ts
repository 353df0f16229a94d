// One Kafka client connection: frames in, responses out, in request order.
//
// Requests are decoded as they arrive and handled concurrently (a long-polling
// Fetch does not hold up the connection's other requests' work), but responses
// are written strictly in request order, as the protocol requires. Stored
// record bytes go to the socket as the views the fetch mode produced (or as a
// native sendfile/pread+write of file ranges), never concatenated.
//
// Back-pressure: more than CONNECTION_INFLIGHT_MAX unanswered requests, or more
// than CONNECTION_QUEUED_BYTES_MAX bytes queued in the socket, pause reading
// from the client until the backlog drains.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { toCopylessError } from '../../src/errors.ts';
import { CONNECTION_INFLIGHT_MAX, CONNECTION_QUEUED_BYTES_MAX } from '../../src/limits.ts';
import {
  API_NAMES,
  ApiKey,
  chunksByteLength,
  FrameDecoder,
  decodeRequest,
  decodeRequestHeader,
  encodeApiVersionsFallback,
  encodeResponse,
  type Chunk,
  type RequestHeader,
} from '../../src/protocol/index.ts';
import { isModelledMode } from '../../src/fetch/fetch-mode.ts';
import { accountingToPairs } from '../../src/fetch/accounting.ts';
import type { Broker, FileRangeChunk } from '../broker.ts';
import { sendSequence, type FileRange } from '../native/index.ts';
import type { ConnectionState, HandlerResult } from './context.ts';
import type { HandlerRegistry } from './registry.ts';

type Outgoing =
  | { kind: 'response'; header: RequestHeader; result: HandlerResult }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'close'; reason: string };

export class KafkaConnection {
  readonly state: ConnectionState;
  private readonly decoder: FrameDecoder;
  private readonly queue: Promise<Outgoing>[] = [];
  private readonly abort = new AbortController();
  private pumping = false;
  private closed = false;
  private readPaused = false;
  private idleResolvers: (() => void)[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly broker: Broker,
    private readonly registry: HandlerRegistry,
    private readonly logger: Logger,
    id: number,
  ) {
    this.decoder = new FrameDecoder({ frameBytesMax: broker.config.frameBytesMax });
    this.state = {
      id,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      clientId: null,
      fetchMode: broker.config.fetchMode,
      sgDma: broker.sgDma.enabled,
      signal: this.abort.signal,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.logger.debug({ conn: id, err: err.message }, 'connection error'));
    socket.on('close', () => this.onClose());
  }

  /** Resolves once every request received so far has been answered. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  /** Stop reading new requests (broker shutdown); answered ones still go out. */
  stopReading(): void {
    this.socket.pause();
    this.readPaused = true;
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.broker.telemetry.bytesIn('kafka', chunk.length);
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      // Oversized or negative frame size: there is no request to answer, so close (as Kafka does).
      this.logger.warn({ conn: this.state.id, remote: this.state.remote, err: toCopylessError(e).message }, 'bad frame, closing connection');
      this.enqueue(Promise.resolve({ kind: 'close', reason: 'bad frame' }));
      this.socket.pause();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
    if (this.queue.length >= CONNECTION_INFLIGHT_MAX) this.pauseReading();
  }

  private onFrame(frame: Buffer): void {
    let header: RequestHeader;
    let bodyOffset: number;
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame));
    } catch (e) {
      return this.refuse(`malformed request header: ${toCopylessError(e).message}`);
    }
    this.state.clientId = header.clientId;
    const range = this.registry.advertised.get(header.apiKey);
    // KIP-511: an ApiVersions request newer than we know is answered in v0 format, without parsing its body.
    if (header.apiKey === ApiKey.ApiVersions && range && header.apiVersion > range.max) {
      this.enqueue(Promise.resolve({ kind: 'raw', bytes: encodeApiVersionsFallback(header.correlationId) }));
      return;
    }
    const handler = this.registry.handlers.get(header.apiKey);
    if (!handler || !range || header.apiVersion < range.min || header.apiVersion > range.max) {
      return this.refuse(`unsupported api key ${header.apiKey} version ${header.apiVersion}`, header);
    }
    let body: unknown;
    try {
      body = decodeRequest(header, frame, bodyOffset);
    } catch (e) {
      return this.refuse(`malformed request: ${toCopylessError(e).message}`, header);
    }
    const ctx = { broker: this.broker, conn: this.state, header, logger: this.logger, advertised: this.registry.advertised };
    const started = performance.now();
    const api = API_NAMES.get(header.apiKey) ?? String(header.apiKey);
    const handled = handler(ctx, body).then(
      (result): Outgoing => {
        this.broker.telemetry.request('kafka', api, (performance.now() - started) / 1000, 0);
        return { kind: 'response', header, result };
      },
      (e): Outgoing => {
        const err = toCopylessError(e);
        this.logger.error({ conn: this.state.id, apiKey: header.apiKey, err: err.message, stack: (e as Error)?.stack }, 'request handler failed');
        this.broker.telemetry.request('kafka', api, (performance.now() - started) / 1000, err.code);
        return { kind: 'close', reason: `handler failed: ${err.message}` };
      },
    );
    this.enqueue(handled);
  }

  /** No Kafka error code fits (unknown API, unsupported version, garbage): answer what came before, then close. */
  private refuse(reason: string, header?: RequestHeader): void {
    this.logger.warn({ conn: this.state.id, remote: this.state.remote, apiKey: header?.apiKey, apiVersion: header?.apiVersion }, reason);
    this.enqueue(Promise.resolve({ kind: 'close', reason }));
    this.socket.pause();
  }

  private enqueue(p: Promise<Outgoing>): void {
    this.queue.push(p);
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const out = await this.queue[0];
        this.queue.shift();
        if (this.closed) {
          if (out.kind === 'response') out.result.served?.release({ sent: false });
          continue;
        }
        await this.write(out);
        this.maybeResume();
      }
    } finally {
      this.pumping = false;
      for (const r of this.idleResolvers.splice(0)) r();
    }
  }

  private async write(out: Outgoing): Promise<void> {
    if (out.kind === 'close') {
      this.socket.end();
      this.closed = true;
      return;
    }
    if (out.kind === 'raw') {
      this.socket.write(out.bytes);
      return;
    }
    const { header, result } = out;
    if (result.body === undefined) return; // acks=0
    let chunks: Chunk[];
    try {
      chunks = encodeResponse(header, result.body);
    } catch (e) {
      result.served?.release({ sent: false });
      this.logger.error({ apiKey: header.apiKey, err: toCopylessError(e).message }, 'response encoding failed');
      this.socket.destroy();
      this.closed = true;
      return;
    }
    const frameBytes = chunksByteLength(chunks);
    this.broker.telemetry.bytesOut('kafka', frameBytes);
    const served = result.served;
    if (!served) return this.writeChunks(chunks as Buffer[]);
    const headerBytes = frameBytes - served.records.reduce((n, r) => n + (r?.byteLength ?? 0), 0);
    if (!isModelledMode(served.mode)) return this.writeNative(chunks, result, headerBytes);
    const accounting = served.complete({ headerBytes });
    if (result.accountingTrailer) patchAccountingTrailer(chunks[chunks.length - 1] as Buffer, accountingToPairs(accounting));
    this.writeChunks(chunks as Buffer[], (error) => served.release({ sent: !error }));
  }

  /** One corked burst: libuv turns it into writev of the views; nothing is concatenated. */
  private writeChunks(chunks: Buffer[], onWritten?: (error?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]);
    this.socket.write(chunks[chunks.length - 1], onWritten ? (error) => onWritten(error) : undefined);
    process.nextTick(() => this.socket.uncork());
    if (this.socket.writableLength > CONNECTION_QUEUED_BYTES_MAX) this.pauseReading();
  }

  /**
   * Native modes: the addon waits for Node's write queue to empty, then sends
   * header buffers and file ranges itself (sendfile or pread+write). A
   * CopylessFetch trailer carries the real counts, so it is patched and
   * written after the native send returns.
   */
  private async writeNative(chunks: Chunk[], result: HandlerResult, headerBytes: number): Promise<void> {
    const served = result.served!;
    let trailer: Buffer | null = null;
    if (result.accountingTrailer) trailer = chunks.pop() as Buffer;
    const items: Array<Buffer | FileRange> = chunks.map((c) =>
      Buffer.isBuffer(c) ? c : { fd: (c as FileRangeChunk).fd, position: (c as FileRangeChunk).position, length: c.byteLength },
    );
    let sent = false;
    try {
      const real = await sendSequence(this.socket, items, { mode: served.mode === 'native-sendfile' ? 'sendfile' : 'copy' });
      const accounting = served.complete({ headerBytes, real });
      sent = true;
      if (trailer) {
        patchAccountingTrailer(trailer, accountingToPairs(accounting));
        this.socket.write(trailer);
      }
    } catch (e) {
      this.logger.debug({ conn: this.state.id, err: toCopylessError(e).message }, 'native send failed');
      this.socket.destroy();
      this.closed = true;
    } finally {
      served.release({ sent });
    }
  }

  private pauseReading(): void {
    if (this.readPaused) return;
    this.readPaused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.readPaused || this.closed || this.broker.closing) return;
    if (this.queue.length > CONNECTION_INFLIGHT_MAX / 2) return;
    if (this.socket.writableLength > CONNECTION_QUEUED_BYTES_MAX / 2) return;
    this.readPaused = false;
    this.socket.resume();
  }

  private onClose(): void {
    this.closed = true;
    this.abort.abort();
  }
}

/**
 * The CopylessFetch trailer is `int32 count, then per item: int16 name length,
 * name bytes, int64 value`, at the very end of the response. Its size depends
 * only on the names, so the values can be rewritten in place once known.
 */
export function patchAccountingTrailer(buf: Buffer, pairs: { name: string; value: number }[]): void {
  let size = 4;
  for (const p of pairs) size += 2 + Buffer.byteLength(p.name) + 8;
  let pos = buf.length - size + 4;
  for (const p of pairs) {
    pos += 2 + Buffer.byteLength(p.name);
    buf.writeBigInt64BE(BigInt(Math.round(p.value)), pos);
    pos += 8;
  }
}
