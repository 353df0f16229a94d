// The producer's sending side: sealed batches go to their partition leaders
// in the order the accumulator closed them, and stay in that order through
// retries (Kafka's Sender with its per-partition in-flight discipline).
//
// Per partition, batches form one queue. In normal operation up to
// PRODUCER_INFLIGHT_BATCHES_MAX of them are in flight at once, pipelined on
// one connection to one leader: the k-th batch of every partition taken in a
// drain goes in request k to that leader, requests to one leader are written
// in order on one connection, and the broker appends them in that order. A
// partition's next batches wait while its in-flight batches went to a leader
// other than the current one (a leader change), so two leaders never hold
// batches of one partition at once.
//
// When a batch fails with a retriable error, the partition stops sending; the
// batch goes back to the head of its queue and is resent, alone, after a
// back-off (and a Metadata refresh when the error means the cache is stale),
// once every later batch of the partition that was already in flight has
// settled. Those that failed too are resent after it, in order. A retried
// batch is never overtaken: if a later batch of the partition was stored
// meanwhile (a transient error hit batch k but k+1, already on the wire, got
// through), retrying k would store it after k+1, so k fails instead, with an
// error that says so. Once the retried head is acknowledged the partition
// pipelines again.
//
// When a batch fails for good (a non-retriable error, retries exhausted, the
// client disconnected), the send() calls with records in it reject, and the
// partition's later batches are still sent: the log holds the records before
// and after the failed batch, in call order, without the failed ones. Like
// Kafka's non-idempotent producer, a retry after a lost response (a timeout,
// a dropped connection) may store a batch twice, never out of order.

import { CopylessError, ErrorCode, toCopylessError } from '../src/errors.ts';
import { PRODUCER_INFLIGHT_BATCHES_MAX } from '../src/limits.ts';
import { backoffMs, type RetryOptions } from './retry.ts';

/** A closed batch, sealed: RecordBatch v2 bytes ready for the wire. */
export interface ReadyBatch {
  topic: string;
  partition: number;
  recordCount: number;
  /** Valid until the batch's outcome is settled: after a success the producer reuses the memory. */
  bytes: Buffer;
}

export type ProduceOutcome = number | CopylessError;

/** What the producer needs from the cluster; tests substitute a fake. */
export interface ProduceTransport {
  /** The topic's partition count, auto-creating it where the broker allows. */
  partitionCount(topic: string): Promise<number>;
  /** The partition count from cached metadata, without a request; undefined when unknown. */
  cachedPartitionCount(topic: string): number | undefined;
  /** The partition's leader from cached metadata, or the (usually retriable) error saying why there is none. */
  leaderOf(topic: string, partition: number): number | CopylessError;
  /**
   * One attempt, no retries: one Produce request to `leader` carrying `batches`
   * (at most one per partition). One outcome per batch, in order: the base
   * offset (-1 with acks=0) or the error. Requests are written to the leader's
   * connection in call order.
   */
  produce(leader: number, batches: ReadyBatch[], o: { acks: number; ackTimeoutMs: number }): Promise<ProduceOutcome[]>;
  /** Reloads the topics' metadata after an error that means the cache is stale. */
  refreshMetadata(topics: string[]): Promise<void>;
  /** True once the client was disconnected: nothing is retried after that. */
  readonly isClosed: boolean;
}

/** Errors after which the leader may have moved: Metadata is reloaded before the retry. */
const STALE_METADATA_CODES: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.BROKER_NOT_AVAILABLE,
]);

interface Entry {
  batch: ReadyBatch;
  /** Position in the partition's send order; later batches have larger numbers. */
  seq: number;
  /** Attempts that failed retriably so far, and the last such failure. */
  retries: number;
  lastError: CopylessError | null;
  settle: (outcome: ProduceOutcome) => void;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  /** Batches not in flight, in send order (retries first: they are older). */
  waiting: Entry[];
  inflight: Set<Entry>;
  /** The leader the in-flight batches went to. */
  leader: number;
  /** After a retriable failure: the head goes alone, after the back-off, until it is acknowledged. */
  retrying: boolean;
  /** True while the back-off (and Metadata refresh) before a retry runs. */
  backingOff: boolean;
  /** The largest seq acknowledged: a failed batch below it can no longer be retried in order. */
  storedSeqMax: number;
  nextSeq: number;
}

export interface SenderSettings {
  acks: number;
  ackTimeoutMs: number;
  retry: RetryOptions;
  /** Batches of one partition in flight at once outside a retry (Kafka max.in.flight.requests.per.connection). */
  inflightBatchesMax?: number;
}

export class ProduceSender {
  private readonly transport: ProduceTransport;
  private readonly s: SenderSettings;
  private readonly inflightMax: number;
  private readonly queues = new Map<string, PartitionQueue>();
  /** Partitions with waiting batches. */
  private readonly ready = new Set<PartitionQueue>();
  private drainScheduled = false;

  constructor(transport: ProduceTransport, s: SenderSettings) {
    this.transport = transport;
    this.s = s;
    this.inflightMax = s.inflightBatchesMax ?? PRODUCER_INFLIGHT_BATCHES_MAX;
  }

  /** Queues a batch behind every earlier batch of its partition; `settle` gets its final outcome. */
  enqueue(batch: ReadyBatch, settle: (outcome: ProduceOutcome) => void): void {
    const q = this.queue(batch.topic, batch.partition);
    q.waiting.push({ batch, seq: q.nextSeq++, retries: 0, lastError: null, settle });
    this.ready.add(q);
    this.scheduleDrain();
  }

  private queue(topic: string, partition: number): PartitionQueue {
    const id = `${partition}\u0000${topic}`;
    let q = this.queues.get(id);
    if (q === undefined) {
      q = { topic, partition, waiting: [], inflight: new Set(), leader: -1, retrying: false, backingOff: false, storedSeqMax: -1, nextSeq: 0 };
      this.queues.set(id, q);
    }
    return q;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => this.drain());
  }

  /** Takes what each partition may send now and writes one request per leader and round. */
  private drain(): void {
    this.drainScheduled = false;
    // Per leader, request k holds the k-th batch taken from each partition.
    const rounds = new Map<number, { entries: Entry[]; queues: PartitionQueue[] }[]>();
    for (const q of this.ready) {
      const taken = this.take(q);
      if (q.waiting.length === 0) this.ready.delete(q);
      for (let k = 0; k < taken.length; k++) {
        let list = rounds.get(q.leader);
        if (list === undefined) rounds.set(q.leader, (list = []));
        const round = (list[k] ??= { entries: [], queues: [] });
        round.entries.push(taken[k]);
        round.queues.push(q);
      }
    }
    for (const [leader, list] of rounds) for (const round of list) this.send(leader, round.entries, round.queues);
  }

  /** The batches `q` may put in flight now (possibly none), already marked in flight. */
  private take(q: PartitionQueue): Entry[] {
    if (q.backingOff || q.waiting.length === 0) return [];
    // A retry waits until every later batch already on the wire has settled, then goes alone.
    if (q.retrying && q.inflight.size > 0) return [];
    const leader = this.transport.leaderOf(q.topic, q.partition);
    if (leader instanceof CopylessError) {
      if (q.inflight.size > 0) return [];
      this.failed(q, q.waiting.shift()!, leader);
      // A batch failed for good: the next one is tried in the next drain.
      if (!q.backingOff) this.scheduleDrain();
      return [];
    }
    // Never two leaders at once for one partition: wait for the old leader's answers first.
    if (q.inflight.size > 0 && q.leader !== leader) return [];
    q.leader = leader;
    const room = q.retrying ? 1 : this.inflightMax - q.inflight.size;
    const taken = q.waiting.splice(0, Math.max(0, room));
    for (const e of taken) q.inflight.add(e);
    return taken;
  }

  private send(leader: number, entries: Entry[], queues: PartitionQueue[]): void {
    const o = { acks: this.s.acks, ackTimeoutMs: this.s.ackTimeoutMs };
    let request: Promise<ProduceOutcome[]>;
    try {
      request = this.transport.produce(leader, entries.map((e) => e.batch), o);
    } catch (e) {
      request = Promise.reject(e);
    }
    request.then(
      (outcomes) => entries.forEach((e, i) => this.settled(queues[i], e, outcomes[i] ?? new CopylessError('UNKNOWN_SERVER_ERROR', 'no result for a batch'))),
      (err) => entries.forEach((e, i) => this.settled(queues[i], e, toCopylessError(err))),
    );
  }

  private settled(q: PartitionQueue, e: Entry, outcome: ProduceOutcome): void {
    q.inflight.delete(e);
    if (outcome instanceof CopylessError) this.failed(q, e, outcome);
    else this.stored(q, e, outcome);
    if (q.waiting.length > 0) this.ready.add(q);
    this.scheduleDrain();
  }

  private stored(q: PartitionQueue, e: Entry, baseOffset: number): void {
    q.storedSeqMax = Math.max(q.storedSeqMax, e.seq);
    if (q.retrying && q.inflight.size === 0) q.retrying = false;
    // Failed batches waiting for a retry that this one overtook can no longer be stored in order.
    while (q.waiting.length > 0 && q.waiting[0].seq < e.seq) {
      const older = q.waiting.shift()!;
      older.settle(overtaken(q, older, older.lastError));
    }
    e.settle(baseOffset);
  }

  private failed(q: PartitionQueue, e: Entry, err: CopylessError): void {
    if (!err.retriable || e.retries >= this.s.retry.retries || this.transport.isClosed) {
      e.settle(err);
      return;
    }
    if (e.seq < q.storedSeqMax) {
      e.settle(overtaken(q, e, err));
      return;
    }
    e.retries++;
    e.lastError = err;
    // Back in front of every batch that was never sent; behind older failed ones.
    let at = 0;
    while (at < q.waiting.length && q.waiting[at].seq < e.seq) at++;
    q.waiting.splice(at, 0, e);
    q.retrying = true;
    if (!q.backingOff) void this.backOff(q, e.retries - 1, err);
  }

  private async backOff(q: PartitionQueue, attempt: number, err: CopylessError): Promise<void> {
    q.backingOff = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, backoffMs(this.s.retry, attempt)));
      if (STALE_METADATA_CODES.has(err.code)) await this.transport.refreshMetadata([q.topic]).catch(() => undefined);
    } finally {
      q.backingOff = false;
      if (q.waiting.length > 0) this.ready.add(q);
      this.scheduleDrain();
    }
  }
}

function overtaken(q: PartitionQueue, e: Entry, cause: CopylessError | null): CopylessError {
  const why = cause ? `${cause.message}; ` : '';
  return new CopylessError(
    cause?.code ?? 'UNKNOWN_SERVER_ERROR',
    `${why}not retried: a later batch of ${q.topic}/${q.partition} was already stored, and a retry would store this one after it`,
    { ...(cause?.details ?? {}), topic: q.topic, partition: q.partition, records: e.batch.recordCount },
  );
}
