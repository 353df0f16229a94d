// Broker routes the dashboard added (any client may use them):
//   GET  /broker/activity                 connections and their fetch modes, the last fetch of every mode, per-topic counters
//   POST /broker/page-cache/write-back    `sync`: fdatasync every partition's unflushed data, so every dirty page becomes clean

import type { FastifyInstance } from 'fastify';
import { activitySnapshot } from '../../dashboard/stats-source.ts';
import type { HttpContext } from '../context.ts';
import { errorResponses, openObject } from '../schemas.ts';

export function dashboardRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;
  const tags = ['broker'];

  app.get<{ Querystring: { connection?: number } }>(
    '/broker/activity',
    {
      schema: {
        summary: 'What the broker is doing: Kafka connections and their fetch modes, the last fetch of each mode (its own accounting), per-topic produce/fetch counters',
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { connection: { type: 'integer', minimum: 0, description: 'also answer the last fetch of this Kafka connection (connectionFetch)' } },
        },
        response: { 200: openObject, ...errorResponses },
      },
    },
    async (request) => activitySnapshot(broker, { connection: request.query.connection ?? null }),
  );

  app.post(
    '/broker/page-cache/write-back',
    {
      schema: {
        summary: 'sync: fdatasync the unflushed data of every partition (off the event loop); the simulated pages it covers become clean',
        tags,
        response: {
          200: {
            type: 'object',
            properties: {
              writtenBackPages: { type: 'integer', description: 'simulated pages made clean by this call' },
              fsyncs: { type: 'integer', description: 'fdatasync calls it made' },
              dirtyPages: { type: 'integer', description: 'dirty pages left (appended meanwhile)' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => {
      const before = broker.pageCache.stats();
      await Promise.all(broker.logs.all().map((log) => log.flush()));
      const after = broker.pageCache.stats();
      return { writtenBackPages: after.writeBackPages - before.writeBackPages, fsyncs: after.fsyncs - before.fsyncs, dirtyPages: after.dirtyPages };
    },
  );
}
