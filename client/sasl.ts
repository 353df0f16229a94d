// SASL authentication of an SDK connection, run right after ApiVersions on
// every (re)connect: SaslHandshake v1 names the mechanism, then
// SaslAuthenticate carries the exchange (PLAIN: one message; SCRAM-SHA-256:
// two round trips, and the broker's signature is checked, so a broker that
// does not know the password cannot pass for the real one). The options have
// kafkajs's shape: `{ mechanism: 'plain' | 'scram-sha-256', username, password }`.

import crypto from 'node:crypto';
import { CopylessError } from '../src/errors.ts';
import { ApiKey } from '../src/protocol/index.ts';
import { clientFinalMessage, encodeSaslName, SCRAM_SHA_256 } from '../src/protocol/sasl-scram.ts';
import { pickVersion, type VersionRange } from './api-versions.ts';
import { kafkaError } from './kafka-error.ts';
import type { Connection } from './connection.ts';

export interface SaslOptions {
  mechanism: 'plain' | 'scram-sha-256';
  username: string;
  password: string;
}

const CLIENT_SASL_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [ApiKey.SaslHandshake, { min: 1, max: 1 }],
  [ApiKey.SaslAuthenticate, { min: 0, max: 1 }],
]);

interface AuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
}

/** Check the options once, at construction, so a typo is not found at the first connect. */
export function checkSaslOptions(sasl: SaslOptions): SaslOptions {
  if (sasl === null || typeof sasl !== 'object' || (sasl.mechanism !== 'plain' && sasl.mechanism !== 'scram-sha-256')) {
    throw new CopylessError('INVALID_CONFIG', "sasl.mechanism must be 'plain' or 'scram-sha-256'", { field: 'sasl.mechanism' });
  }
  if (typeof sasl.username !== 'string' || sasl.username === '' || typeof sasl.password !== 'string' || sasl.password === '') {
    throw new CopylessError('INVALID_CONFIG', 'sasl needs a non-empty username and password', { field: 'sasl.username' });
  }
  return sasl;
}

export async function saslAuthenticate(connection: Connection, versions: ReadonlyMap<number, VersionRange>, sasl: SaslOptions, address: string): Promise<void> {
  const mechanism = sasl.mechanism === 'plain' ? 'PLAIN' : SCRAM_SHA_256;
  const handshakeVersion = pickVersion(CLIENT_SASL_VERSIONS, versions, address, ApiKey.SaslHandshake);
  const authVersion = pickVersion(CLIENT_SASL_VERSIONS, versions, address, ApiKey.SaslAuthenticate);
  const hs = await connection.send<{ errorCode: number; mechanisms: string[] }>(ApiKey.SaslHandshake, handshakeVersion, { mechanism });
  if (hs.errorCode !== 0) throw kafkaError(hs.errorCode, `SASL ${mechanism} with ${address} (broker offers ${hs.mechanisms.join(', ') || 'none'})`);
  const step = async (authBytes: Buffer): Promise<Buffer> => {
    const res = await connection.send<AuthenticateResponse>(ApiKey.SaslAuthenticate, authVersion, { authBytes });
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, `SASL ${mechanism} as ${sasl.username} with ${address}`, {}, res.errorMessage);
    return res.authBytes;
  };
  if (mechanism === 'PLAIN') {
    await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`));
    return;
  }
  const clientNonce = crypto.randomBytes(18).toString('base64');
  const clientFirstBare = `n=${encodeSaslName(sasl.username)},r=${clientNonce}`;
  const serverFirst = (await step(Buffer.from(`n,,${clientFirstBare}`))).toString('utf8');
  const final = clientFinalMessage({ password: sasl.password, clientFirstBare, serverFirst, clientNonce });
  const serverFinal = (await step(Buffer.from(final.message))).toString('utf8');
  if (serverFinal !== final.serverSignature) {
    throw new CopylessError('SASL_AUTHENTICATION_FAILED', `SCRAM: ${address} did not prove it knows the password (server signature mismatch)`);
  }
}
