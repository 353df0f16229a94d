// A cluster stand-in for the consumer's unit tests: topic metadata and
// ListOffsets answers from plain per-partition records (leader, log start,
// log end), with every ListOffsets recorded.
import type { PositionsCluster } from '../../client/consumer-positions.ts';
import { CopylessError } from '../../src/errors.ts';

export interface FakeLog {
  leader: number;
  start: number;
  end: number;
}

interface ListOffsetsBody {
  topics: { name: string; partitions: { partitionIndex: number; timestamp: number }[] }[];
}

/** Topic metadata and ListOffsets answers from plain per-partition records; every ListOffsets is recorded. */
export class FakeCluster implements PositionsCluster {
  readonly logs = new Map<string, FakeLog[]>();
  readonly listOffsets: { leader: number; timestamp: number; partitions: string[] }[] = [];
  failListOffsets = false;

  async topicMetadata(topics: string[]) {
    return topics.map((name) => ({ name, errorCode: 0, partitions: (this.logs.get(name) ?? []).map((l, partition) => ({ partition, leader: l.leader, errorCode: 0 })) }));
  }

  leaderOf(topic: string, partition: number): number {
    const log = this.logs.get(topic)?.[partition];
    if (log === undefined) throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}/${partition}`, { topic, partition });
    return log.leader;
  }

  retry<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    return fn(0);
  }

  async send<T>(leader: number, _apiKey: number, body: unknown): Promise<T> {
    if (this.failListOffsets) throw new CopylessError('BROKER_NOT_AVAILABLE', 'down');
    const { topics } = body as ListOffsetsBody;
    for (const t of topics) {
      const timestamps = new Set(t.partitions.map((p) => p.timestamp));
      for (const timestamp of timestamps) {
        this.listOffsets.push({ leader, timestamp, partitions: t.partitions.filter((p) => p.timestamp === timestamp).map((p) => `${t.name}/${p.partitionIndex}`) });
      }
    }
    const answer = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const log = this.logs.get(t.name)![p.partitionIndex];
        return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: p.timestamp === -2 ? log.start : log.end };
      }),
    }));
    return { topics: answer } as T;
  }
}
