// The consumer: a thin facade over its parts. Without a groupId the caller
// picks the partitions (`assign`); with one, the group layer (client/group/)
// does: `run()` joins the group, takes the assignment and committed offsets as
// positions, fetches until a rebalance is due, then stops the fetch loops,
// commits what the handlers finished and joins again (Kafka's eager protocol).
//
//   consumer-options.ts    the options, their defaults and checks
//   consumer-positions.ts  positions, offset resolution, autoOffsetReset
//   fetch-loop.ts          one fetch loop per leader, with prefetch; the run's generations
//   batch-channel.ts       delivery to eachBatch / eachMessage, one response at a time

import { CopylessError, toCopylessError } from '../src/errors.ts';
import { ApiKey } from '../src/protocol/index.ts';
import type { CopylessJsonResponse } from '../src/protocol/index.ts';
import { BatchChannel, BatchSlot, type RunOptions } from './batch-channel.ts';
import type { Cluster } from './cluster.ts';
import { kafkaError } from './kafka-error.ts';
import type { Connection } from './connection.ts';
import { type ConsumerOptions, type ConsumerSettings, resolveConsumerOptions } from './consumer-options.ts';
import { type AssignmentSpec, type OffsetSpec, type PartitionPosition, Positions } from './consumer-positions.ts';
import { FetchLoops, LoopControl } from './fetch-loop.ts';
import { type ConsumedMessage, Fetcher } from './fetcher.ts';
import { GroupSession, type PositionsOwner, resolveGroupOptions } from './group/group-session.ts';

export class Consumer {
  private readonly cluster: Cluster;
  private readonly s: ConsumerSettings;
  private readonly positions: Positions;
  private readonly control = new LoopControl();
  private readonly channel: BatchChannel;
  private readonly loops: FetchLoops;
  /** The consumer-group layer; null without a groupId. */
  private readonly group: GroupSession | null;
  /** The current run() (group consumers finish theirs with a commit and a LeaveGroup). */
  private runDone: Promise<void> | null = null;

  /** `cluster` must have been built with `Consumer.fetchConnectHook` as its onFetchConnect. */
  constructor(cluster: Cluster, o: ConsumerOptions = {}) {
    this.cluster = cluster;
    this.s = resolveConsumerOptions(o);
    const fetcher = new Fetcher(cluster, { maxBytes: this.s.maxBytes, minBytes: this.s.minBytes, maxWaitMs: this.s.maxWaitMs, checkCrcs: this.s.checkCrcs });
    this.positions = new Positions(cluster, this.s);
    this.channel = new BatchChannel(this.positions, this.control, this.s);
    this.loops = new FetchLoops({ cluster, fetcher, positions: this.positions, channel: this.channel, control: this.control });
    const group = resolveGroupOptions(o);
    this.group = group === null ? null : new GroupSession(cluster, group, this.s.allowAutoTopicCreation, this.positionsOwner());
  }

  /** Sets this consumer's fetch mode on each new fetch connection (re-applied after a reconnect). */
  static fetchConnectHook(o: ConsumerOptions): (connection: Connection, cluster: Cluster) => Promise<void> {
    return async (connection, cluster) => {
      if (o.fetchMode === undefined && o.sgDma === undefined) return;
      if (!cluster.isCopyless) return; // connect() reports the typed error
      const payload: { mode?: string; sgDma?: boolean } = { mode: o.fetchMode };
      if (o.sgDma !== undefined) payload.sgDma = o.sgDma;
      const res = await connection.send<CopylessJsonResponse>(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify(payload) });
      if (res.errorCode !== 0) {
        throw kafkaError(res.errorCode, `fetch mode ${JSON.stringify(o.fetchMode)} on ${connection.address}`, { field: 'fetchMode' }, res.errorMessage);
      }
    };
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
    const wantsMode = this.s.fetchMode !== undefined || this.s.sgDma !== undefined;
    if (wantsMode && !this.cluster.isCopyless) {
      throw new CopylessError('FETCH_MODE_UNAVAILABLE', `fetchMode needs a copyless broker; the broker speaks plain Kafka (no CopylessSetFetchMode)`, {
        field: 'fetchMode',
      });
    }
    if (wantsMode) {
      // Open one fetch connection now so a bad mode fails here, not in the first fetch.
      const [first] = this.cluster.brokers();
      if (first !== undefined) await this.cluster.connectionTo(first.nodeId, 'fetch');
    }
  }

  /** Stops; a group consumer commits its processed positions and leaves the group first. */
  async disconnect(): Promise<void> {
    await this.stop();
    // From inside a handler the run cannot finish before the handler does.
    if (!this.channel.inHandler) await this.runDone?.catch(() => undefined);
    await this.group?.close();
    await this.cluster.disconnect();
  }

  /**
   * Group consumers: the topics to join the group with. `fromBeginning`
   * applies to partitions the group has no committed offset for (earliest,
   * else latest). While running, a changed subscription rejoins the group.
   */
  subscribe(o: { topics: string[]; fromBeginning?: boolean }): void {
    if (this.group === null) {
      throw new CopylessError('INVALID_REQUEST', 'subscribe() needs consumer({ groupId }); without a group use assign()', { field: 'groupId' });
    }
    this.group.subscribe(o);
  }

  /**
   * Group consumers: commits `offset` (the next offset to read, as in Kafka)
   * for each partition, under the member's current generation.
   */
  async commitOffsets(offsets: { topic: string; partition: number; offset: number; metadata?: string | null }[]): Promise<void> {
    if (this.group === null) {
      throw new CopylessError('INVALID_REQUEST', 'commitOffsets() needs consumer({ groupId }): offsets are committed for a group', { field: 'groupId' });
    }
    if (!Array.isArray(offsets)) throw new CopylessError('INVALID_REQUEST', 'commitOffsets() takes an array of { topic, partition, offset }', { field: 'offsets' });
    for (const [i, o] of offsets.entries()) validateCommit(o, i);
    await this.group.commit(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null })));
  }

  /** Replaces the assignment; resolves 'earliest'/'latest' and the current end of every partition. */
  async assign(specs: AssignmentSpec[]): Promise<void> {
    if (this.group !== null) {
      throw new CopylessError('INVALID_REQUEST', 'assign() is for consumers without a groupId: a group member gets its partitions from the group (subscribe)', {
        field: 'assign',
      });
    }
    await this.setAssignment(specs);
  }

  /** Moves one assigned partition to an offset; takes effect at the next fetch. */
  seek(o: { topic: string; partition: number; offset: OffsetSpec }): void {
    this.positions.seek(o);
    this.control.wake();
  }

  assignment(): PartitionPosition[] {
    return this.positions.snapshot();
  }

  /**
   * True when every assigned partition has been read up to its latest known
   * end (high watermark). A group consumer is never at the end while it holds
   * no generation (joining, rebalancing); with an empty assignment it is.
   */
  atEnd(): boolean {
    if (this.group !== null && !this.group.assigned) return false;
    return this.positions.allAtEnd();
  }

  /**
   * Fetches and hands records to the handlers until `stop()` (resolves) or a
   * non-retriable error (rejects). Unlike kafkajs, the promise settles when
   * consumption ends, not when it starts.
   */
  async run(handlers: RunOptions): Promise<void> {
    const control = this.control;
    if (control.running) throw new CopylessError('INVALID_REQUEST', 'run() is already running; stop() it first', { field: 'run' });
    if (!handlers || (handlers.eachMessage === undefined && handlers.eachBatch === undefined)) {
      throw new CopylessError('INVALID_REQUEST', 'run() needs eachMessage or eachBatch', { field: 'run' });
    }
    control.running = true;
    control.fatal = null;
    if (this.group !== null) {
      this.runDone = this.runGroup(this.group, handlers);
      return this.runDone;
    }
    const generation = ++control.generation;
    try {
      await this.loops.supervise(generation, handlers);
    } finally {
      if (control.generation === generation) control.running = false;
    }
    if (control.fatal) throw control.fatal;
  }

  /**
   * One fetch generation per group generation: join, fetch until a rebalance
   * is due (the member bumps `generation`, which ends the fetch loops), let
   * the running handler finish, commit, give the partitions up, rejoin. When
   * the run ends (stop, failure) the last positions are committed and the
   * member leaves the group.
   */
  private async runGroup(group: GroupSession, handlers: RunOptions): Promise<void> {
    const control = this.control;
    try {
      if (group.topics === null) throw new CopylessError('INVALID_REQUEST', 'run() of a group consumer needs subscribe({ topics }) first', { field: 'subscribe' });
      while (control.running) {
        if (!(await group.joinAndAssign()) || !control.running) break;
        const generation = ++control.generation;
        group.member.onRejoinNeeded = () => {
          if (control.generation !== generation) return;
          control.generation++;
          control.wake();
        };
        group.startAutoCommit((e) => control.fail(e));
        if (!group.member.rejoinNeeded) await this.loops.supervise(generation, handlers);
        await this.channel.idle();
        if (control.running) await group.revoke('rebalance');
      }
    } catch (e) {
      control.fail(e);
    } finally {
      group.member.onRejoinNeeded = null;
      await this.channel.idle();
      await group.revoke('stop').catch((e) => control.fail(e));
      await group.leave();
      control.running = false;
    }
    if (control.fatal) throw control.fatal;
  }

  /**
   * Stops `run()` / `messages()`: no handler is called after this resolves.
   * Called from inside a handler it returns at once (waiting would deadlock);
   * that handler is the last one.
   */
  async stop(): Promise<void> {
    const control = this.control;
    if (!control.running) return;
    control.running = false;
    control.generation++;
    control.wake();
    // A JoinGroup may be parked at the coordinator for a whole rebalance: leaving ends it now.
    if (this.group !== null && this.group.member.current === null) await this.group.leave();
    if (!this.channel.inHandler) await this.channel.idle();
  }

  /** Every message, in fetch order, until the loop is broken out of (which stops the consumer). */
  async *messages(): AsyncGenerator<ConsumedMessage, void, undefined> {
    const slot = new BatchSlot();
    const done = this.run({ eachBatch: (b) => slot.put(b.messages) }).then(
      () => slot.close(null),
      (e) => slot.close(toCopylessError(e)),
    );
    try {
      for (;;) {
        const batch = await slot.take();
        if (batch === null) break;
        yield* batch;
      }
    } finally {
      slot.close(null);
      await this.stop();
      await done;
    }
  }

  /** The view of this consumer's positions the group layer works through. */
  private positionsOwner(): PositionsOwner {
    return {
      setAssignment: (specs) => this.setAssignment(specs),
      processedPositions: () => this.positions.processed(),
      clearAssignment: () => {
        this.positions.clear();
        this.control.wake();
      },
    };
  }

  private async setAssignment(specs: AssignmentSpec[]): Promise<void> {
    await this.positions.assign(specs);
    this.control.wake();
  }
}

function validateCommit(o: { topic: string; partition: number; offset: number; metadata?: string | null }, i: number): void {
  if (o === null || typeof o !== 'object' || typeof o.topic !== 'string' || o.topic === '') {
    throw new CopylessError('INVALID_REQUEST', `offsets[${i}].topic must be a non-empty string`, { field: `offsets[${i}].topic` });
  }
  if (!Number.isInteger(o.partition) || o.partition < 0) {
    throw new CopylessError('INVALID_REQUEST', `offsets[${i}].partition must be an integer >= 0, got ${String(o.partition)}`, { field: `offsets[${i}].partition`, topic: o.topic });
  }
  if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
    throw new CopylessError('INVALID_REQUEST', `offsets[${i}].offset must be the next offset to read (an integer >= 0), got ${String(o.offset)}`, {
      field: `offsets[${i}].offset`,
      topic: o.topic,
      partition: o.partition,
    });
  }
  if (o.metadata !== undefined && o.metadata !== null && typeof o.metadata !== 'string') {
    throw new CopylessError('INVALID_REQUEST', `offsets[${i}].metadata must be a string`, { field: `offsets[${i}].metadata` });
  }
}
