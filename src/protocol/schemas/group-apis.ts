// Schemas of the consumer-group APIs, transcribed from Apache Kafka 3.8's
// message JSON (see topic-apis.ts for the conventions). The group protocol
// metadata and assignments are opaque bytes here.

import { array, field, type Schema } from '../schema.ts';

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

// ---- OffsetCommit (8): v0-5 ---------------------------------------------

export const OffsetCommitRequestSchema: Schema = [
  field('groupId', 'string'),
  field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
  field('memberId', 'string', '1+'),
  field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
  array('topics', [
    field('name', 'string'),
    array('partitions', [
      field('partitionIndex', 'int32'),
      field('committedOffset', 'int64'),
      field('commitTimestamp', 'int64', '1', { default: -1 }),
      field('committedMetadata', 'string', '0+', { nullable: '0+' }),
    ]),
  ]),
];

export const OffsetCommitResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '3+'),
  array('topics', [
    field('name', 'string'),
    array('partitions', [
      field('partitionIndex', 'int32'),
      field('errorCode', 'int16'),
    ]),
  ]),
];

// ---- OffsetFetch (9): v1-4 ----------------------------------------------

export const OffsetFetchRequestSchema: Schema = [
  field('groupId', 'string', '0-7'),
  // null (v2+) asks for every committed partition of the group
  array('topics', [
    field('name', 'string', '0-7'),
    array('partitionIndexes', 'int32', '0-7'),
  ], '0-7', { nullable: '2-7' }),
];

export const OffsetFetchResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '3+'),
  array('topics', [
    field('name', 'string', '0-7'),
    array('partitions', [
      field('partitionIndex', 'int32', '0-7'),
      field('committedOffset', 'int64', '0-7'),
      field('metadata', 'string', '0-7', { nullable: '0-7' }),
      field('errorCode', 'int16', '0-7'),
    ], '0-7'),
  ], '0-7'),
  field('errorCode', 'int16', '2-7'),
];

// ---- FindCoordinator (10): v0-2 -----------------------------------------

export const FindCoordinatorRequestSchema: Schema = [
  field('key', 'string', '0-3'),
  field('keyType', 'int8', '1+'),
];

export const FindCoordinatorResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0-3'),
  field('errorMessage', 'string', '1-3', { nullable: '1-3' }),
  field('nodeId', 'int32', '0-3'),
  field('host', 'string', '0-3'),
  field('port', 'int32', '0-3'),
];

// ---- JoinGroup (11): v0-5 -----------------------------------------------

export const JoinGroupRequestSchema: Schema = [
  field('groupId', 'string'),
  field('sessionTimeoutMs', 'int32'),
  field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
  field('memberId', 'string'),
  field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
  field('protocolType', 'string'),
  array('protocols', [
    field('name', 'string'),
    field('metadata', 'bytes'),
  ]),
];

export const JoinGroupResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '2+'),
  field('errorCode', 'int16'),
  field('generationId', 'int32', '0+', { default: -1 }),
  field('protocolName', 'string', '0+', { nullable: '7+' }),
  field('leader', 'string'),
  field('memberId', 'string'),
  array('members', [
    field('memberId', 'string'),
    field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    field('metadata', 'bytes'),
  ]),
];

// ---- Heartbeat (12): v0-3 -----------------------------------------------

export const HeartbeatRequestSchema: Schema = [
  field('groupId', 'string'),
  field('generationId', 'int32'),
  field('memberId', 'string'),
  field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
];

export const HeartbeatResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16'),
];

// ---- LeaveGroup (13): v0-3 ----------------------------------------------

export const LeaveGroupRequestSchema: Schema = [
  field('groupId', 'string'),
  field('memberId', 'string', '0-2'),
  array('members', [
    field('memberId', 'string'),
    field('groupInstanceId', 'string', '0+', { nullable: '0+', default: null }),
  ], '3+'),
];

export const LeaveGroupResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16'),
  array('members', [
    field('memberId', 'string'),
    field('groupInstanceId', 'string', '0+', { nullable: '0+' }),
    field('errorCode', 'int16'),
  ], '3+'),
];

// ---- SyncGroup (14): v0-3 -----------------------------------------------

export const SyncGroupRequestSchema: Schema = [
  field('groupId', 'string'),
  field('generationId', 'int32'),
  field('memberId', 'string'),
  field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  array('assignments', [
    field('memberId', 'string'),
    field('assignment', 'bytes'),
  ]),
];

export const SyncGroupResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16'),
  field('assignment', 'bytes'),
];

// ---- DescribeGroups (15): v0-4 ------------------------------------------

export const DescribeGroupsRequestSchema: Schema = [
  array('groups', 'string'),
  field('includeAuthorizedOperations', 'bool', '3+'),
];

export const DescribeGroupsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  array('groups', [
    field('errorCode', 'int16'),
    field('groupId', 'string'),
    field('groupState', 'string'),
    field('protocolType', 'string'),
    field('protocolData', 'string'),
    array('members', [
      field('memberId', 'string'),
      field('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
      field('clientId', 'string'),
      field('clientHost', 'string'),
      field('memberMetadata', 'bytes'),
      field('memberAssignment', 'bytes'),
    ]),
    field('authorizedOperations', 'int32', '3+', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
  ]),
];

// ---- ListGroups (16): v0-2 ----------------------------------------------

export const ListGroupsRequestSchema: Schema = [];

export const ListGroupsResponseSchema: Schema = [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16'),
  array('groups', [
    field('groupId', 'string'),
    field('protocolType', 'string'),
  ]),
];
