// Kafka API version negotiation, shared by every SDK connection (the Cluster's
// produce/fetch/admin connections and the group coordinator connections):
// ask ApiVersions (v2, falling back to v0 on UNSUPPORTED_VERSION, as kafkajs
// does), then speak the highest version both sides support for each API.

import { CopylessError, ErrorCode } from '../src/errors.ts';
import { API_NAMES, ApiKey } from '../src/protocol/index.ts';
import type { Connection } from './connection.ts';
import { kafkaError } from './kafka-error.ts';

export interface VersionRange {
  min: number;
  max: number;
}

interface ApiVersionsResponseBody {
  errorCode: number;
  apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
}

/** The broker's advertised version range per API key. */
export async function negotiateApiVersions(connection: Connection, address: string): Promise<Map<number, VersionRange>> {
  let res = await connection.send<ApiVersionsResponseBody>(ApiKey.ApiVersions, 2, {});
  if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) res = await connection.send<ApiVersionsResponseBody>(ApiKey.ApiVersions, 0, {});
  if (res.errorCode !== 0) throw kafkaError(res.errorCode, `ApiVersions from ${address}`);
  const versions = new Map<number, VersionRange>();
  for (const k of res.apiKeys) versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  return versions;
}

/** Highest version of `apiKey` both this client (`ours`) and the broker at `address` (`theirs`) speak, or UNSUPPORTED_VERSION. */
export function pickVersion(
  ours: ReadonlyMap<number, VersionRange>,
  theirs: ReadonlyMap<number, VersionRange> | undefined,
  address: string,
  apiKey: number,
): number {
  const mine = ours.get(apiKey);
  const offered = theirs?.get(apiKey);
  if (mine === undefined || offered === undefined || offered.max < mine.min || offered.min > mine.max) {
    const api = API_NAMES.get(apiKey) ?? `api ${apiKey}`;
    const range = offered ? `${offered.min}-${offered.max}` : 'none';
    throw new CopylessError('UNSUPPORTED_VERSION', `broker ${address} offers ${api} versions ${range}, this client speaks ${mine ? `${mine.min}-${mine.max}` : 'none'}`, {
      apiKey,
    });
  }
  return Math.min(mine.max, offered.max);
}
