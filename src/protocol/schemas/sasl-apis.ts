// Schemas of the SASL APIs, transcribed from Apache Kafka 3.8's message JSON
// (see topic-apis.ts for the conventions). Only the classic, non-flexible
// versions: SaslHandshake v0-1, SaslAuthenticate v0-1 (v2 is flexible).
//
// SaslHandshake names the mechanism; the SASL exchange itself then travels in
// SaslAuthenticate requests (KIP-152). v0 is advertised because librdkafka's
// feature check asks for it, but a client that follows a v0 handshake with
// raw, unframed tokens (the pre-KIP-152 way) is refused and closed.

import { array, field, type Schema } from '../schema.ts';

// ---- SaslHandshake (17): v0-1 -----------------------------------------------

export const SaslHandshakeRequestSchema: Schema = [field('mechanism', 'string')];

export const SaslHandshakeResponseSchema: Schema = [
  field('errorCode', 'int16'),
  array('mechanisms', 'string'),
];

// ---- SaslAuthenticate (36): v0-1 --------------------------------------------

export const SaslAuthenticateRequestSchema: Schema = [field('authBytes', 'bytes')];

export const SaslAuthenticateResponseSchema: Schema = [
  field('errorCode', 'int16'),
  field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
  field('authBytes', 'bytes'),
  field('sessionLifetimeMs', 'int64', '1+'),
];
