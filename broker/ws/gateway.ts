// The WebSocket server on the HTTP port, path /ws: checks the upgrade (path,
// bearer token, shutdown), hands each connection to a WsSession, and pushes
// the `stats` channel (broker.stats() every statsIntervalMs, one snapshot
// shared by every subscriber; a paused connection skips pushes, they are
// snapshots). Browsers cannot set an Authorization header on a WebSocket, so
// the token may also come as `?token=...` on the /ws URL.

import crypto from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { CopylessError, errorInfo, errorInfoByName } from '../../src/errors.ts';
import type { Broker } from '../broker.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { tokenMatches } from '../http/app.ts';
import { RecordProducer } from '../http/produce.ts';
import type { WsMetricsSource } from '../metrics.ts';
import { wsLimits, type WsLimits } from './limits.ts';
import { WsSession, type SessionHost } from './session.ts';
import { StatsSource } from '../dashboard/stats-source.ts';

export const WS_PATH = '/ws';

export class WsGateway implements SessionHost {
  readonly sessions = new Set<WsSession>();
  readonly limits: WsLimits;
  readonly producer: RecordProducer;
  readonly stats: StatsSource;
  private readonly wss: WebSocketServer;
  private readonly tokenDigest: Buffer | null;
  private pausesTotal = 0;
  private slowConsumerClosesTotal = 0;
  private closing = false;

  constructor(
    readonly broker: Broker,
    readonly groups: GroupCoordinator | null,
    readonly logger: Logger,
    limits: Partial<WsLimits> = {},
  ) {
    this.limits = wsLimits(limits);
    this.producer = new RecordProducer(broker);
    this.stats = new StatsSource(broker);
    this.tokenDigest = broker.config.httpToken ? crypto.createHash('sha256').update(broker.config.httpToken).digest() : null;
    // Incoming ops are bounded like HTTP bodies; no compression, so stored bytes go out as they are.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: broker.config.httpBodyBytesMax, perMessageDeflate: false, clientTracking: false });
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuseUpgrade(socket, new CopylessError('NOT_FOUND', `WebSocket upgrades are served on ${WS_PATH} only`));
    if (this.closing || this.broker.closing) return refuseUpgrade(socket, new CopylessError('BROKER_SHUTTING_DOWN', 'the broker is shutting down'));
    if (this.tokenDigest && !this.authorized(req, url)) {
      return refuseUpgrade(socket, new CopylessError('UNAUTHORIZED', 'this broker requires Authorization: Bearer <httpToken> (or ?token=<httpToken> on /ws)'));
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.accept(ws, socket));
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const query = url.searchParams.get('token');
    return tokenMatches(req.headers.authorization, this.tokenDigest!) || (query !== null && tokenMatches(`Bearer ${query}`, this.tokenDigest!));
  }

  private accept(ws: WebSocket, socket: Socket): void {
    const session = new WsSession(ws, socket, this);
    this.sessions.add(session);
    this.broker.activity.webSockets = this.sessions.size;
    if (this.closing) session.close(errorInfoByName('BROKER_SHUTTING_DOWN').wsClose, 'broker shutting down');
  }

  // SessionHost
  onPaused(): void {
    this.pausesTotal++;
  }

  onSlowConsumerClose(): void {
    this.slowConsumerClosesTotal++;
  }

  onClosed(session: WsSession): void {
    this.sessions.delete(session);
    this.broker.activity.webSockets = this.sessions.size;
  }

  metricsSnapshot(): WsMetricsSource {
    let subscriptions = 0;
    let paused = 0;
    for (const s of this.sessions) {
      subscriptions += s.partitionSubscriptions;
      if (s.paused) paused++;
    }
    return {
      connections: this.sessions.size,
      subscriptions,
      pausedConnections: paused,
      pausesTotal: this.pausesTotal,
      slowConsumerClosesTotal: this.slowConsumerClosesTotal,
    };
  }

  /** Close every connection with BROKER_SHUTTING_DOWN (1001) and wait until they are gone (at most closeGraceMs). */
  async close(): Promise<void> {
    this.closing = true;
    const gone = [...this.sessions].map((s) => new Promise<void>((resolve) => (s.ws.readyState === s.ws.CLOSED ? resolve() : s.ws.once('close', () => resolve()))));
    for (const s of this.sessions) s.close(errorInfoByName('BROKER_SHUTTING_DOWN').wsClose, 'broker shutting down');
    await Promise.all(gone);
    this.wss.close();
  }
}

/** Answer a refused upgrade with a plain HTTP error carrying the usual JSON error body. */
function refuseUpgrade(socket: Socket, err: CopylessError): void {
  const info = errorInfo(err.code);
  const body = JSON.stringify(err.toJSON());
  socket.end(
    `HTTP/1.1 ${info.httpStatus} ${err.errorName}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
