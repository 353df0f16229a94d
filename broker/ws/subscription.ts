// One partition of a WebSocket subscription: a loop of long-polling fetches
// from the broker core, each delivered in order before the next starts.
//
// Back-pressure: every round first waits until the connection's send buffer
// is under the pause limit, and checks again after the long-poll, right
// before the bytes are read and sent (all in one synchronous step). So a
// subscription adds at most one round (maxBytes) past the pause limit.
//
// json    served with the `copy` mode (records are decoded in user space), one
//         text message per record: {"op":"record","subscription",topic,partition,
//         offset,timestamp,key,value,headers}
// binary  served with the subscription's fetch mode; per round one text message
//         {"op":"batch",...,"bytes":N} announcing the next binary message, then
//         the stored batch bytes unchanged as one binary message sent as one
//         WebSocket fragment per page-cache view (never joined), released when
//         the last fragment is written. Only whole batches are sent: a read cut
//         at maxBytes may end inside a batch (as a Kafka Fetch may), and that
//         tail is left for the next round instead of making every client drop it.

import { toCopylessError } from '../../src/errors.ts';
import type { FetchMode } from '../../src/fetch/fetch-mode.ts';
import { decodeRecordsUntilFailure } from '../../src/record/index.ts';
import type { Broker, FetchResult } from '../broker.ts';
import { scanBatches } from '../http/batch-scan.ts';
import { fetchPartition } from '../http/fetch.ts';
import { recordToJson, type BytesEncoding } from '../http/json-records.ts';

/** What a subscription needs from its connection. */
export interface SubscriptionSink {
  /** Resolves true once the send buffer is under the pause limit, false once the connection is gone. */
  whenWritable(): Promise<boolean>;
  /** True when the send buffer is under the pause limit right now. */
  writable(): boolean;
  sendJson(message: object): void;
  /** One binary message made of these views, sent as fragments; `onWritten` runs once they left (or failed). */
  sendBinary(views: Buffer[], onWritten: () => void): void;
  /** The loop ended on an error (topic deleted, offset out of range): tell the client. */
  ended(subscription: number, partition: number, error: unknown): void;
}

export interface PartitionSubscriptionOptions {
  subscription: number;
  topic: string;
  partition: number;
  offset: number;
  format: 'json' | 'binary';
  fetchMode: FetchMode;
  maxBytes: number;
  encoding: BytesEncoding;
  fetchWaitMs: number;
}

export class PartitionSubscription {
  private readonly abort = new AbortController();
  private offset: number;
  stopped = false;

  constructor(
    private readonly broker: Broker,
    private readonly sink: SubscriptionSink,
    readonly o: PartitionSubscriptionOptions,
  ) {
    this.offset = o.offset;
  }

  /** The next offset this subscription will fetch. */
  get position(): number {
    return this.offset;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async run(): Promise<void> {
    const { topic, partition, maxBytes, fetchWaitMs } = this.o;
    while (!this.stopped && !this.broker.closing) {
      if (!(await this.sink.whenWritable()) || this.stopped) break;
      let result: FetchResult;
      try {
        ({ result } = await fetchPartition(this.broker, { topic, partition, offset: this.offset, maxBytes, maxWaitMs: fetchWaitMs }, this.abort.signal));
      } catch (e) {
        if (!this.stopped) this.sink.ended(this.o.subscription, partition, e);
        this.stop();
        break;
      }
      if (this.stopped || result.bytes === 0 || !this.sink.writable()) {
        result.release();
        continue;
      }
      try {
        if (this.o.format === 'json') await this.deliverJson(result);
        else await this.deliverBinary(result);
      } catch (e) {
        this.sink.ended(this.o.subscription, partition, toCopylessError(e));
        this.stop();
      }
    }
  }

  private async deliverJson(result: FetchResult): Promise<void> {
    const served = await this.broker.serve(result, 'copy');
    try {
      const parts = (served.records[0]?.parts ?? []) as Buffer[];
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      const next = scanBatches([bytes]).nextOffset;
      const decoded = decodeRecordsUntilFailure(bytes);
      for (const r of decoded.records) {
        if (r.offset < this.offset) continue;
        this.sink.sendJson({ op: 'record', subscription: this.o.subscription, topic: this.o.topic, partition: this.o.partition, ...recordToJson(r, this.o.encoding) });
        this.offset = r.offset + 1;
      }
      // The records before a batch that cannot be decoded went out; the subscription ends naming that batch.
      if (decoded.failure) throw decoded.failure.error;
      if (next !== null) this.offset = next;
    } finally {
      served.release();
    }
  }

  private async deliverBinary(result: FetchResult): Promise<void> {
    const p = result.partitions[0];
    const served = await this.broker.serve(result, this.o.fetchMode);
    const scan = scanBatches((served.records[0]?.parts ?? []) as Buffer[]);
    if (scan.nextOffset === null) {
      served.release();
      return;
    }
    const views = wholeBatchViews((served.records[0]?.parts ?? []) as Buffer[], scan.wholeBytes);
    this.sink.sendJson({
      op: 'batch',
      subscription: this.o.subscription,
      topic: this.o.topic,
      partition: this.o.partition,
      fetchOffset: this.offset,
      firstOffset: scan.firstOffset,
      nextOffset: scan.nextOffset,
      highWatermark: p.highWatermark,
      fetchMode: served.mode,
      bytes: scan.wholeBytes,
    });
    this.sink.sendBinary(views, () => served.release());
    this.offset = scan.nextOffset;
  }
}

/** The views cut to their first `bytes` bytes (subarrays, no copy). */
function wholeBatchViews(views: Buffer[], bytes: number): Buffer[] {
  const out: Buffer[] = [];
  let left = bytes;
  for (const v of views) {
    if (left <= 0) break;
    out.push(v.length <= left ? v : v.subarray(0, left));
    left -= v.length;
  }
  return out;
}
