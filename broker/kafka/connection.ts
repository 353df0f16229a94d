// One Kafka client connection: frames in, responses out, in request order.
//
// Requests are decoded as they arrive and handled concurrently (a long-polling
// Fetch does not hold up the connection's other requests' work), but responses
// are written strictly in request order, as the protocol requires. Stored
// record bytes go to the socket as the views the fetch mode produced (or as a
// native sendfile/pread+write of file ranges), never concatenated.
//
// Back-pressure: more than CONNECTION_INFLIGHT_MAX unanswered requests, more
// than CONNECTION_QUEUED_BYTES_MAX bytes queued in the socket, or a request
// frame the broker-wide request budget (queuedRequestBytesMax) cannot hold
// yet, pause reading from the client until the backlog drains.
//
// Memory a client can make the broker hold:
//   - request frames split across reads: charged to the broker-wide budget
//     before their buffer is allocated, released when the request is handled;
//   - fetched records: served (pages pinned, or copied) only when the
//     response's turn to be written comes, and only while this connection
//     holds under its share (heldBytesMax) of written-but-untaken bytes.
//
// Every close finishes. A refused request (bad frame size, malformed header,
// unknown API or version, failed handler) marks the connection closing at
// once: nothing it sent afterwards is handled. The answers to earlier
// requests are written, the socket is half-closed, and what the client still
// sends is read and dropped until it closes or CONNECTION_CLOSE_LINGER_MS
// passes; then the socket is destroyed. The listener's sweep also destroys a
// connection idle for connectionsMaxIdleMs, or whose pending output has not
// drained for connectionStallMs.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { toCopylessError } from '../../src/errors.ts';
import { CONNECTION_CLOSE_LINGER_MS, CONNECTION_INFLIGHT_MAX, CONNECTION_QUEUED_BYTES_MAX } from '../../src/limits.ts';
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
import { patchAccountingTrailer } from '../../src/protocol/accounting-trailer.ts';
import type { Broker, FileRangeChunk } from '../broker.ts';
import type { ByteBudget } from '../byte-budget.ts';
import { sendSequence, type FileRange } from '../native/index.ts';
import type { ConnectionState, HandlerResult } from './context.ts';
import type { HandlerRegistry } from './registry.ts';

type Outgoing =
  | { kind: 'response'; header: RequestHeader; result: HandlerResult }
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'close'; reason: string };

/** What every connection of one listener shares: the request budget and the bounds the sweep enforces. */
export interface ConnectionLimits {
  /** Broker-wide budget of request frame bytes (queuedRequestBytesMax). */
  readonly requestBudget: ByteBudget;
  /** Most fetched record bytes one connection holds for responses not yet taken. */
  readonly heldBytesMax: number;
  readonly idleMs: number;
  readonly stallMs: number;
}

export class KafkaConnection {
  readonly state: ConnectionState;
  private readonly decoder: FrameDecoder;
  private readonly queue: Promise<Outgoing>[] = [];
  private readonly abort = new AbortController();
  private pumping = false;
  /** No more writes: the close item was reached, or the socket is gone. */
  private closed = false;
  /** Why the connection is closing; once set, no further frame is handled. */
  private closing: string | null = null;
  private readPaused = false;
  private stoppedReading = false;
  private idleResolvers: (() => void)[] = [];
  /** Budget bytes charged per frame buffer allocated and not yet handed to a handler (the one being filled included). */
  private readonly charges = new Map<Buffer, number>();
  /** A budget grant that arrived for the frame the decoder is blocked on. */
  private budgetGranted = false;
  private cancelBudgetWait: (() => void) | null = null;
  /** Fetched record bytes served for responses whose bytes the client has not taken yet. */
  private heldBytes = 0;
  private heldWaiter: (() => void) | null = null;
  /** Last time bytes came in or a write finished (idle check). */
  private lastActivityMs = Date.now();
  /** Last time a write finished or nothing was waiting to be written (stall check). */
  private lastDrainMs = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly broker: Broker,
    private readonly registry: HandlerRegistry,
    private readonly logger: Logger,
    id: number,
    private readonly limits: ConnectionLimits,
  ) {
    this.decoder = new FrameDecoder({ frameBytesMax: broker.config.frameBytesMax, allocate: (size) => this.allocateFrame(size) });
    this.state = {
      id,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      clientId: null,
      fetchMode: broker.config.fetchMode,
      sgDma: broker.sgDma.enabled,
      signal: this.abort.signal,
      principal: null,
      sasl: null,
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
    this.stoppedReading = true;
    this.readPaused = true;
    this.socket.pause();
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }

  /** Bytes this connection holds in the request budget (a frame being read, or waiting for room). */
  get requestBytesHeld(): number {
    let n = 0;
    for (const bytes of this.charges.values()) n += bytes;
    return n;
  }

  /**
   * The listener's periodic check: destroy the connection if its pending
   * output has not drained for stallMs (a reader that stopped: it holds pinned
   * pages and socket buffers), or if it has been idle for idleMs.
   */
  sweep(nowMs: number): void {
    if (this.socket.destroyed) return;
    const pendingOut = this.socket.writableLength > 0 || this.heldWaiter !== null;
    if (!pendingOut) this.lastDrainMs = nowMs;
    else if (nowMs - this.lastDrainMs > this.limits.stallMs) {
      return this.destroy('stalled: response bytes not taken by the client', { limit: 'connectionStallMs', max: this.limits.stallMs });
    }
    const busy = pendingOut || this.pumping || this.queue.length > 0 || this.decoder.blocked;
    if (!busy && nowMs - this.lastActivityMs > this.limits.idleMs) {
      this.destroy('idle', { limit: 'connectionsMaxIdleMs', max: this.limits.idleMs });
    }
  }

  private destroy(reason: string, details: Record<string, unknown>): void {
    this.logger.info({ conn: this.state.id, remote: this.state.remote, ...details }, `closing connection: ${reason}`);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.broker.telemetry.bytesIn('kafka', chunk.length);
    this.lastActivityMs = Date.now();
    if (this.closing !== null) return; // read and dropped: see the close rules above
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      // Oversized or negative frame size: there is no request to answer, so close (as Kafka does).
      return this.refuse(`bad frame: ${toCopylessError(e).message}`);
    }
    this.onFrames(frames);
    if (this.decoder.blocked) this.waitForBudget();
  }

  private onFrames(frames: Buffer[]): void {
    for (const frame of frames) {
      if (this.closing !== null) break;
      this.onFrame(frame);
    }
    if (this.queue.length >= CONNECTION_INFLIGHT_MAX) this.pauseReading();
  }

  /** The decoder's allocator: a frame split across reads is charged to the request budget before its buffer exists. */
  private allocateFrame(size: number): Buffer | null {
    if (!this.budgetGranted && !this.limits.requestBudget.tryReserve(size)) return null;
    this.budgetGranted = false;
    const frame = Buffer.allocUnsafe(size);
    this.charges.set(frame, size);
    return frame;
  }

  /** The budget is spent: stop reading until it has room for the frame the decoder is blocked on. */
  private waitForBudget(): void {
    if (this.cancelBudgetWait !== null) return;
    this.pauseReading();
    const size = this.decoder.blockedFrameBytes!;
    this.cancelBudgetWait = this.limits.requestBudget.reserveLater(size, () => {
      this.cancelBudgetWait = null;
      this.budgetGranted = true;
      let frames: Buffer[];
      try {
        frames = this.decoder.resume();
      } catch (e) {
        return this.refuse(`bad frame: ${toCopylessError(e).message}`);
      }
      this.onFrames(frames);
      if (this.decoder.blocked) this.waitForBudget();
      else this.maybeResume();
    });
  }

  /** The budget bytes a frame was charged (0 for a view of a read), now owned by its request. */
  private takeCharge(frame: Buffer): number {
    const bytes = this.charges.get(frame) ?? 0;
    this.charges.delete(frame);
    return bytes;
  }

  private onFrame(frame: Buffer): void {
    const charge = this.takeCharge(frame);
    const handled = this.handleFrame(frame);
    if (charge === 0) return;
    if (handled === null) this.limits.requestBudget.release(charge);
    else void handled.finally(() => this.limits.requestBudget.release(charge));
  }

  /** Decode and start one request; the promise of its answer, or null when it was refused or answered at once. */
  private handleFrame(frame: Buffer): Promise<Outgoing> | null {
    let header: RequestHeader;
    let bodyOffset: number;
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame));
    } catch (e) {
      this.refuse(`malformed request header: ${toCopylessError(e).message}`);
      return null;
    }
    this.state.clientId = header.clientId;
    const range = this.registry.advertised.get(header.apiKey);
    // KIP-511: an ApiVersions request newer than we know is answered in v0 format, without parsing its body.
    if (header.apiKey === ApiKey.ApiVersions && range && header.apiVersion > range.max) {
      this.enqueue(Promise.resolve({ kind: 'raw', bytes: encodeApiVersionsFallback(header.correlationId) }));
      return null;
    }
    const handler = this.registry.handlers.get(header.apiKey);
    if (!handler || !range || header.apiVersion < range.min || header.apiVersion > range.max) {
      this.refuse(`unsupported api key ${header.apiKey} version ${header.apiVersion}`, header);
      return null;
    }
    const unauthenticated = this.registry.authRequired && this.state.principal === null && !this.registry.preAuthApis.has(header.apiKey);
    if (unauthenticated) {
      this.refuse(`${API_NAMES.get(header.apiKey) ?? header.apiKey} before SASL authentication (saslUsers is set)`, header);
      return null;
    }
    let body: unknown;
    try {
      body = decodeRequest(header, frame, bodyOffset);
    } catch (e) {
      this.refuse(`malformed request: ${toCopylessError(e).message}`, header);
      return null;
    }
    const ctx = { broker: this.broker, groups: this.registry.groups, conn: this.state, header, logger: this.logger, advertised: this.registry.advertised };
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
    return handled;
  }

  /**
   * No Kafka error code fits (bad frame, unknown API, unsupported version,
   * garbage): nothing the client sent from here on is handled; the answers to
   * earlier requests go out, then the connection closes.
   */
  private refuse(reason: string, header?: RequestHeader): void {
    if (this.closing !== null) return;
    this.logger.warn({ conn: this.state.id, remote: this.state.remote, apiKey: header?.apiKey, apiVersion: header?.apiVersion }, reason);
    this.markClosing(reason);
    this.enqueue(Promise.resolve({ kind: 'close', reason }));
  }

  /** From now on input is read and dropped (never left unread in a paused socket), and no request starts. */
  private markClosing(reason: string): void {
    if (this.closing !== null) return;
    this.closing = reason;
    this.cancelBudgetWait?.();
    this.cancelBudgetWait = null;
    this.releaseCharges();
    if (!this.stoppedReading) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  /** Frames allocated but never handled (the one being filled, those after a refused one): their budget bytes go back. */
  private releaseCharges(): void {
    for (const bytes of this.charges.values()) this.limits.requestBudget.release(bytes);
    this.charges.clear();
  }

  private enqueue(p: Promise<Outgoing>): void {
    this.queue.push(p);
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        let out = await this.queue[0];
        this.queue.shift();
        if (out.kind === 'response' && out.result.deferred && !this.closed) {
          const deferred = out.result.deferred;
          await this.roomToHold(deferred.bytes);
          out = this.closed ? out : { ...out, result: await deferred.serve() };
        }
        if (this.closed) {
          discard(out);
          continue;
        }
        await this.write(out);
        if (out.kind === 'response' && out.result.closeAfter) {
          this.logger.info({ conn: this.state.id, remote: this.state.remote }, `closing connection: ${out.result.closeAfter}`);
          this.finishClose(out.result.closeAfter);
        }
        this.maybeResume();
      }
    } finally {
      this.pumping = false;
      for (const r of this.idleResolvers.splice(0)) r();
    }
  }

  /** Wait until this connection may hold `bytes` more fetched bytes: under heldBytesMax, or holding nothing. */
  private roomToHold(bytes: number): Promise<void> {
    const fits = () => this.closed || this.heldBytes === 0 || this.heldBytes + bytes <= this.limits.heldBytesMax;
    if (fits()) return Promise.resolve();
    return new Promise((resolve) => {
      this.heldWaiter = () => {
        if (!fits()) return;
        this.heldWaiter = null;
        resolve();
      };
    });
  }

  private hold(bytes: number): () => void {
    this.heldBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.heldBytes -= bytes;
      this.heldWaiter?.();
    };
  }

  private async write(out: Outgoing): Promise<void> {
    if (out.kind === 'close') return this.finishClose(out.reason);
    if (out.kind === 'raw') {
      this.socket.write(out.bytes, this.onWritten);
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
    const recordBytes = served.records.reduce((n, r) => n + (r?.byteLength ?? 0), 0);
    const headerBytes = frameBytes - recordBytes;
    const unhold = this.hold(recordBytes);
    if (!isModelledMode(served.mode)) return this.writeNative(chunks, result, headerBytes).finally(unhold);
    const accounting = served.complete({ headerBytes });
    if (result.accountingTrailer) patchAccountingTrailer(chunks[chunks.length - 1] as Buffer, accountingToPairs(accounting));
    this.writeChunks(chunks as Buffer[], (error) => {
      served.release({ sent: !error });
      unhold();
    });
  }

  /** The close item's turn: earlier answers are written; half-close, then destroy once the client closes or the linger ends. */
  private finishClose(reason: string): void {
    this.markClosing(reason);
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CONNECTION_CLOSE_LINGER_MS).unref();
  }

  private readonly onWritten = (): void => {
    const now = Date.now();
    this.lastActivityMs = now;
    this.lastDrainMs = now;
  };

  /** One corked burst: libuv turns it into writev of the views; nothing is concatenated. */
  private writeChunks(chunks: Buffer[], onWritten?: (error?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]);
    this.socket.write(chunks[chunks.length - 1], (error?: Error | null) => {
      this.onWritten();
      onWritten?.(error);
    });
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
      this.onWritten();
      const accounting = served.complete({ headerBytes, real });
      sent = true;
      if (trailer) {
        patchAccountingTrailer(trailer, accountingToPairs(accounting));
        this.socket.write(trailer, this.onWritten);
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
    if (this.readPaused || this.closing !== null) return;
    this.readPaused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.readPaused || this.closed || this.stoppedReading || this.broker.closing) return;
    if (this.decoder.blocked) return;
    if (this.queue.length > CONNECTION_INFLIGHT_MAX / 2) return;
    if (this.socket.writableLength > CONNECTION_QUEUED_BYTES_MAX / 2) return;
    this.readPaused = false;
    this.socket.resume();
  }

  private onClose(): void {
    this.closed = true;
    this.closing ??= 'socket closed';
    this.cancelBudgetWait?.();
    this.cancelBudgetWait = null;
    this.releaseCharges();
    this.heldWaiter?.();
    this.abort.abort();
  }
}

/** A response that will never be written: free what it holds. */
function discard(out: Outgoing): void {
  if (out.kind !== 'response') return;
  out.result.served?.release({ sent: false });
  out.result.deferred?.abandon();
}
