// Kafka's "consumer" embedded protocol: the bytes members of a group with
// protocolType "consumer" put in JoinGroup (their subscription, one per
// assignor they offer) and the leader sends back through SyncGroup (each
// member's assignment). The coordinator passes both through untouched, so
// every member of a mixed group (Java, librdkafka, kafkajs, the copyless SDK)
// must read the others' bytes: ConsumerProtocolSubscription.json and
// ConsumerProtocolAssignment.json in Apache Kafka, and kafkajs's
// src/consumer/assignerProtocol.js, which follows the same layout. The SDK
// encodes and decodes both; the broker's coordinator decodes an assignment
// only to report which member owns a partition (describe, lag).
//
// Subscription:
//   int16  version
//   int32  topic count, then per topic: int16 name length, UTF-8 name
//   bytes  userData (int32 length, -1 = null)
//   v1+:   ownedPartitions: int32 count, then per topic: string name, int32 count, int32 ids
//   v2+:   int32 generationId;  v3+: string rackId (nullable)
//
// Assignment:
//   int16  version
//   int32  topic count, then per topic: string name, int32 partition count, int32 ids
//   bytes  userData (int32 length, -1 = null)
//
// We write version 0 of both (what kafkajs writes, and what every client
// reads) and read any version by its version-0 prefix: fields a later version
// appends are skipped, as Kafka's own readers do for versions they predate.

import { CopylessError } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';

/** The protocol type of Kafka's own consumers (and kafkajs, librdkafka, the copyless SDK). */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The version this SDK writes. */
const WRITE_VERSION = 0;
const INT16_BYTES = 2;
const INT32_BYTES = 4;
/** Smallest encoded topic name (an empty string) and topic-partitions entry (empty name, empty list). */
const TOPIC_NAME_BYTES_MIN = INT16_BYTES;
const TOPIC_ENTRY_BYTES_MIN = INT16_BYTES + INT32_BYTES;
/** Kafka strings carry an int16 length. */
const STRING_BYTES_MAX = 0x7fff;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface Subscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
}

export interface Assignment {
  version: number;
  assignment: TopicPartitions[];
  userData: Buffer | null;
}

export function encodeSubscription(o: { topics: string[]; userData?: Buffer | null }): Buffer {
  const names = o.topics.map((t) => stringBytes(t, 'subscription topic'));
  const out = Buffer.alloc(INT16_BYTES + INT32_BYTES + names.reduce((n, b) => n + INT16_BYTES + b.length, 0) + bytesLength(o.userData));
  let pos = out.writeInt16BE(WRITE_VERSION, 0);
  pos = out.writeInt32BE(names.length, pos);
  for (const b of names) pos = writeString(out, pos, b);
  writeBytes(out, pos, o.userData ?? null);
  return out;
}

export function encodeAssignment(o: { assignment: TopicPartitions[]; userData?: Buffer | null }): Buffer {
  const names = o.assignment.map((a) => stringBytes(a.topic, 'assignment topic'));
  let size = INT16_BYTES + INT32_BYTES + bytesLength(o.userData);
  o.assignment.forEach((a, i) => (size += INT16_BYTES + names[i].length + INT32_BYTES + INT32_BYTES * a.partitions.length));
  const out = Buffer.alloc(size);
  let pos = out.writeInt16BE(WRITE_VERSION, 0);
  pos = out.writeInt32BE(o.assignment.length, pos);
  o.assignment.forEach((a, i) => {
    pos = writeString(out, pos, names[i]);
    pos = out.writeInt32BE(a.partitions.length, pos);
    for (const p of a.partitions) pos = out.writeInt32BE(p, pos);
  });
  writeBytes(out, pos, o.userData ?? null);
  return out;
}

/** A member's subscription; CORRUPT_MESSAGE naming the field when the bytes are not one. */
export function decodeSubscription(bytes: Buffer): Subscription {
  const r = new ByteReader(bytes, 0, 'CORRUPT_MESSAGE');
  const version = readVersion(r, 'subscription');
  const count = r.arrayCount('subscription.topics', false, TOPIC_NAME_BYTES_MIN);
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(r.string('subscription.topics[]', false)!);
  // userData is absent from some very old encodings; later fields are skipped.
  const userData = r.remaining > 0 ? r.bytes('subscription.userData', true) : null;
  return { version, topics, userData };
}

/**
 * A member's assignment. Zero bytes is an empty assignment: the coordinator
 * sends that to a member the leader gave nothing (kafkajs leaves such members
 * out of its SyncGroup).
 */
export function decodeAssignment(bytes: Buffer): Assignment {
  if (bytes.length === 0) return { version: WRITE_VERSION, assignment: [], userData: null };
  const r = new ByteReader(bytes, 0, 'CORRUPT_MESSAGE');
  const { version, assignment } = readAssignedPartitions(r);
  const userData = r.remaining > 0 ? r.bytes('assignment.userData', true) : null;
  return { version, assignment, userData };
}

/**
 * The partitions an assignment gives its member, or null when the bytes are
 * not a consumer assignment: what the coordinator reports, where a member may
 * have put anything in these bytes (another protocol type, a buggy assignor)
 * and nothing must throw. Reads the topics and partitions only; the user data
 * and anything after it are not looked at.
 */
export function decodeAssignmentOrNull(bytes: Buffer): TopicPartitions[] | null {
  if (bytes.length === 0) return [];
  try {
    return readAssignedPartitions(new ByteReader(bytes, 0, 'CORRUPT_MESSAGE')).assignment;
  } catch {
    return null;
  }
}

/** An assignment's version and assigned partitions: every version starts with them. */
function readAssignedPartitions(r: ByteReader): { version: number; assignment: TopicPartitions[] } {
  const version = readVersion(r, 'assignment');
  const count = r.arrayCount('assignment.assignedPartitions', false, TOPIC_ENTRY_BYTES_MIN);
  const assignment: TopicPartitions[] = [];
  for (let i = 0; i < count; i++) {
    const topic = r.string('assignment.topic', false)!;
    const partitionCount = r.arrayCount('assignment.partitions', false, INT32_BYTES);
    const partitions: number[] = [];
    for (let p = 0; p < partitionCount; p++) partitions.push(r.int32('assignment.partition'));
    assignment.push({ topic, partitions });
  }
  return { version, assignment };
}

function readVersion(r: ByteReader, what: string): number {
  const version = r.int16(`${what}.version`);
  if (version < 0) r.fail(`${what}.version`, `version ${version} is negative`);
  return version;
}

function stringBytes(s: string, what: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > STRING_BYTES_MAX) {
    throw new CopylessError('INVALID_TOPIC_EXCEPTION', `${what} is ${b.length} bytes, a Kafka string holds at most ${STRING_BYTES_MAX}`, {
      topic: s.slice(0, 64),
      max: STRING_BYTES_MAX,
      actual: b.length,
    });
  }
  return b;
}

function bytesLength(b: Buffer | null | undefined): number {
  return INT32_BYTES + (b?.length ?? 0);
}

function writeString(out: Buffer, pos: number, b: Buffer): number {
  pos = out.writeInt16BE(b.length, pos);
  return pos + b.copy(out, pos);
}

function writeBytes(out: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return out.writeInt32BE(-1, pos);
  pos = out.writeInt32BE(b.length, pos);
  return pos + b.copy(out, pos);
}
