// What an HTTP route module sees: the broker core, the group coordinator and the HTTP server's shared
// parts (the record producer, metrics, the close signal, the held-bytes
// budget), plus the request fields app.ts decorates and the routes fill in.
// app.ts builds one HttpContext and hands it to every routes/*.ts; the routes
// import this module, never app.ts (as kafka/context.ts does for handlers).

import type { Logger } from 'pino';
import type { Broker } from '../broker.ts';
import type { ByteBudget } from '../byte-budget.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import type { BrokerMetrics } from '../metrics.ts';
import type { RecordProducer } from './produce.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code the request was answered with (0 on success), for telemetry. */
    copylessErrorCode: number;
    /** Bytes a hijacked answer wrote itself (raw fetch), -1 when fastify sent the answer. */
    copylessBytesOut: number;
  }
  interface FastifyInstance {
    /** The HTTP answers' held-bytes budget (httpHeldBytesMax), for tests and the soak. */
    heldBytes: ByteBudget;
  }
}

/** What every route module gets. */
export interface HttpContext {
  readonly broker: Broker;
  /** The group coordinator; null when the broker runs without one (the group routes answer COORDINATOR_NOT_AVAILABLE). */
  readonly groups: GroupCoordinator | null;
  readonly logger: Logger;
  readonly producer: RecordProducer;
  readonly metrics: BrokerMetrics | null;
  /** Aborted when the HTTP server closes, so long-polling fetches return at once. */
  readonly closing: AbortSignal;
  /** Broker-wide bytes of answers allocated and not yet taken by their readers (httpHeldBytesMax). */
  readonly heldBytes: ByteBudget;
}
