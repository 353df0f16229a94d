// src/protocol: the Kafka wire codec of copyless (pure, no sockets).
// docs/protocol.md lists the APIs and versions and why.

export { ApiKey, API_NAMES, SUPPORTED_VERSIONS, isVersionSupported } from './api-key.ts';
export type { ApiKeyName, ApiKeyValue, VersionRange } from './api-key.ts';
export { chunksByteLength, isExternalChunk, isRecordsParts } from './chunk.ts';
export type { Chunk, ExternalChunk, RecordsParts } from './chunk.ts';
export { FrameDecoder } from './frame-decoder.ts';
export {
  advertisedApiVersions,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
} from './codec.ts';
export type { RequestHeader } from './codec.ts';
export type * from './messages.ts';
export type { GroupDescription, GroupLagPartition, GroupStateName, GroupSummary } from './extension-payloads.ts';
