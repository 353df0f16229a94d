// Kafka's "consumer" embedded protocol: the opaque bytes members of a group
// with protocolType "consumer" exchange through JoinGroup (subscriptions) and
// SyncGroup (assignments), as ConsumerProtocolAssignment.json defines them.
// The coordinator passes both through untouched; it decodes an assignment
// only to report which member owns a partition (lag, describe).
//
// Assignment, every version (v0-v3 differ only after these fields):
//   int16  version
//   int32  topic count, then per topic:
//            int16 name length, UTF-8 name
//            int32 partition count, int32 partition ids
//   bytes  userData (int32 length, -1 = null); not decoded
//
// A member may put anything in these bytes (another protocol type, a buggy
// assignor): a malformed assignment decodes to null, never to an error.

import { ByteReader } from '../../src/protocol/byte-reader.ts';

/** The protocol type of Kafka's own consumers (and kafkajs, librdkafka, the copyless SDK). */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Smallest encoded topic entry: an empty name and an empty partition list. */
const TOPIC_ENTRY_BYTES_MIN = 2 + 4;
const PARTITION_BYTES = 4;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** The partitions an assignment gives its member, or null when the bytes are not a consumer assignment. */
export function decodeConsumerAssignment(bytes: Buffer): TopicPartitions[] | null {
  if (bytes.length === 0) return [];
  try {
    const r = new ByteReader(bytes, 0, 'INVALID_REQUEST');
    const version = r.int16('version');
    if (version < 0) return null;
    const topicCount = r.arrayCount('assignedPartitions', false, TOPIC_ENTRY_BYTES_MIN);
    const out: TopicPartitions[] = [];
    for (let t = 0; t < topicCount; t++) {
      const topic = r.string('topic', false)!;
      const partitionCount = r.arrayCount('partitions', false, PARTITION_BYTES);
      const partitions: number[] = [];
      for (let p = 0; p < partitionCount; p++) partitions.push(r.int32('partition'));
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return null;
  }
}
