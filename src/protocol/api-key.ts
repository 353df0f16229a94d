// Kafka API keys copyless speaks, their names, and the version ranges the
// broker advertises in ApiVersions.
//
// Every advertised range stays below each API's first flexible version
// (KIP-482), so neither kafkajs 2.2.4 nor librdkafka 2.0 ever sends a flexible
// request; the one exception, librdkafka's ApiVersions v3 probe, is answered
// without parsing its body (see encodeApiVersionsFallback). docs/protocol.md
// explains each range.

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeConfigs: 32,
  CreatePartitions: 37,
  SaslAuthenticate: 36,
  // copyless extension APIs, private key range; real Kafka clients ignore them
  CopylessBrokerInfo: 10000,
  CopylessSetFetchMode: 10001,
  CopylessStats: 10002,
  CopylessDescribeTopics: 10003,
  CopylessGroups: 10004,
  CopylessResetOffsets: 10005,
  CopylessDropCaches: 10006,
  CopylessFetch: 10010,
} as const;

export type ApiKeyName = keyof typeof ApiKey;
export type ApiKeyValue = (typeof ApiKey)[ApiKeyName];

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

// [key, min, max]; sorted by key because ApiVersions lists them in this order.
const ADVERTISED: ReadonlyArray<readonly [number, number, number]> = [
  // min 0 only for librdkafka (issue 4956, KAFKA-18659): it compresses only when Produce v0 is advertised.
  // v0-2 (message formats v0/v1) are refused per partition; v3 is the first with RecordBatch v2.
  [ApiKey.Produce, 0, 7],
  [ApiKey.Fetch, 4, 11], // v4 is the first with RecordBatch v2; both clients send 11; v12 is flexible
  [ApiKey.ListOffsets, 0, 3], // librdkafka 2, kafkajs 3; v0 (old-style offset arrays) for old clients
  [ApiKey.Metadata, 0, 6], // librdkafka 4, kafkajs 6; v9 is flexible
  [ApiKey.OffsetCommit, 0, 5], // both send 5; a Go client's default commits with v1; v8 is flexible
  [ApiKey.OffsetFetch, 1, 4], // both send 4; librdkafka would pick flexible v6/v7 if offered
  [ApiKey.FindCoordinator, 0, 2], // min 0: librdkafka 2.0's consumer-group feature check
  [ApiKey.JoinGroup, 0, 5], // min 0: same librdkafka quirk
  [ApiKey.Heartbeat, 0, 3], // min 0: same librdkafka quirk
  [ApiKey.LeaveGroup, 0, 3], // min 0: same quirk; librdkafka sends 1, kafkajs 3
  [ApiKey.SyncGroup, 0, 3], // min 0: same librdkafka quirk
  [ApiKey.DescribeGroups, 0, 4],
  [ApiKey.ListGroups, 0, 2],
  [ApiKey.SaslHandshake, 0, 1], // min 0: librdkafka's SASL feature check; the exchange must use SaslAuthenticate (v0's raw tokens are refused)
  [ApiKey.ApiVersions, 0, 2], // v3 is flexible: answered by the KIP-511 fallback instead
  [ApiKey.CreateTopics, 0, 3], // kafkajs 3; v5 is flexible
  [ApiKey.DeleteTopics, 0, 3], // kafkajs 1; v4 is flexible
  [ApiKey.DeleteRecords, 0, 1], // kafkajs 1; v2 is flexible
  [ApiKey.InitProducerId, 0, 1], // idempotent producers: kafkajs and librdkafka send 1; v2 is flexible
  [ApiKey.OffsetForLeaderEpoch, 0, 3], // librdkafka validates positions with v2+ (KIP-320); v4 is flexible
  [ApiKey.DescribeConfigs, 0, 3], // kafkajs 2, a Go client's ListTopics; v4 is flexible
  [ApiKey.SaslAuthenticate, 0, 1], // v2 is flexible
  [ApiKey.CreatePartitions, 0, 1], // kafkajs 1; v2 is flexible
  [ApiKey.CopylessBrokerInfo, 0, 0],
  [ApiKey.CopylessSetFetchMode, 0, 0],
  [ApiKey.CopylessStats, 0, 0],
  [ApiKey.CopylessDescribeTopics, 0, 0],
  [ApiKey.CopylessGroups, 0, 0],
  [ApiKey.CopylessResetOffsets, 0, 0],
  [ApiKey.CopylessDropCaches, 0, 0],
  [ApiKey.CopylessFetch, 0, 0],
];

/** What the broker advertises in ApiVersions, in key order; also what the codec accepts. */
export const SUPPORTED_VERSIONS: ReadonlyMap<number, VersionRange> = new Map(
  ADVERTISED.map(([key, min, max]) => [key, Object.freeze({ min, max })]),
);

/** API names by key, e.g. `API_NAMES.get(1) === 'Fetch'`. */
export const API_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ApiKey).map(([name, key]) => [key as number, name]),
);

export function isVersionSupported(apiKey: number, apiVersion: number): boolean {
  const range = SUPPORTED_VERSIONS.get(apiKey);
  return range !== undefined && apiVersion >= range.min && apiVersion <= range.max;
}
