// The public producer: `send` records and they are batched per partition,
// sent to each partition's leader and acknowledged (record-accumulator.ts
// batches, produce-transport.ts sends). A record accepted by `send` joins the
// open batch of its partition; memory is bounded by `maxInFlightBytes`.

import type { Cluster } from './cluster.ts';
import { ClusterProduceTransport } from './produce-transport.ts';
import type { ProducerOptions, ProducerRecord, RecordMetadata } from './producer-types.ts';
import { RecordAccumulator } from './record-accumulator.ts';

/** The public producer: a RecordAccumulator over the cluster's Produce path. */
export class Producer {
  private readonly cluster: Cluster;
  private readonly accumulator: RecordAccumulator;

  constructor(cluster: Cluster, o: ProducerOptions = {}) {
    this.cluster = cluster;
    this.accumulator = new RecordAccumulator(new ClusterProduceTransport(cluster), o, cluster.o.retry);
  }

  /** Connects to a bootstrap broker and loads the broker list (send() also connects on demand). */
  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  /** Resolves once every record is acknowledged (acks=0: written to the socket). */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.accumulator.send(record);
  }

  /** Several topics at once (kafkajs `sendBatch`). */
  async sendBatch(o: { topicMessages: ProducerRecord[] }): Promise<RecordMetadata[]> {
    const all = await Promise.all(o.topicMessages.map((r) => this.accumulator.send(r)));
    return all.flat();
  }

  /** Estimated bytes accepted and not yet acknowledged. */
  get bufferedBytes(): number {
    return this.accumulator.bufferedBytes;
  }

  flush(): Promise<void> {
    return this.accumulator.flush();
  }

  /** Sends what is buffered, waits for it, then closes the connections. */
  async disconnect(): Promise<void> {
    try {
      await this.accumulator.flush();
    } finally {
      await this.cluster.disconnect();
    }
  }
}
