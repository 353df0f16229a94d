// The fastify application of the HTTP API, without a listening socket (tests
// drive it with inject). Cross-cutting parts live here: the error answer, the
// bearer token, request telemetry, the body parsers and the OpenAPI document;
// the routes are in routes/*.ts, each a thin adapter over the broker core.

import crypto from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import { CopylessError } from '../../src/errors.ts';
import { TOPIC_NAME_LENGTH_MAX } from '../../src/limits.ts';
import type { Broker } from '../broker.ts';
import { BROKER_VERSION } from '../broker.ts';
import { ByteBudget } from '../byte-budget.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import type { BrokerMetrics } from '../metrics.ts';
import type { HttpContext } from './context.ts';
import { errorBody, httpStatusOf, toHttpError } from './errors.ts';
import { RecordProducer } from './produce.ts';
import { RAW_BATCH_MEDIA_TYPES } from './raw-fetch.ts';
import { brokerRoutes } from './routes/broker-routes.ts';
import { groupRoutes } from './routes/groups.ts';
import { recordRoutes } from './routes/records.ts';
import { topicRoutes } from './routes/topics.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { inspectRoutes } from './routes/inspect.ts';
import { WEB_ROUTES, webRoutes } from './routes/web.ts';

/** Longest route parameter: a topic name at TOPIC_NAME_LENGTH_MAX, percent-encoded (3 bytes a character), fits. */
const ROUTE_PARAM_BYTES_MAX = 3 * TOPIC_NAME_LENGTH_MAX + 16;

/** Routes a bearer token does not guard: liveness probes and the dashboard's own files carry no data. */
const PUBLIC_ROUTES = new Set(['/healthz', ...WEB_ROUTES]);

export async function buildHttpApp(
  broker: Broker,
  logger: Logger,
  o: { groups: GroupCoordinator | null; metrics?: BrokerMetrics | null; closing?: AbortSignal },
): Promise<FastifyInstance> {
  const bodyBytesMax = broker.config.httpBodyBytesMax;
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    // Requests are counted in metrics; the log gets failures only.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyBytesMax,
    forceCloseConnections: true,
    // A route parameter may be a whole percent-encoded topic name, so that the name rule (not the router) refuses it.
    routerOptions: { maxParamLength: ROUTE_PARAM_BYTES_MAX },
    // Router errors (a malformed URL, an over-long parameter) answer in the shared error shape too.
    frameworkErrors: (e, request, reply) => {
      sendError(request, reply, toHttpError(e, { bodyBytesMax }));
    },
    // Unknown body fields are refused (400 naming the field), not silently dropped.
    // Union types (`["string", "null", "object"]`) are how bytes are written, and ajv never coerces a value that already matches one.
    ajv: { customOptions: { removeAdditional: false, allowUnionTypes: true } },
  });
  const ctx: HttpContext = {
    broker,
    groups: o.groups,
    logger,
    producer: new RecordProducer(broker),
    metrics: o.metrics ?? null,
    closing: o.closing ?? new AbortController().signal,
    heldBytes: new ByteBudget('httpHeldBytesMax', broker.config.httpHeldBytesMax),
  };
  app.decorate('heldBytes', ctx.heldBytes);

  app.decorateRequest('copylessErrorCode', 0);
  app.decorateRequest('copylessBytesOut', -1);
  // The API takes JSON and raw batches only; anything else is 415, not a string body.
  app.removeContentTypeParser('text/plain');
  for (const type of RAW_BATCH_MEDIA_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: bodyBytesMax }, (_req, body, done) => done(null, body));
  }
  app.setErrorHandler((e, request, reply) => sendError(request, reply, toHttpError(e, { bodyBytesMax }), e));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new CopylessError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; the routes are listed at /openapi.json`)),
  );
  if (broker.config.httpToken) app.addHook('onRequest', bearerGuard(broker.config.httpToken));
  app.addHook('onResponse', async (request, reply) => {
    const api = `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
    broker.telemetry.request('http', api, reply.elapsedTime / 1000, request.copylessErrorCode);
    broker.telemetry.bytesIn('http', Number(request.headers['content-length'] ?? 0) || 0);
    const out = request.copylessBytesOut >= 0 ? request.copylessBytesOut : Number(reply.getHeader('content-length') ?? 0) || 0;
    broker.telemetry.bytesOut('http', out);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'copyless HTTP API',
        version: BROKER_VERSION,
        description: 'Topics, produce, fetch (JSON or raw stored batches through a fetch mode), groups and broker state. Errors are {code, name, message}. See docs/http-api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(broker.config.httpToken ? { security: [{ bearer: [] }] } : {}),
    },
  });
  await app.register(async (scope) => {
    topicRoutes(scope, ctx);
    recordRoutes(scope, ctx);
    groupRoutes(scope, ctx);
    brokerRoutes(scope, ctx);
    dashboardRoutes(scope, ctx);
    inspectRoutes(scope, ctx);
    webRoutes(scope, ctx);
  });
  await app.ready();
  return app;
}

function sendError(request: FastifyRequest, reply: FastifyReply, err: CopylessError, cause?: unknown): FastifyReply {
  const status = httpStatusOf(err);
  request.copylessErrorCode = err.code;
  if (status >= 500 && err.errorName === 'UNKNOWN_SERVER_ERROR') {
    request.log.error({ err: cause instanceof Error ? cause : err, url: request.url }, 'HTTP request failed');
  }
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(err));
}

/**
 * `Authorization: Bearer <token>` on every route but PUBLIC_ROUTES. Compared
 * through SHA-256 digests with timingSafeEqual, so neither the token's length
 * nor its prefix leaks through response times.
 */
function bearerGuard(token: string) {
  const expected = crypto.createHash('sha256').update(token).digest();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    if (tokenMatches(request.headers.authorization, expected)) return;
    return sendError(request, reply, new CopylessError('UNAUTHORIZED', 'this broker requires Authorization: Bearer <httpToken>', { field: 'authorization' }));
  };
}

export function tokenMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(m[1]).digest(), expectedDigest);
}
