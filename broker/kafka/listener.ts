// The Kafka wire-protocol TCP listener: accepts connections up to
// connectionsMax and hands each to a KafkaConnection. Shutdown stops accepting,
// stops reading new requests, waits for the answered-so-far to be written
// (bounded by drainMs), then closes every connection.

import net from 'node:net';
import type { Logger } from 'pino';
import type { Broker } from '../broker.ts';
import type { HandlerRegistry } from './registry.ts';
import { KafkaConnection } from './connection.ts';

/** How long shutdown waits for in-flight requests before closing connections anyway. */
export const SHUTDOWN_DRAIN_MS = 5_000;

export class KafkaListener {
  private readonly server: net.Server;
  private readonly connections = new Set<KafkaConnection>();
  private nextId = 1;

  constructor(
    private readonly broker: Broker,
    private readonly registry: HandlerRegistry,
    private readonly logger: Logger,
  ) {
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
    const conn = new KafkaConnection(socket, this.broker, this.registry, this.logger, this.nextId++);
    this.connections.add(conn);
    this.broker.activity.connectionOpened(conn.state);
    socket.on('close', () => {
      this.connections.delete(conn);
      this.broker.activity.connectionClosed(conn.state.id);
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.stopReading();
    const idle = Promise.all([...this.connections].map((c) => c.whenIdle()));
    await Promise.race([idle, new Promise((r) => setTimeout(r, SHUTDOWN_DRAIN_MS).unref())]);
    for (const c of this.connections) c.close();
    await closed;
  }
}
