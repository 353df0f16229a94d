// The HTTP/WebSocket server of a broker: the fastify app (routes, OpenAPI),
// the WebSocket gateway on /ws of the same port, and the Prometheus metrics
// (installed on broker.telemetry, so the Kafka listener reports into them
// too). Listens on config.host (loopback unless told otherwise) and
// config.httpPort (-1 = no HTTP server at all).

import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Broker } from '../broker.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { installMetrics, type BrokerMetrics } from '../metrics.ts';
import { WsGateway } from '../ws/gateway.ts';
import type { WsLimits } from '../ws/limits.ts';
import { buildHttpApp } from './app.ts';

export interface HttpServerHandle {
  port: number;
  close(): Promise<void>;
}

/** What startHttp really returns: the handle plus its parts, for tests and embedding. */
export interface HttpServer extends HttpServerHandle {
  readonly app: FastifyInstance;
  readonly ws: WsGateway;
  readonly metrics: BrokerMetrics;
}

export interface HttpOptions {
  /** The group coordinator the group routes, subscriptions and metrics read; null answers them COORDINATOR_NOT_AVAILABLE. */
  groups: GroupCoordinator | null;
  /** WebSocket bounds (tests lower them); defaults from src/limits.ts. */
  ws?: Partial<WsLimits>;
  /** prom-client's process/event-loop metrics (default true). */
  defaultMetrics?: boolean;
}

export async function startHttp(broker: Broker, logger: Logger, o: HttpOptions): Promise<HttpServer | null> {
  const { host, httpPort } = broker.config;
  if (httpPort < 0) return null;
  const metrics = installMetrics(broker, { groups: o.groups, defaultMetrics: o.defaultMetrics });
  const closing = new AbortController();
  let app: FastifyInstance | null = null;
  let ws: WsGateway | null = null;
  try {
    app = await buildHttpApp(broker, logger, { groups: o.groups, metrics, closing: closing.signal });
    ws = new WsGateway(broker, o.groups, logger.child({ component: 'ws' }), o.ws);
    ws.attach(app.server);
    metrics.setWsSource(() => ws!.metricsSnapshot());
    // Fastify's own startup line is the one `listening` line of this listener.
    await app.listen({ host, port: httpPort, listenTextResolver: (address) => `HTTP and WebSocket API listening on ${address} (ws path /ws)` });
  } catch (e) {
    await ws?.close();
    await app?.close();
    metrics.close();
    throw e;
  }
  const port = (app.server.address() as AddressInfo).port;
  let closed: Promise<void> | null = null;
  const [fastify, gateway] = [app, ws];
  return {
    port,
    app: fastify,
    ws: gateway,
    metrics,
    close() {
      closed ??= (async () => {
        closing.abort();
        await gateway.close();
        await fastify.close();
        metrics.close();
      })();
      return closed;
    },
  };
}
