// Proves the decoders throw nothing but CopylessError on malformed input:
// random bytes, every truncation and random byte flips of valid frames, for
// every API and version, on both the request and the response side.

import { describe, expect, it } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import {
  API_NAMES, FrameDecoder, SUPPORTED_VERSIONS, decodeRequest, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse,
  type RequestHeader,
} from '../../src/protocol/index.ts';
import { REQUESTS, RESPONSES } from './samples.ts';

const RANDOM_FRAMES_PER_VERSION = 60;
const FLIPS_PER_VERSION = 120;

let seed = 0x2545f491;
function random(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = random(256);
  // Small counts and lengths reach deeper into the schema than uniform noise.
  if (length >= 4 && random(2) === 0) out.writeInt32BE(random(4) - 1, random(length - 3));
  return out;
}

/** Runs `decode`; passes if it returns or throws a CopylessError, and says which. */
function outcome(decode: () => unknown): 'ok' | 'error' {
  try {
    decode();
    return 'ok';
  } catch (e) {
    if (!(e instanceof CopylessError)) throw new Error(`leaked ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    expect(['INVALID_REQUEST', 'CORRUPT_MESSAGE', 'UNSUPPORTED_VERSION', 'LIMIT_EXCEEDED']).toContain(e.errorName);
    return 'error';
  }
}

const cases = [...SUPPORTED_VERSIONS].flatMap(([apiKey, { min, max }]) =>
  Array.from({ length: max - min + 1 }, (_, i) => ({ apiKey, apiVersion: min + i, name: `${API_NAMES.get(apiKey)} v${min + i}` })),
);

describe('fuzzed input yields CopylessError only', () => {
  it.each(cases)('$name', ({ apiKey, apiVersion }) => {
    const header: RequestHeader = { apiKey, apiVersion, correlationId: 1, clientId: 'fuzz' };
    const request = encodeRequest(header, REQUESTS.get(apiKey)!).subarray(4);
    const response = Buffer.concat(encodeResponse(header, RESPONSES.get(apiKey)!) as Buffer[]).subarray(4);
    const bodyOffset = decodeRequestHeader(request).bodyOffset;
    const decodeReq = (frame: Buffer) => () => decodeRequest(decodeRequestHeader(frame).header, frame, bodyOffset);
    const decodeRes = (frame: Buffer) => () => decodeResponse(header, frame);

    for (let cut = 0; cut < request.length; cut++) expect(outcome(decodeReq(request.subarray(0, cut)))).toBe('error');
    for (let cut = 0; cut < response.length; cut++) expect(outcome(decodeRes(response.subarray(0, cut)))).toBe('error');

    for (let i = 0; i < FLIPS_PER_VERSION; i++) {
      const req = Buffer.from(request);
      req[bodyOffset + random(req.length - bodyOffset)] = random(256);
      outcome(decodeReq(req));
      const res = Buffer.from(response);
      res[random(res.length)] = random(256);
      outcome(decodeRes(res));
    }
    for (let i = 0; i < RANDOM_FRAMES_PER_VERSION; i++) {
      const noise = randomBytes(random(request.length * 2));
      outcome(() => decodeRequest(header, noise, 0));
      outcome(() => decodeResponse(header, noise));
    }
  });

  it('random request headers', () => {
    for (let i = 0; i < 2000; i++) {
      const frame = randomBytes(random(24));
      outcome(() => {
        const { header, bodyOffset } = decodeRequestHeader(frame);
        return decodeRequest(header, frame, bodyOffset);
      });
    }
  });

  it('random streams into FrameDecoder', () => {
    for (let i = 0; i < 200; i++) {
      const decoder = new FrameDecoder({ frameBytesMax: 256 });
      const stream = randomBytes(random(2000));
      for (let pos = 0; pos < stream.length;) {
        const len = 1 + random(64);
        if (outcome(() => decoder.push(stream.subarray(pos, pos + len))) === 'error') break;
        pos += len;
      }
    }
  });
});
