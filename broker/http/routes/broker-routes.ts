// Broker routes: info, config (read; change the default fetch mode and the
// scatter/gather DMA switch at run time), stats (accounting per fetch mode and
// page-cache counters), page-cache drop, liveness, readiness, Prometheus
// metrics and the OpenAPI document.

import type { FastifyInstance } from 'fastify';
import { CopylessError } from '../../../src/errors.ts';
import { parseFetchMode } from '../../../src/fetch/fetch-mode.ts';
import type { Broker } from '../../broker.ts';
import { publicConfig } from '../../config.ts';
import type { HttpContext } from '../context.ts';
import { errorResponses, fetchModeSchema, openObject } from '../schemas.ts';

const configAnswerSchema = {
  type: 'object',
  required: ['fetchMode', 'sgDma', 'availableFetchModes', 'config'],
  properties: {
    fetchMode: { type: 'string', description: 'default fetch mode of new Kafka connections and raw HTTP fetches' },
    sgDma: { type: 'boolean' },
    availableFetchModes: { type: 'array', items: { type: 'string' } },
    config: openObject,
  },
} as const;

const patchBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { fetchMode: fetchModeSchema, sgDma: { type: 'boolean' } },
} as const;

const statsSchema = {
  type: 'object',
  required: ['modes', 'pageCache', 'sgDma', 'durability'],
  properties: {
    modes: { type: 'object', description: 'per fetch mode: fetches and the summed accounting', additionalProperties: openObject },
    pageCache: openObject,
    sgDma: {
      type: 'object',
      description: 'the scatter/gather DMA assumption sendfile and splice are counted with, and where it came from',
      properties: { enabled: { type: 'boolean' }, source: { type: 'string', enum: ['flag', 'detected', 'default'] }, detail: { type: 'string' } },
    },
    durability: {
      type: 'object',
      description: 'real fdatasync calls of segment files and the bytes they covered; the simulated write-back (bookkeeping, no system call)',
      properties: { fsyncs: { type: 'integer' }, fsyncBytes: { type: 'integer' }, writeBackPages: { type: 'integer' }, writeBackBytes: { type: 'integer' } },
    },
  },
} as const;

function configAnswer(broker: Broker) {
  return {
    fetchMode: broker.config.fetchMode,
    sgDma: broker.sgDma.enabled,
    availableFetchModes: broker.availableFetchModes(),
    config: publicConfig(broker.config),
  };
}

export function brokerRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;
  const tags = ['broker'];

  app.get('/broker', { schema: { summary: 'Broker info: version, uptime, fetch modes, config', tags, response: { 200: openObject, ...errorResponses } } }, async () =>
    broker.info(),
  );

  app.get('/broker/config', { schema: { summary: 'Broker configuration', tags, response: { 200: configAnswerSchema, ...errorResponses } } }, async () =>
    configAnswer(broker),
  );

  app.patch<{ Body: { fetchMode?: string; sgDma?: boolean } }>(
    '/broker/config',
    {
      schema: {
        summary: 'Change the default fetch mode (and sgDma) at run time; existing Kafka connections keep theirs',
        tags,
        body: patchBodySchema,
        response: { 200: configAnswerSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { fetchMode, sgDma } = request.body;
      if (fetchMode !== undefined) broker.setDefaultFetchMode(parseFetchMode(fetchMode));
      if (sgDma !== undefined) broker.setSgDma(sgDma, 'PATCH /broker/config');
      ctx.logger.info({ fetchMode: broker.config.fetchMode, sgDma: broker.sgDma }, 'broker config changed over HTTP');
      return configAnswer(broker);
    },
  );

  app.get('/broker/stats', { schema: { summary: 'Accounting per fetch mode and page-cache counters', tags, response: { 200: statsSchema, ...errorResponses } } }, async () =>
    broker.stats(),
  );

  app.post(
    '/broker/page-cache/drop',
    {
      schema: {
        summary:
          'Write back and drop every unpinned page of the simulated page cache (echo 1 > /proc/sys/vm/drop_caches) and, with the native addon, the OS page cache of the segment files',
        tags,
        response: {
          200: {
            type: 'object',
            properties: { droppedPages: { type: 'integer' }, osFiles: { type: 'integer' }, osDropped: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async () => broker.dropCaches(),
  );

  app.get('/healthz', { schema: { summary: 'Liveness (never needs the token)', tags, response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: 503 while the broker shuts down', tags, response: { 200: { type: 'object', properties: { ready: { type: 'boolean' } } }, ...errorResponses } } },
    async () => {
      if (broker.closing) throw new CopylessError('BROKER_SHUTTING_DOWN', 'the broker is shutting down');
      return { ready: true };
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text exposition format 0.0.4)', tags, response: { 200: { type: 'string' }, ...errorResponses } } },
    async (_request, reply) => {
      if (!ctx.metrics) throw new CopylessError('NOT_FOUND', 'metrics are not enabled on this HTTP server');
      const text = await ctx.metrics.render();
      return reply.type(ctx.metrics.contentType).send(text);
    },
  );

  app.get('/openapi.json', { schema: { summary: 'This API as an OpenAPI 3.1 document', tags, response: { 200: openObject } } }, async () => app.swagger());
}
