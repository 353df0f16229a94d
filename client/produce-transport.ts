// The producer's wire side over a Cluster: one Produce request per call, to
// the leader the sender chose (produce-sender.ts decides order, pipelining
// and retries; this file only speaks the protocol).
//
// Produce v3-v7 responses carry no error message, so a MESSAGE_TOO_LARGE is
// explained here: the batch's size and record count from what was sent, the
// limit from the broker where it can say (copyless: the topic's
// messageBytesMax, from CopylessDescribeTopics and CopylessBrokerInfo).

import { CopylessError, ErrorCode, toCopylessError } from '../src/errors.ts';
import { ApiKey } from '../src/protocol/index.ts';
import type { CopylessJsonResponse, ProduceRequest, ProduceResponse } from '../src/protocol/index.ts';
import type { Cluster } from './cluster.ts';
import { kafkaError } from './kafka-error.ts';
import type { ProduceOutcome, ProduceTransport, ReadyBatch } from './produce-sender.ts';

export class ClusterProduceTransport implements ProduceTransport {
  private readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  get isClosed(): boolean {
    return this.cluster.isClosed;
  }

  async partitionCount(topic: string): Promise<number> {
    const cached = this.cachedPartitionCount(topic);
    if (cached !== undefined) return cached;
    const [t] = await this.cluster.topicMetadata([topic], true);
    return t.partitions.length;
  }

  cachedPartitionCount(topic: string): number | undefined {
    const cached = this.cluster.cachedTopic(topic);
    return cached !== undefined && cached.errorCode === 0 && cached.partitions.length > 0 ? cached.partitions.length : undefined;
  }

  leaderOf(topic: string, partition: number): number | CopylessError {
    try {
      return this.cluster.leaderOf(topic, partition);
    } catch (e) {
      return toCopylessError(e);
    }
  }

  async refreshMetadata(topics: string[]): Promise<void> {
    await this.cluster.refreshMetadata(topics);
  }

  async produce(leader: number, batches: ReadyBatch[], o: { acks: number; ackTimeoutMs: number }): Promise<ProduceOutcome[]> {
    const body: ProduceRequest = { transactionalId: null, acks: o.acks, timeoutMs: o.ackTimeoutMs, topicData: toTopicData(batches) };
    const res = await this.cluster.send<ProduceResponse | undefined>(leader, ApiKey.Produce, body, { expectResponse: o.acks !== 0 });
    if (o.acks === 0) return batches.map(() => -1);
    const outcome = new Map<string, { errorCode: number; baseOffset: number }>();
    for (const t of res!.responses) for (const p of t.partitionResponses) outcome.set(`${p.index}\u0000${t.name}`, p);
    return Promise.all(
      batches.map(async (b) => {
        const r = outcome.get(`${b.partition}\u0000${b.topic}`);
        if (r === undefined) return new CopylessError('UNKNOWN_SERVER_ERROR', `Produce response has no entry for ${b.topic}/${b.partition}`);
        if (r.errorCode === 0) return r.baseOffset;
        if (r.errorCode === ErrorCode.MESSAGE_TOO_LARGE) return this.tooLarge(leader, b);
        return kafkaError(r.errorCode, `produce to ${b.topic}/${b.partition}`, { topic: b.topic, partition: b.partition });
      }),
    );
  }

  /** MESSAGE_TOO_LARGE with the batch's size and, where the broker can say, the limit it exceeded. */
  private async tooLarge(leader: number, b: ReadyBatch): Promise<CopylessError> {
    const limit = await this.messageBytesMax(leader, b.topic).catch(() => null);
    const what = b.recordCount === 1 ? 'the record (a batch of 1)' : `the batch of ${b.recordCount} records`;
    const over = limit === null ? "over the broker's limit (max.message.bytes)" : `over messageBytesMax=${limit}`;
    const hint = b.recordCount > 1 ? '; lower batchBytes (--batch-bytes) below the limit' : '';
    return new CopylessError('MESSAGE_TOO_LARGE', `produce to ${b.topic}/${b.partition}: MESSAGE_TOO_LARGE: ${what} is ${b.bytes.length} bytes, ${over}${hint}`, {
      topic: b.topic,
      partition: b.partition,
      limit: 'messageBytesMax',
      actual: b.bytes.length,
      ...(limit === null ? {} : { max: limit }),
    });
  }

  /** The topic's messageBytesMax on a copyless broker (its override, else the broker's); null elsewhere. */
  private async messageBytesMax(leader: number, topic: string): Promise<number | null> {
    const address = this.cluster.addressOf(leader);
    if (!this.cluster.supports(address, ApiKey.CopylessDescribeTopics) || !this.cluster.supports(address, ApiKey.CopylessBrokerInfo)) return null;
    const [described, info] = await Promise.all([
      this.cluster.send<CopylessJsonResponse>(leader, ApiKey.CopylessDescribeTopics, { json: JSON.stringify({ topics: [topic] }) }),
      this.cluster.send<CopylessJsonResponse>(leader, ApiKey.CopylessBrokerInfo, { json: '{}' }),
    ]);
    type Described = { topics?: { config?: { messageBytesMax?: unknown } }[] };
    const override = described.errorCode === 0 ? (JSON.parse(described.json) as Described).topics?.[0]?.config?.messageBytesMax : undefined;
    if (typeof override === 'number') return override;
    const broker = info.errorCode === 0 ? (JSON.parse(info.json) as { config?: { messageBytesMax?: unknown } }).config?.messageBytesMax : undefined;
    return typeof broker === 'number' ? broker : null;
  }
}

function toTopicData(list: ReadyBatch[]): ProduceRequest['topicData'] {
  const byTopic = new Map<string, { index: number; records: Buffer }[]>();
  for (const b of list) {
    let parts = byTopic.get(b.topic);
    if (parts === undefined) byTopic.set(b.topic, (parts = []));
    parts.push({ index: b.partition, records: b.bytes });
  }
  return [...byTopic].map(([name, partitionData]) => ({ name, partitionData }));
}
