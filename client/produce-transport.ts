// The producer's wire side: groups sealed batches (RecordBatch v2 bytes, see
// producer.ts) by partition leader into Produce requests, and retries the
// partitions that failed with a retriable error after refreshing Metadata.
//
// Two batches of one partition never share a request: the k-th batch of every
// partition goes in request k to that leader, and requests to one leader are
// pipelined on one connection, so the broker appends them in order.

import { CopylessError, toCopylessError } from '../src/errors.ts';
import { ApiKey } from '../src/protocol/index.ts';
import type { ProduceRequest, ProduceResponse } from '../src/protocol/index.ts';
import { type Cluster, kafkaError } from './cluster.ts';
import type { ProduceTransport, ReadyBatch } from './record-accumulator.ts';

interface Encoded {
  index: number;
  topic: string;
  partition: number;
  bytes: Buffer;
}

type Outcome = number | CopylessError;

export class ClusterProduceTransport implements ProduceTransport {
  private readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  async partitionCount(topic: string): Promise<number> {
    const cached = this.cluster.cachedTopic(topic);
    if (cached !== undefined && cached.errorCode === 0 && cached.partitions.length > 0) return cached.partitions.length;
    const [t] = await this.cluster.topicMetadata([topic], true);
    return t.partitions.length;
  }

  async produce(batches: ReadyBatch[], o: { acks: number; ackTimeoutMs: number }): Promise<Outcome[]> {
    const results: (Outcome | undefined)[] = new Array(batches.length);
    let pending: Encoded[] = batches.map((b, index) => ({ index, topic: b.topic, partition: b.partition, bytes: b.bytes }));
    const topics = [...new Set(batches.map((b) => b.topic))];
    try {
      await this.cluster.retry(async () => {
        pending = await this.sendRound(pending, o, results);
        if (pending.length > 0) throw (results[pending[0].index] as CopylessError | undefined) ?? retryable();
      }, topics);
    } catch (e) {
      for (const p of pending) results[p.index] = toCopylessError(e);
    }
    return results.map((r) => r ?? new CopylessError('UNKNOWN_SERVER_ERROR', 'batch was never sent'));
  }

  /** Sends every pending batch once; returns those that failed retriably. */
  private async sendRound(pending: Encoded[], o: { acks: number; ackTimeoutMs: number }, results: (Outcome | undefined)[]): Promise<Encoded[]> {
    const byLeader = new Map<number, Encoded[]>();
    const retry: Encoded[] = [];
    for (const p of pending) {
      try {
        const leader = this.cluster.leaderOf(p.topic, p.partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      } catch (e) {
        const err = toCopylessError(e);
        results[p.index] = err;
        if (err.retriable) retry.push(p);
      }
    }
    const sends: Promise<void>[] = [];
    for (const [leader, list] of byLeader) {
      for (const request of splitByPartition(list)) sends.push(this.sendRequest(leader, request, o, results, retry));
    }
    await Promise.all(sends);
    return retry;
  }

  private async sendRequest(
    leader: number,
    list: Encoded[],
    o: { acks: number; ackTimeoutMs: number },
    results: (Outcome | undefined)[],
    retry: Encoded[],
  ): Promise<void> {
    const body: ProduceRequest = { transactionalId: null, acks: o.acks, timeoutMs: o.ackTimeoutMs, topicData: toTopicData(list) };
    let res: ProduceResponse | undefined;
    try {
      res = await this.cluster.send<ProduceResponse>(leader, ApiKey.Produce, body, { expectResponse: o.acks !== 0 });
    } catch (e) {
      const err = toCopylessError(e);
      for (const p of list) {
        results[p.index] = err;
        if (err.retriable) retry.push(p);
      }
      return;
    }
    if (o.acks === 0) {
      for (const p of list) results[p.index] = -1;
      return;
    }
    const outcome = new Map<string, { errorCode: number; baseOffset: number }>();
    for (const t of res!.responses) for (const p of t.partitionResponses) outcome.set(`${p.index}\u0000${t.name}`, p);
    for (const p of list) {
      const r = outcome.get(`${p.partition}\u0000${p.topic}`);
      if (r === undefined) {
        results[p.index] = new CopylessError('UNKNOWN_SERVER_ERROR', `Produce response has no entry for ${p.topic}/${p.partition}`);
      } else if (r.errorCode === 0) {
        results[p.index] = r.baseOffset;
      } else {
        const err = kafkaError(r.errorCode, `produce to ${p.topic}/${p.partition}`, { topic: p.topic, partition: p.partition });
        results[p.index] = err;
        if (err.retriable) retry.push(p);
      }
    }
  }
}

/** Request k holds the k-th batch of each partition, so no request names a partition twice. */
function splitByPartition(list: Encoded[]): Encoded[][] {
  const rounds: Encoded[][] = [];
  const seen = new Map<string, number>();
  for (const p of list) {
    const id = `${p.partition}\u0000${p.topic}`;
    const k = seen.get(id) ?? 0;
    seen.set(id, k + 1);
    (rounds[k] ??= []).push(p);
  }
  return rounds;
}

function toTopicData(list: Encoded[]): ProduceRequest['topicData'] {
  const byTopic = new Map<string, { index: number; records: Buffer }[]>();
  for (const p of list) {
    let parts = byTopic.get(p.topic);
    if (parts === undefined) byTopic.set(p.topic, (parts = []));
    parts.push({ index: p.partition, records: p.bytes });
  }
  return [...byTopic].map(([name, partitionData]) => ({ name, partitionData }));
}

function retryable(): CopylessError {
  return new CopylessError('NOT_LEADER_OR_FOLLOWER', 'some batches must be retried');
}
