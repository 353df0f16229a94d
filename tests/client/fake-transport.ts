// A fake broker behind the producer's transport interface, for the producer's
// unit tests: it stores acknowledged batches per partition (what a consumer
// would read back) and can hold requests until a test answers each one.
import { expect } from 'vitest';
import type { ProduceTransport, ReadyBatch } from '../../client/produce-sender.ts';
import { CopylessError } from '../../src/errors.ts';
import { decodeRecordBatch } from '../../src/record/index.ts';

export interface Sent {
  leader: number;
  batches: ReadyBatch[];
  acks: number;
}

/**
 * A broker behind a fake transport: stores each acknowledged batch's values
 * per partition (what a consumer would read) and assigns offsets; optionally
 * holds every request until the test answers it.
 */
export class FakeTransport implements ProduceTransport {
  readonly requests: Sent[] = [];
  readonly next = new Map<string, number>();
  /** Values stored per partition, `topic/partition`, in append order. */
  readonly logs = new Map<string, string[]>();
  hold = false;
  private held: { index: number; answer: (fail?: (b: ReadyBatch) => CopylessError | null) => void }[] = [];
  failWith: CopylessError | null = null;
  /** Answers partition counts from the cache (else partitionCount() must be asked). */
  cached = true;
  /** When set, partitionCount() waits for it. */
  metadataGate: Promise<void> | null = null;
  leaders = new Map<string, number>();
  refreshes = 0;
  isClosed = false;
  /**
   * Answer every request a macrotask later, in request order, as a socket
   * would; `chaos` (used with it) sometimes drops the connection: the request
   * and every other one in flight fail with CONNECTION_CLOSED, and so does
   * every request sent before the client has heard of all those failures (it
   * went out on the dead connection). A request is never stored after an
   * earlier one on the same connection failed, as with a real socket.
   */
  answerLater = false;
  chaos: { random: () => number; dropRate: number } | null = null;
  private dropped = false;
  private inFlight = 0;

  constructor(private readonly partitions = 3) {}

  cachedPartitionCount(): number | undefined {
    return this.cached ? this.partitions : undefined;
  }

  async partitionCount(): Promise<number> {
    if (this.metadataGate) await this.metadataGate;
    this.cached = true;
    return this.partitions;
  }

  leaderOf(topic: string, partition: number): number {
    return this.leaders.get(`${topic}/${partition}`) ?? 0;
  }

  async refreshMetadata(): Promise<void> {
    this.refreshes++;
  }

  async produce(leader: number, batches: ReadyBatch[], o: { acks: number }): Promise<(number | CopylessError)[]> {
    const index = this.requests.length;
    this.requests.push({ leader, batches, acks: o.acks });
    let fail: ((b: ReadyBatch) => CopylessError | null) | undefined;
    if (this.hold) fail = await new Promise<((b: ReadyBatch) => CopylessError | null) | undefined>((resolve) => this.held.push({ index, answer: resolve }));
    this.inFlight++;
    if (this.answerLater) await new Promise((resolve) => setImmediate(resolve));
    if (this.chaos !== null && !this.dropped && this.chaos.random() < this.chaos.dropRate) this.dropped = true;
    const dropped = this.dropped;
    if (--this.inFlight === 0) this.dropped = false;
    if (dropped) return batches.map(() => new CopylessError('CONNECTION_CLOSED', 'fake connection dropped'));
    return batches.map((b) => {
      const stale = this.leaderOf(b.topic, b.partition) !== leader;
      return this.store(b, o.acks, fail?.(b) ?? this.failWith ?? (stale ? new CopylessError('NOT_LEADER_OR_FOLLOWER', `not the leader of ${b.topic}/${b.partition}`) : null));
    });
  }

  private store(b: ReadyBatch, acks: number, failure: CopylessError | null): number | CopylessError {
    if (failure) return failure;
    const id = `${b.topic}/${b.partition}`;
    const log = this.logs.get(id) ?? [];
    this.logs.set(id, log);
    log.push(...decodeRecordBatch(b.bytes).records.map((r) => r.value!.toString()));
    if (acks === 0) return -1;
    const base = this.next.get(id) ?? 0;
    this.next.set(id, base + b.recordCount);
    return base;
  }

  /** Answers the held request number `index` (0-based over all requests), failing the batches `fail` names. */
  answer(index: number, fail?: (b: ReadyBatch) => CopylessError | null): void {
    const at = this.held.findIndex((h) => h.index === index);
    expect(at).toBeGreaterThanOrEqual(0);
    this.held.splice(at, 1)[0].answer(fail);
  }

  releaseAll(): void {
    const h = this.held;
    this.held = [];
    for (const r of h) r.answer();
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Records in requests not yet acknowledged. */
  get heldRecords(): number {
    return this.held.reduce((n, h) => n + this.requests[h.index].batches.reduce((m, b) => m + b.recordCount, 0), 0);
  }

  get recordCount(): number {
    return this.requests.reduce((n, r) => n + r.batches.reduce((m, b) => m + b.recordCount, 0), 0);
  }
}

