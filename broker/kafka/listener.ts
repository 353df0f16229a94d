// The Kafka wire-protocol TCP listener: accepts connections up to
// connectionsMax and hands each to a KafkaConnection. It owns what the
// connections share: the broker-wide request budget (queuedRequestBytesMax)
// and a periodic sweep that closes idle connections (connectionsMaxIdleMs)
// and stalled ones (connectionStallMs). Shutdown stops accepting, stops
// reading new requests, waits for the answered-so-far to be written (bounded
// by drainMs), then closes every connection.

import net from 'node:net';
import type { Logger } from 'pino';
import { CONNECTION_HELD_BYTES_MAX, FETCH_PAGE_CACHE_SHARE_MAX } from '../../src/limits.ts';
import type { Broker } from '../broker.ts';
import { ByteBudget } from '../byte-budget.ts';
import type { HandlerRegistry } from './registry.ts';
import { KafkaConnection, type ConnectionLimits } from './connection.ts';

/** How long shutdown waits for in-flight requests before closing connections anyway. */
export const SHUTDOWN_DRAIN_MS = 5_000;
/** Longest period of the idle/stall sweep; shorter bounds sweep more often (a quarter of the shorter one). */
const SWEEP_INTERVAL_MS_MAX = 1_000;

export class KafkaListener {
  private readonly server: net.Server;
  private readonly connections = new Set<KafkaConnection>();
  private nextId = 1;
  readonly limits: ConnectionLimits;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly broker: Broker,
    private readonly registry: HandlerRegistry,
    private readonly logger: Logger,
  ) {
    const c = broker.config;
    this.limits = {
      requestBudget: new ByteBudget('queuedRequestBytesMax', c.queuedRequestBytesMax),
      heldBytesMax: Math.min(CONNECTION_HELD_BYTES_MAX, Math.floor(c.pageCacheMb * 1024 * 1024 * FETCH_PAGE_CACHE_SHARE_MAX)),
      idleMs: c.connectionsMaxIdleMs,
      stallMs: c.connectionStallMs,
    };
    const sweepMs = Math.max(5, Math.min(SWEEP_INTERVAL_MS_MAX, Math.floor(Math.min(c.connectionsMaxIdleMs, c.connectionStallMs) / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs).unref();
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.maxConnections = broker.config.connectionsMax;
    this.server.on('drop', (d) => this.logger.warn({ remote: d?.remoteAddress, limit: 'connectionsMax', max: broker.config.connectionsMax }, 'connection refused: connectionsMax reached'));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: net.Socket): void {
    const conn = new KafkaConnection(socket, this.broker, this.registry, this.logger, this.nextId++, this.limits);
    this.connections.add(conn);
    this.broker.activity.connectionOpened(conn.state);
    socket.on('close', () => {
      this.connections.delete(conn);
      this.broker.activity.connectionClosed(conn.state.id);
    });
  }

  private sweep(): void {
    const now = Date.now();
    for (const c of this.connections) c.sweep(now);
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.stopReading();
    const idle = Promise.all([...this.connections].map((c) => c.whenIdle()));
    await Promise.race([idle, new Promise((r) => setTimeout(r, SHUTDOWN_DRAIN_MS).unref())]);
    for (const c of this.connections) c.close();
    await closed;
  }
}
