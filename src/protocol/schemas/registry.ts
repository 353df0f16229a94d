// Which schema encodes each API's request and response, compiled once per
// supported version at load time.

import { ApiKey, SUPPORTED_VERSIONS } from '../api-key.ts';
import { compile, type CompiledStruct, type Schema } from '../schema.ts';
import * as admin from './admin-apis.ts';
import * as copyless from './copyless-apis.ts';
import * as group from './group-apis.ts';
import * as sasl from './sasl-apis.ts';
import * as topic from './topic-apis.ts';

const SCHEMAS: ReadonlyArray<readonly [number, Schema, Schema]> = [
  [ApiKey.Produce, topic.ProduceRequestSchema, topic.ProduceResponseSchema],
  [ApiKey.Fetch, topic.FetchRequestSchema, topic.FetchResponseSchema],
  [ApiKey.ListOffsets, topic.ListOffsetsRequestSchema, topic.ListOffsetsResponseSchema],
  [ApiKey.Metadata, topic.MetadataRequestSchema, topic.MetadataResponseSchema],
  [ApiKey.OffsetCommit, group.OffsetCommitRequestSchema, group.OffsetCommitResponseSchema],
  [ApiKey.OffsetFetch, group.OffsetFetchRequestSchema, group.OffsetFetchResponseSchema],
  [ApiKey.FindCoordinator, group.FindCoordinatorRequestSchema, group.FindCoordinatorResponseSchema],
  [ApiKey.JoinGroup, group.JoinGroupRequestSchema, group.JoinGroupResponseSchema],
  [ApiKey.Heartbeat, group.HeartbeatRequestSchema, group.HeartbeatResponseSchema],
  [ApiKey.LeaveGroup, group.LeaveGroupRequestSchema, group.LeaveGroupResponseSchema],
  [ApiKey.SyncGroup, group.SyncGroupRequestSchema, group.SyncGroupResponseSchema],
  [ApiKey.DescribeGroups, group.DescribeGroupsRequestSchema, group.DescribeGroupsResponseSchema],
  [ApiKey.ListGroups, group.ListGroupsRequestSchema, group.ListGroupsResponseSchema],
  [ApiKey.SaslHandshake, sasl.SaslHandshakeRequestSchema, sasl.SaslHandshakeResponseSchema],
  [ApiKey.SaslAuthenticate, sasl.SaslAuthenticateRequestSchema, sasl.SaslAuthenticateResponseSchema],
  [ApiKey.ApiVersions, topic.ApiVersionsRequestSchema, topic.ApiVersionsResponseSchema],
  [ApiKey.CreateTopics, topic.CreateTopicsRequestSchema, topic.CreateTopicsResponseSchema],
  [ApiKey.DeleteTopics, topic.DeleteTopicsRequestSchema, topic.DeleteTopicsResponseSchema],
  [ApiKey.DeleteRecords, admin.DeleteRecordsRequestSchema, admin.DeleteRecordsResponseSchema],
  [ApiKey.InitProducerId, admin.InitProducerIdRequestSchema, admin.InitProducerIdResponseSchema],
  [ApiKey.OffsetForLeaderEpoch, admin.OffsetForLeaderEpochRequestSchema, admin.OffsetForLeaderEpochResponseSchema],
  [ApiKey.DescribeConfigs, admin.DescribeConfigsRequestSchema, admin.DescribeConfigsResponseSchema],
  [ApiKey.CreatePartitions, admin.CreatePartitionsRequestSchema, admin.CreatePartitionsResponseSchema],
  [ApiKey.CopylessBrokerInfo, copyless.CopylessJsonRequestSchema, copyless.CopylessJsonResponseSchema],
  [ApiKey.CopylessSetFetchMode, copyless.CopylessJsonRequestSchema, copyless.CopylessJsonResponseSchema],
  [ApiKey.CopylessStats, copyless.CopylessJsonRequestSchema, copyless.CopylessJsonResponseSchema],
  [ApiKey.CopylessDescribeTopics, copyless.CopylessJsonRequestSchema, copyless.CopylessJsonResponseSchema],
  [ApiKey.CopylessGroups, copyless.CopylessJsonRequestSchema, copyless.CopylessJsonResponseSchema],
  [ApiKey.CopylessResetOffsets, copyless.CopylessJsonRequestSchema, copyless.CopylessJsonResponseSchema],
  [ApiKey.CopylessDropCaches, copyless.CopylessJsonRequestSchema, copyless.CopylessJsonResponseSchema],
  [ApiKey.CopylessFetch, copyless.CopylessFetchRequestSchema, copyless.CopylessFetchResponseSchema],
];

export interface CompiledApi {
  readonly request: CompiledStruct;
  readonly response: CompiledStruct;
}

// key -> version -> compiled codecs; only supported versions have entries.
const compiled = new Map<number, ReadonlyArray<CompiledApi | undefined>>();
for (const [key, requestSchema, responseSchema] of SCHEMAS) {
  const range = SUPPORTED_VERSIONS.get(key)!;
  const byVersion: Array<CompiledApi | undefined> = [];
  for (let v = range.min; v <= range.max; v++) {
    byVersion[v] = { request: compile(requestSchema, v), response: compile(responseSchema, v) };
  }
  compiled.set(key, byVersion);
}

/** The schemas of an API's request and response (tests walk them), else undefined. */
export function schemasOf(apiKey: number): { request: Schema; response: Schema } | undefined {
  const entry = SCHEMAS.find(([key]) => key === apiKey);
  return entry && { request: entry[1], response: entry[2] };
}

/** The compiled codecs for a supported key/version, else undefined. */
export function compiledApi(apiKey: number, apiVersion: number): CompiledApi | undefined {
  return compiled.get(apiKey)?.[apiVersion];
}
