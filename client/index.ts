// The copyless client SDK: a typed, kafkajs-shaped client for copyless and
// for any Kafka broker (classic protocol versions).

export { Copyless, type CopylessConfig } from './copyless.ts';
export { Producer } from './producer.ts';
export type { ProducerOptions, ProducerRecord, Message, RecordMetadata, Acks, Compression, Headers } from './producer-types.ts';
export { Consumer } from './consumer.ts';
export type { ConsumerOptions } from './consumer-options.ts';
export type { AssignmentSpec, OffsetSpec, PartitionPosition } from './consumer-positions.ts';
export type { Batch, RunOptions } from './batch-channel.ts';
export { Fetcher, type ConsumedMessage, type FetchAccounting } from './fetcher.ts';
export type { GroupOptions, PartitionsAssignedEvent, PartitionsRevokedEvent, TopicPartition } from './group/group-session.ts';
export { rangeAssignor, roundRobinAssignor, kafkajsRoundRobinAssignor, ASSIGNORS_DEFAULT, type Assignor, type AssignorName, type AssignorMember } from './group/assignors.ts';
export { encodeSubscription, decodeSubscription, encodeAssignment, decodeAssignment, CONSUMER_PROTOCOL_TYPE, type Subscription, type Assignment, type TopicPartitions } from '../src/protocol/consumer-protocol.ts';
export { Admin, type TopicSpec, type TopicDescription, type PartitionDescription, type SegmentDescription, type BrokerInfo, type BrokerStats, type FetchModeStats, type GroupSummary, type GroupDescription, type GroupLagPartition, type ResetOffsetsSpec } from './admin.ts';
export { createDefaultPartitioner, partitionForKey, type Partitioner, type PartitionerArgs } from '../src/record/partitioner.ts';
export { murmur2, toPositive } from '../src/record/murmur2.ts';
export type { RetryOptions } from './retry.ts';
export type { SaslOptions } from './sasl.ts';
export { CopylessError, ErrorCode, isCopylessError } from '../src/errors.ts';
