// Every HTTP error answer is `{ code, name, message, details? }` with the
// status from the one error table (src/errors.ts), whatever raised it: a
// CopylessError from the broker core, fastify's own errors (schema validation,
// body limit, media type, unknown route) or a bug (500, logged).

import type { FastifyError } from 'fastify';
import { CopylessError, errorInfo, isCopylessError } from '../../src/errors.ts';

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'An error from the shared table: the Kafka error code (or copyless >= 20000), its name and a message naming the field or limit.',
  required: ['code', 'name', 'message'],
  properties: {
    code: { type: 'integer' },
    name: { type: 'string' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** Map any failure inside a request to the typed error it is answered with. */
export function toHttpError(e: unknown, o: { bodyBytesMax: number }): CopylessError {
  if (isCopylessError(e)) return e;
  const fe = e as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (fe.validation) {
    return new CopylessError('INVALID_REQUEST', validationMessage(fe), { field: fe.validationContext });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CopylessError('LIMIT_EXCEEDED', `the request body is over httpBodyBytesMax=${o.bodyBytesMax} bytes`, {
        field: 'body',
        limit: 'httpBodyBytesMax',
        max: o.bodyBytesMax,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CopylessError('UNSUPPORTED_MEDIA_TYPE', `${fe.message}; bodies are application/json, or raw batches as application/vnd.kafka.recordbatch where /openapi.json lists it`, {
        field: 'content-type',
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new CopylessError('INVALID_REQUEST', `${fe.message}: Content-Length does not match the body`, { field: 'content-length' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new CopylessError('INVALID_REQUEST', `the body is not valid JSON: ${fe.message}`, { field: 'body' });
  }
  if (e instanceof SyntaxError) return new CopylessError('INVALID_REQUEST', `the body is not valid JSON: ${e.message}`, { field: 'body' });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new CopylessError('INVALID_REQUEST', fe.message ?? 'bad request');
  }
  return new CopylessError('UNKNOWN_SERVER_ERROR', e instanceof Error ? e.message : String(e));
}

/** "querystring/maxBytes must be integer" from ajv's first error, naming the part and the field. */
function validationMessage(fe: { validation?: unknown; validationContext?: string; message?: string }): string {
  const first = Array.isArray(fe.validation) ? (fe.validation[0] as { instancePath?: string; message?: string; params?: Record<string, unknown> }) : null;
  if (!first) return fe.message ?? 'invalid request';
  const extra = first.params?.additionalProperty ?? first.params?.missingProperty;
  const path = `${fe.validationContext ?? 'request'}${first.instancePath ?? ''}${extra ? `/${String(extra)}` : ''}`;
  const allowed = Array.isArray(first.params?.allowedValues) ? `: ${(first.params!.allowedValues as unknown[]).join(', ')}` : '';
  return `${path} ${first.message ?? 'is invalid'}${allowed}`;
}

export function httpStatusOf(err: CopylessError): number {
  return errorInfo(err.code).httpStatus;
}

export function errorBody(err: CopylessError): { code: number; name: string; message: string; details?: Record<string, unknown> } {
  return err.toJSON();
}
