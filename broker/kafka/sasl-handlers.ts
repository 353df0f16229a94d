// Kafka API handlers for SASL: SaslHandshake (v1) picks the mechanism,
// SaslAuthenticate (v0-1) carries the exchange (KIP-152). As in Kafka, a
// connection must authenticate before any other request but ApiVersions
// (connection.ts enforces it when saslUsers is set), and an unsupported
// mechanism, a failed authentication or a request out of order is answered
// with its error and then the connection is closed.

import { ErrorCode, toCopylessError } from '../../src/errors.ts';
import { ApiKey } from '../../src/protocol/index.ts';
import { SCRAM_SHA_256 } from '../../src/protocol/sasl-scram.ts';
import type { Handler } from './context.ts';
import { SASL_MECHANISMS, type SaslAuthenticator, type SaslMechanism } from './sasl.ts';

const NO_BYTES = Buffer.alloc(0);

/** The SASL handlers; `authenticator` is null when the broker has no saslUsers (every handshake is then refused). */
export function saslHandlers(authenticator: SaslAuthenticator | null): Map<number, Handler> {
  const mechanisms: string[] = authenticator ? [...SASL_MECHANISMS] : [];

  const handshake: Handler = async (ctx, req: { mechanism: string }) => {
    if (ctx.conn.principal !== null || ctx.conn.sasl !== null) {
      return { body: { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }, closeAfter: 'SaslHandshake out of order' };
    }
    if (!mechanisms.includes(req.mechanism)) {
      const why = authenticator ? `SASL mechanism ${req.mechanism} is not enabled` : 'SASL is not enabled on this broker (no saslUsers)';
      return { body: { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }, closeAfter: why };
    }
    ctx.conn.sasl = { mechanism: req.mechanism as SaslMechanism, scram: null };
    return { body: { errorCode: 0, mechanisms } };
  };

  const authenticate: Handler = async (ctx, req: { authBytes: Buffer }) => {
    const session = ctx.conn.sasl;
    if (authenticator === null || session === null || ctx.conn.principal !== null) {
      return answer(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate needs a SaslHandshake first', 'SaslAuthenticate out of order');
    }
    try {
      if (session.mechanism === SCRAM_SHA_256 && session.scram === null) {
        return { body: { errorCode: 0, errorMessage: null, authBytes: authenticator.scramFirst(session, req.authBytes), sessionLifetimeMs: 0 } };
      }
      let user: string;
      let authBytes: Buffer = NO_BYTES;
      if (session.mechanism === SCRAM_SHA_256) ({ user, serverFinal: authBytes } = authenticator.scramFinal(session, req.authBytes));
      else user = authenticator.plain(req.authBytes);
      ctx.conn.principal = user;
      ctx.conn.sasl = null;
      ctx.logger.info({ conn: ctx.conn.id, remote: ctx.conn.remote, user, mechanism: session.mechanism }, 'SASL authenticated');
      return { body: { errorCode: 0, errorMessage: null, authBytes, sessionLifetimeMs: 0 } };
    } catch (e) {
      const err = toCopylessError(e);
      ctx.logger.warn({ conn: ctx.conn.id, remote: ctx.conn.remote, mechanism: session.mechanism, err: err.message }, 'SASL authentication failed');
      return answer(ErrorCode.SASL_AUTHENTICATION_FAILED, err.message, 'SASL authentication failed');
    }
  };

  return new Map<number, Handler>([
    [ApiKey.SaslHandshake, handshake],
    [ApiKey.SaslAuthenticate, authenticate],
  ]);
}

function answer(errorCode: number, errorMessage: string, closeAfter: string) {
  return { body: { errorCode, errorMessage, authBytes: NO_BYTES, sessionLifetimeMs: 0 }, closeAfter };
}
