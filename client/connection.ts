// One TCP connection to one broker: Kafka framing, correlation ids, pipelining
// and reconnects.
//
// Wire format (Kafka request header v1 / response header v0):
//   request  = int32 size | int16 apiKey | int16 apiVersion | int32 correlationId | string clientId | body
//   response = int32 size | int32 correlationId | body
// Many requests may be in flight at once (pipelining); the broker answers them
// in order, and each response is matched to its request by correlation id, so a
// response whose request already timed out is recognised and dropped.
//
// A lost socket fails every in-flight request with CONNECTION_CLOSED
// (retriable: the caller decides whether a retry is safe). The next request
// reconnects, retrying the TCP connect with exponential back-off, and runs the
// `onConnect` handshake (ApiVersions, the fetch mode) before anything queued
// behind it goes out.

import net from 'node:net';
import { CopylessError } from '../src/errors.ts';
import { FRAME_BYTES_MAX_DEFAULT } from '../src/limits.ts';
import { API_NAMES, FrameDecoder, decodeResponse } from '../src/protocol/index.ts';
import type { RequestHeader } from '../src/protocol/index.ts';
import { encodeRequestChunks } from './request-frame.ts';
import { type RetryOptions, withRetry } from './retry.ts';

/** The client half of the codec; injectable so tests can speak a toy protocol. */
export interface Codec {
  /** The whole frame, as one Buffer or as Buffers to write in order (one vectored write). */
  encodeRequest(header: RequestHeader, body: unknown): Buffer | Buffer[];
  decodeResponse(header: RequestHeader, frame: Buffer): { correlationId: number; body: unknown };
}

export const KAFKA_CODEC: Codec = { encodeRequest: encodeRequestChunks, decodeResponse };

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  connectTimeoutMs: number;
  /** How long a response may take; a Fetch adds its own long-poll wait on top. */
  requestTimeoutMs: number;
  /** Back-off policy for TCP connect attempts. */
  retry: RetryOptions;
  /** Largest response frame accepted; checked before the frame is buffered. */
  frameBytesMax?: number;
  codec?: Codec;
  /** Runs after every (re)connect, before queued requests are written. Use `connection.send`. */
  onConnect?: (connection: Connection) => Promise<void>;
}

export interface RequestOptions {
  /** False for Produce with acks=0: the broker sends nothing, the promise resolves once written. */
  expectResponse?: boolean;
  /** Extra time this request may take, e.g. a Fetch's maxWaitMs. */
  extraTimeoutMs?: number;
}

interface Pending {
  header: RequestHeader;
  resolve: (body: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const CORRELATION_ID_MAX = 0x7fffffff;
/** "HTTP" read as a big-endian int32 frame size. */
const HTTP_AS_FRAME_SIZE = Buffer.from('HTTP').readInt32BE(0);

export class Connection {
  readonly host: string;
  readonly port: number;
  private readonly o: ConnectionOptions;
  private readonly codec: Codec;
  private socket: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 0;
  private closedByClient = false;

  constructor(o: ConnectionOptions) {
    this.o = o;
    this.host = o.host;
    this.port = o.port;
    this.codec = o.codec ?? KAFKA_CODEC;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get isConnected(): boolean {
    return this.socket !== null && this.connecting === null;
  }

  /** Requests written and not yet answered. */
  get inflightCount(): number {
    return this.pending.size;
  }

  /** Connects (and runs the handshake) if not connected; resolves when requests can go out. */
  async connect(): Promise<void> {
    await this.ready();
  }

  /** Sends a request once connected, reconnecting first if the socket was lost. */
  async request<T = unknown>(apiKey: number, apiVersion: number, body: unknown, o: RequestOptions = {}): Promise<T> {
    const socket = await this.ready();
    return this.write<T>(socket, apiKey, apiVersion, body, o);
  }

  /** Sends on the current socket without waiting for the handshake; for `onConnect` only. */
  send<T = unknown>(apiKey: number, apiVersion: number, body: unknown, o: RequestOptions = {}): Promise<T> {
    if (this.socket === null) return Promise.reject(this.closedError('not connected'));
    return this.write<T>(this.socket, apiKey, apiVersion, body, o);
  }

  /** Closes the socket; in-flight and later requests fail with CONNECTION_CLOSED. */
  async close(): Promise<void> {
    this.closedByClient = true;
    const socket = this.socket;
    this.failAll(this.closedError('connection closed by the client'));
    if (socket === null || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), this.o.connectTimeoutMs).unref();
    });
  }

  private ready(): Promise<net.Socket> {
    if (this.closedByClient) return Promise.reject(this.closedError('connection closed by the client'));
    if (this.connecting !== null) return this.connecting;
    if (this.socket !== null) return Promise.resolve(this.socket);
    this.connecting = withRetry(this.o.retry, () => this.openOnce()).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** One TCP connect plus the handshake. */
  private async openOnce(): Promise<net.Socket> {
    if (this.closedByClient) throw this.closedError('connection closed by the client');
    const socket = await this.dial();
    this.attach(socket);
    try {
      await this.o.onConnect?.(this);
      if (this.closedByClient) throw this.closedError('connection closed by the client');
      if (this.socket !== socket) throw this.closedError('connection lost during the handshake');
    } catch (e) {
      this.lose(socket, e instanceof Error ? e : new Error(String(e)));
      socket.destroy();
      throw e;
    }
    return socket;
  }

  private dial(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const decoder = new FrameDecoder({ frameBytesMax: this.o.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT });
      // The socket reads straight into the decoder's memory (frame-decoder.ts,
      // lending): no buffer allocated per read, and a large response (a 1 MiB
      // Fetch) lands in its own frame buffer instead of being reassembled.
      const socket: net.Socket = net.connect({
        host: this.host,
        port: this.port,
        onread: { buffer: () => decoder.readBuffer(), callback: (byteCount) => this.onRead(socket, decoder, byteCount) },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(this.closedError(`connect timed out after connectTimeoutMs=${this.o.connectTimeoutMs}`));
      }, this.o.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        socket.setKeepAlive(true);
        resolve(socket);
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(this.closedError(`cannot connect: ${e.code ?? e.message}`));
      });
    });
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('error', (e: NodeJS.ErrnoException) => this.lose(socket, this.closedError(`socket error: ${e.code ?? e.message}`)));
    socket.on('close', () => this.lose(socket, this.closedError('connection closed by the broker')));
  }

  /** `byteCount` bytes arrived in the buffer the decoder lent; always true (keep reading). */
  private onRead(socket: net.Socket, decoder: FrameDecoder, byteCount: number): boolean {
    let frames: Buffer[];
    try {
      frames = decoder.written(byteCount);
    } catch (e) {
      this.lose(socket, this.speaksHttp(e) ?? (e instanceof Error ? e : new Error(String(e))));
      socket.destroy(); // also before the handshake attached it: the stream is out of sync for good
      return true;
    }
    for (const frame of frames) this.onFrame(frame);
    return true;
  }

  /**
   * An HTTP server answers a Kafka request with "HTTP/1.1 400 ...": read as a
   * frame size, those first four bytes are 1213486160, over any frame limit.
   */
  private speaksHttp(e: unknown): CopylessError | null {
    if (!(e instanceof CopylessError) || e.details.actual !== HTTP_AS_FRAME_SIZE) return null;
    return new CopylessError('BROKER_NOT_AVAILABLE', `${this.address} answered in HTTP: that is an HTTP port, not a Kafka listener (a copyless broker's Kafka port is 9092 by default, its HTTP port 9080)`, {
      broker: this.address,
    });
  }

  private lose(socket: net.Socket, e: Error): void {
    if (this.socket !== socket) return;
    this.socket = null;
    socket.destroy();
    this.failAll(e);
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  private write<T>(socket: net.Socket, apiKey: number, apiVersion: number, body: unknown, o: RequestOptions): Promise<T> {
    const header: RequestHeader = { apiKey, apiVersion, correlationId: this.takeCorrelationId(), clientId: this.o.clientId };
    let frame: Buffer | Buffer[];
    try {
      frame = this.codec.encodeRequest(header, body);
    } catch (e) {
      return Promise.reject(e);
    }
    if (o.expectResponse === false) {
      return new Promise<T>((resolve, reject) => {
        writeFrame(socket, frame, (e) => (e ? reject(this.closedError(`write failed: ${e.message}`)) : resolve(undefined as T)));
      });
    }
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.o.requestTimeoutMs + (o.extraTimeoutMs ?? 0);
      const timer = setTimeout(() => this.expire(header, timeoutMs), timeoutMs);
      this.pending.set(header.correlationId, { header, resolve: resolve as (b: unknown) => void, reject, timer });
      writeFrame(socket, frame);
    });
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = id === CORRELATION_ID_MAX ? 0 : id + 1;
    return id;
  }

  private expire(header: RequestHeader, timeoutMs: number): void {
    const p = this.pending.get(header.correlationId);
    if (p === undefined) return;
    this.pending.delete(header.correlationId);
    const api = API_NAMES.get(header.apiKey) ?? `api ${header.apiKey}`;
    p.reject(new CopylessError('REQUEST_TIMED_OUT', `${api} to ${this.address} got no response within ${timeoutMs} ms`));
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) return;
    const p = this.pending.get(frame.readInt32BE(0));
    // A response whose request timed out: the broker still answered in order, drop it.
    if (p === undefined) return;
    this.pending.delete(p.header.correlationId);
    clearTimeout(p.timer);
    try {
      p.resolve(this.codec.decodeResponse(p.header, frame).body);
    } catch (e) {
      p.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private closedError(why: string): CopylessError {
    return new CopylessError('CONNECTION_CLOSED', `${this.address}: ${why}`, { broker: this.address });
  }
}

/** Writes a frame; Buffers of one frame are corked into one vectored write. `done` runs once the whole frame is written. */
function writeFrame(socket: net.Socket, frame: Buffer | Buffer[], done?: (e?: Error | null) => void): void {
  if (Buffer.isBuffer(frame)) {
    socket.write(frame, done);
    return;
  }
  socket.cork();
  for (let i = 0; i < frame.length; i++) socket.write(frame[i], i === frame.length - 1 ? done : undefined);
  socket.uncork();
}
