// SASL authentication of the Kafka port: the users of `saslUsers`, the
// mechanisms offered, and one exchange per connection.
//
// PLAIN (RFC 4616): one message `[authzid] NUL user NUL password`, checked
// against the configured password through SHA-256 digests and
// timingSafeEqual, so the time taken says nothing about the password.
// SCRAM-SHA-256 (RFC 5802/7677, src/protocol/sasl-scram.ts): two round
// trips; the broker keeps only each user's salted keys, derived at start. An
// unknown user gets a made-up salt and fails at the proof like a wrong
// password, so neither mechanism tells which user names exist.
//
// PLAIN sends the password in the clear: without TLS in front (see
// docs/security.md) anyone on the path reads it. SCRAM never sends it.

import crypto from 'node:crypto';
import { CopylessError } from '../../src/errors.ts';
import {
  parseClientFirst,
  scramCredential,
  SCRAM_ITERATIONS_MIN,
  SCRAM_SHA_256,
  serverFirstMessage,
  verifyClientFinal,
  type ClientFirst,
  type ScramCredential,
} from '../../src/protocol/sasl-scram.ts';

export const SASL_MECHANISMS = ['PLAIN', SCRAM_SHA_256] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** One connection's SASL state, from SaslHandshake to the end of the exchange. */
export interface SaslSession {
  mechanism: SaslMechanism;
  /** SCRAM: the first round's messages, kept for the proof. */
  scram: { first: ClientFirst; serverFirst: string; nonce: string; credential: ScramCredential } | null;
}

function failed(message = 'Authentication failed: Invalid username or password'): CopylessError {
  return new CopylessError('SASL_AUTHENTICATION_FAILED', message, { field: 'authBytes' });
}

export class SaslAuthenticator {
  private readonly passwordDigests = new Map<string, Buffer>();
  private readonly scram = new Map<string, ScramCredential>();
  /** Salts made up for unknown users: derived from the name, so a retry gets the same one. */
  private readonly decoySecret = crypto.randomBytes(32);

  constructor(users: Record<string, string>) {
    for (const [user, password] of Object.entries(users)) {
      this.passwordDigests.set(user, digest(password));
      this.scram.set(user, scramCredential(password));
    }
  }

  /** PLAIN: the authenticated user, or SASL_AUTHENTICATION_FAILED. */
  plain(authBytes: Buffer): string {
    const parts = authBytes.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw failed('PLAIN: expected [authzid] NUL user NUL password');
    const [authzid, user, password] = parts;
    if (authzid !== '' && authzid !== user) throw failed('PLAIN: authorization id must be empty or the user name');
    const expected = this.passwordDigests.get(user) ?? this.decoyDigest(user);
    const ok = crypto.timingSafeEqual(digest(password), expected) && this.passwordDigests.has(user);
    if (!ok) throw failed();
    return user;
  }

  /** SCRAM round 1: the server-first message; the session keeps what round 2 needs. */
  scramFirst(session: SaslSession, authBytes: Buffer): Buffer {
    const first = parseClientFirst(authBytes.toString('utf8'));
    const credential = this.scram.get(first.user) ?? this.decoyCredential(first.user);
    const nonce = first.nonce + crypto.randomBytes(18).toString('base64');
    const serverFirst = serverFirstMessage(nonce, credential);
    session.scram = { first, serverFirst, nonce, credential };
    return Buffer.from(serverFirst);
  }

  /** SCRAM round 2: the user and the server-final message, or SASL_AUTHENTICATION_FAILED. */
  scramFinal(session: SaslSession, authBytes: Buffer): { user: string; serverFinal: Buffer } {
    const s = session.scram!;
    const serverFinal = verifyClientFinal({ ...s, clientFinal: authBytes.toString('utf8') });
    if (!this.scram.has(s.first.user)) throw failed();
    return { user: s.first.user, serverFinal: Buffer.from(serverFinal) };
  }

  private decoyDigest(user: string): Buffer {
    return crypto.createHmac('sha256', this.decoySecret).update(`plain\u0000${user}`).digest();
  }

  private decoyCredential(user: string): ScramCredential {
    const seed = crypto.createHmac('sha256', this.decoySecret).update(`scram\u0000${user}`).digest();
    return { salt: seed.subarray(0, 16), iterations: SCRAM_ITERATIONS_MIN, storedKey: seed, serverKey: seed };
  }
}

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}
