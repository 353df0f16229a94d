// SASL/SCRAM-SHA-256 (RFC 5802, RFC 7677) message formats and key
// derivation, shared by the broker (server side) and the SDK (client side).
// No sockets: the messages travel in SaslAuthenticate auth bytes.
//
// The exchange, as Kafka runs it (no channel binding, gs2 header "n,,"):
//   client-first  n,,n=<user>,r=<client nonce>
//   server-first  r=<client nonce><server nonce>,s=<base64 salt>,i=<iterations>
//   client-final  c=biws,r=<nonce>,p=<base64 ClientProof>
//   server-final  v=<base64 ServerSignature>       (or e=<error>)
// with
//   SaltedPassword  = PBKDF2-HMAC-SHA-256(password, salt, iterations)
//   ClientKey       = HMAC(SaltedPassword, "Client Key");  StoredKey = SHA-256(ClientKey)
//   ServerKey       = HMAC(SaltedPassword, "Server Key")
//   AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
//   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
//   ServerSignature = HMAC(ServerKey, AuthMessage)
// The server keeps only StoredKey and ServerKey, never the password.

import crypto from 'node:crypto';
import { CopylessError } from '../errors.ts';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
/** Kafka's minimum SCRAM iteration count (ScramMechanism.minIterations). */
export const SCRAM_ITERATIONS_MIN = 4096;
const KEY_BYTES = 32;

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

function hmac(key: Buffer, text: string): Buffer {
  return crypto.createHmac('sha256', key).update(text).digest();
}

function sha256(b: Buffer): Buffer {
  return crypto.createHash('sha256').update(b).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function invalid(message: string): CopylessError {
  return new CopylessError('SASL_AUTHENTICATION_FAILED', `SCRAM: ${message}`, { field: 'authBytes' });
}

/** The client and server keys of a password (SaltedPassword is slow on purpose: `iterations` rounds). */
export function scramKeys(password: string, salt: Buffer, iterations: number): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const salted = crypto.pbkdf2Sync(password.normalize('NFKC'), salt, iterations, KEY_BYTES, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

/** A stored credential for a password, with a fresh random salt. */
export function scramCredential(password: string, iterations = SCRAM_ITERATIONS_MIN): ScramCredential {
  const salt = crypto.randomBytes(16);
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return { salt, iterations, storedKey, serverKey };
}

/** `key=value` attributes of a SCRAM message, in order. */
export function scramAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw invalid(`malformed attribute ${JSON.stringify(part.slice(0, 32))}`);
    out.set(part[0], part.slice(2));
  }
  return out;
}

/** RFC 5802 saslname: "=" and "," are written "=3D" and "=2C". */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw invalid('malformed user name escape');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export interface ClientFirst {
  gs2Header: string;
  bare: string;
  user: string;
  nonce: string;
}

export function parseClientFirst(message: string): ClientFirst {
  const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(message);
  if (!m) throw invalid('client-first message must start with a gs2 header "n,," (channel binding is not supported)');
  const bare = m[3];
  const attrs = scramAttributes(bare);
  const user = attrs.get('n');
  const nonce = attrs.get('r');
  if (user === undefined || !nonce) throw invalid('client-first message needs n= and r=');
  return { gs2Header: `${m[1]},${m[2] ?? ''},`, bare, user: decodeSaslName(user), nonce };
}

export function serverFirstMessage(nonce: string, credential: { salt: Buffer; iterations: number }): string {
  return `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
}

/**
 * Check a client-final message against the stored credential. Returns the
 * server-final message on success; throws SASL_AUTHENTICATION_FAILED otherwise.
 */
export function verifyClientFinal(o: { first: ClientFirst; serverFirst: string; nonce: string; clientFinal: string; credential: ScramCredential }): string {
  const at = o.clientFinal.lastIndexOf(',p=');
  if (at < 0) throw invalid('client-final message has no proof');
  const withoutProof = o.clientFinal.slice(0, at);
  const attrs = scramAttributes(withoutProof);
  if (attrs.get('c') !== Buffer.from(o.first.gs2Header).toString('base64')) throw invalid('channel binding does not match the gs2 header');
  // Kafka accepts a final nonce that ends with the server's (ScramSaslServer): librdkafka sends the client nonce once more in front.
  if (!(attrs.get('r') ?? '').endsWith(o.nonce)) throw invalid('nonce does not match');
  const proof = Buffer.from(o.clientFinal.slice(at + 3), 'base64');
  const authMessage = `${o.first.bare},${o.serverFirst},${withoutProof}`;
  const clientKey = proof.length === KEY_BYTES ? xor(proof, hmac(o.credential.storedKey, authMessage)) : Buffer.alloc(KEY_BYTES);
  if (!crypto.timingSafeEqual(sha256(clientKey), o.credential.storedKey)) throw invalid('Authentication failed: Invalid username or password');
  return `v=${hmac(o.credential.serverKey, authMessage).toString('base64')}`;
}

/** Client side: the client-final message for a server-first one, and the server signature to expect. */
export function clientFinalMessage(o: { password: string; clientFirstBare: string; serverFirst: string; clientNonce: string }): {
  message: string;
  serverSignature: string;
} {
  const attrs = scramAttributes(o.serverFirst);
  const nonce = attrs.get('r') ?? '';
  const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
  const iterations = Number(attrs.get('i'));
  if (!nonce.startsWith(o.clientNonce) || nonce.length <= o.clientNonce.length) throw invalid('server nonce does not extend the client nonce');
  if (!Number.isInteger(iterations) || iterations < SCRAM_ITERATIONS_MIN || salt.length === 0) throw invalid(`server asks for ${attrs.get('i')} iterations or no salt`);
  const { clientKey, storedKey, serverKey } = scramKeys(o.password, salt, iterations);
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${o.clientFirstBare},${o.serverFirst},${withoutProof}`;
  const proof = xor(clientKey, hmac(storedKey, authMessage));
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverSignature: `v=${hmac(serverKey, authMessage).toString('base64')}` };
}
