// The consumer: owns an assignment (which partitions, from which offsets) and
// drives a Fetcher per partition leader. Without a groupId the caller picks
// the partitions (`assign`); with one, the group layer (client/group/) does:
// `run()` joins the group, takes the assignment and committed offsets as
// positions, fetches until a rebalance is due, then stops the fetch loops,
// commits what the handlers finished and joins again (Kafka's eager protocol).
//
// One fetch loop runs per leader broker, each on that broker's `fetch`
// connection, so a long-poll on one broker never holds back data from
// another. Handlers run one at a time, in the order fetches complete; a
// partition's position advances only after its handler resolves. While a
// response is decoded and handled, the next Fetch of its loop is already on
// its way (prefetch.ts); a prefetched partition whose position moved
// meanwhile (seek, assign, a handler that stopped early) is dropped.

import { setImmediate } from 'node:timers/promises';
import { CopylessError, ErrorCode, toCopylessError } from '../src/errors.ts';
import {
  CONSUMER_FETCH_BYTES_DEFAULT,
  CONSUMER_FETCH_WAIT_MS_DEFAULT,
  CONSUMER_PARTITION_FETCH_BYTES_DEFAULT,
  FETCH_BYTES_MAX,
  FETCH_WAIT_MS_MAX,
} from '../src/limits.ts';
import { ApiKey } from '../src/protocol/index.ts';
import type { CopylessJsonResponse, ListOffsetsResponse } from '../src/protocol/index.ts';
import type { Cluster } from './cluster.ts';
import { kafkaError } from './kafka-error.ts';
import type { Connection } from './connection.ts';
import { type ConsumedMessage, type FetchAccounting, type FetchedPartition, type FetchResult, Fetcher, decodeBatchAt } from './fetcher.ts';
import { type GroupOptions, GroupSession, type PositionsOwner, resolveGroupOptions } from './group/group-session.ts';
import type { OffsetToCommit } from './group/group-member.ts';
import { prefetchOffsets } from './prefetch.ts';
import { backoffMs, sleep } from './retry.ts';

export type OffsetSpec = number | 'earliest' | 'latest';

export interface ConsumerOptions extends GroupOptions {
  /** copyless only: the fetch mode of this consumer's fetch connections (CopylessSetFetchMode). */
  fetchMode?: string;
  /** copyless only: scatter-gather DMA for the sendfile mode. */
  sgDma?: boolean;
  maxBytes?: number;
  maxBytesPerPartition?: number;
  maxWaitMs?: number;
  minBytes?: number;
  /**
   * Kafka's auto.offset.reset for a position out of the log's range (an
   * explicit offset past the end, or one retention deleted): 'earliest'
   * (default) and 'latest' move it to the log's start or end; 'none' ends
   * run() with a typed OFFSET_OUT_OF_RANGE error whose details carry the
   * offset and the log's range (logStartOffset, logEndOffset). A group
   * member's partition without a committed offset starts where
   * subscribe({ fromBeginning }) says.
   */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** Let `assign` create a missing topic where the broker auto-creates topics (default true, as kafkajs). */
  allowAutoTopicCreation?: boolean;
  /**
   * Verify the CRC-32C of every fetched batch (default true, as the Java
   * client's check.crcs). It costs one pass over the bytes at about 6 GB/s
   * (hardware CRC); turn it off only where TCP's checksum is trusted enough.
   */
  checkCrcs?: boolean;
}

/** One partition to read, or (without `partition`) every partition of the topic. */
export interface AssignmentSpec {
  topic: string;
  partition?: number;
  /** Default 'latest'. */
  offset?: OffsetSpec;
}

export interface Batch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  highWatermark: number;
  /** Stored bytes of the whole record batches these messages were read from (batch headers included). */
  batchBytes: number;
  /** This fetch's accounting (CopylessFetch trailer), shared by every batch of the fetch; undefined against Kafka. */
  accounting: FetchAccounting | undefined;
}

export interface RunOptions {
  eachMessage?: (payload: { topic: string; partition: number; message: ConsumedMessage }) => Promise<void> | void;
  eachBatch?: (batch: Batch) => Promise<void> | void;
  /** After each fetch response has been handled (e.g. to check `atEnd()`). */
  afterFetch?: () => Promise<void> | void;
}

export interface PartitionPosition {
  topic: string;
  partition: number;
  /** Next offset to read; null while an 'earliest'/'latest' spec is unresolved. */
  offset: number | null;
  /** High watermark from the latest fetch or offset lookup; null before either. */
  highWatermark: number | null;
}

interface Position extends PartitionPosition {
  reset: 'earliest' | 'latest' | null;
  /** Bumped by seek/assign so a fetch that raced with them is ignored. */
  epoch: number;
  maxBytes: number;
}

/** A Fetch on its way, with the epochs its positions had when it was sent. */
interface SentFetch {
  positions: Position[];
  epochs: Map<Position, number>;
  result: Promise<FetchResult>;
}

interface Settings {
  fetchMode: string | undefined;
  sgDma: boolean | undefined;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  minBytes: number;
  autoOffsetReset: 'earliest' | 'latest' | 'none';
  allowAutoTopicCreation: boolean;
  checkCrcs: boolean;
}

const EARLIEST_TIMESTAMP = -2;
const LATEST_TIMESTAMP = -1;

export function resolveConsumerOptions(o: ConsumerOptions = {}): Settings {
  const s: Settings = {
    fetchMode: o.fetchMode,
    sgDma: o.sgDma,
    maxBytes: o.maxBytes ?? CONSUMER_FETCH_BYTES_DEFAULT,
    maxBytesPerPartition: o.maxBytesPerPartition ?? CONSUMER_PARTITION_FETCH_BYTES_DEFAULT,
    maxWaitMs: o.maxWaitMs ?? CONSUMER_FETCH_WAIT_MS_DEFAULT,
    minBytes: o.minBytes ?? 1,
    autoOffsetReset: o.autoOffsetReset ?? 'earliest',
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? true,
    checkCrcs: o.checkCrcs ?? true,
  };
  const ranges = {
    maxBytes: [1, FETCH_BYTES_MAX, 'FETCH_BYTES_MAX'],
    maxBytesPerPartition: [1, FETCH_BYTES_MAX, 'FETCH_BYTES_MAX'],
    maxWaitMs: [0, FETCH_WAIT_MS_MAX, 'FETCH_WAIT_MS_MAX'],
    minBytes: [0, FETCH_BYTES_MAX, 'FETCH_BYTES_MAX'],
  } as const;
  for (const [field, [min, max, limit]] of Object.entries(ranges) as [keyof typeof ranges, readonly [number, number, string]][]) {
    if (!Number.isInteger(s[field]) || s[field] < min || s[field] > max) {
      throw new CopylessError('INVALID_CONFIG', `${field} must be an integer in [${min}, ${max}] (${limit}), got ${s[field]}`, { field, limit, max });
    }
  }
  if (s.fetchMode !== undefined && (typeof s.fetchMode !== 'string' || s.fetchMode === '')) {
    throw new CopylessError('INVALID_CONFIG', 'fetchMode must be a non-empty string', { field: 'fetchMode' });
  }
  if (typeof s.checkCrcs !== 'boolean') {
    throw new CopylessError('INVALID_CONFIG', `checkCrcs must be true or false, got ${String(s.checkCrcs)}`, { field: 'checkCrcs' });
  }
  if (!['earliest', 'latest', 'none'].includes(s.autoOffsetReset)) {
    throw new CopylessError('INVALID_CONFIG', `autoOffsetReset must be 'earliest', 'latest' or 'none'`, { field: 'autoOffsetReset' });
  }
  return s;
}

export class Consumer {
  private readonly cluster: Cluster;
  private readonly s: Settings;
  private readonly fetcher: Fetcher;
  private readonly positions = new Map<string, Position>();
  private generation = 0;
  private running = false;
  private wake: (() => void) | null = null;
  private handlerChain: Promise<void> = Promise.resolve();
  private fatal: Error | null = null;
  private inHandler = false;
  /** The consumer-group layer; null without a groupId. */
  private readonly group: GroupSession | null;
  /** The current run() (group consumers finish theirs with a commit and a LeaveGroup). */
  private runDone: Promise<void> | null = null;

  /** `cluster` must have been built with `Consumer.fetchConnectHook` as its onFetchConnect. */
  constructor(cluster: Cluster, o: ConsumerOptions = {}) {
    this.cluster = cluster;
    this.s = resolveConsumerOptions(o);
    this.fetcher = new Fetcher(cluster, { maxBytes: this.s.maxBytes, minBytes: this.s.minBytes, maxWaitMs: this.s.maxWaitMs, checkCrcs: this.s.checkCrcs });
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
    if (!this.inHandler) await this.runDone?.catch(() => undefined);
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

  private async setAssignment(specs: AssignmentSpec[]): Promise<void> {
    if (!Array.isArray(specs)) throw new CopylessError('INVALID_REQUEST', 'assign() takes an array of { topic, partition?, offset? }', { field: 'assign' });
    const topics = [...new Set(specs.map((s) => s.topic))];
    const metadata = await this.cluster.topicMetadata(topics, this.s.allowAutoTopicCreation);
    const next = new Map<string, Position>();
    for (const spec of specs) {
      const t = metadata[topics.indexOf(spec.topic)];
      const partitions = spec.partition === undefined ? t.partitions.map((p) => p.partition) : [spec.partition];
      for (const partition of partitions) {
        if (!t.partitions.some((p) => p.partition === partition)) {
          throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(spec.topic)} has no partition ${partition}`, {
            topic: spec.topic,
            partition,
          });
        }
        const position: Position = { topic: spec.topic, partition, offset: null, highWatermark: null, reset: null, epoch: 0, maxBytes: this.s.maxBytesPerPartition };
        applyOffset(position, spec.offset ?? 'latest', `offset of ${spec.topic}/${partition}`);
        next.set(key(spec.topic, partition), position);
      }
    }
    for (const [k, p] of next) p.epoch = (this.positions.get(k)?.epoch ?? 0) + 1;
    this.positions.clear();
    for (const [k, p] of next) this.positions.set(k, p);
    await this.resolvePositions(true);
    this.wake?.();
  }

  /** Moves one assigned partition to an offset; takes effect at the next fetch. */
  seek(o: { topic: string; partition: number; offset: OffsetSpec }): void {
    const p = this.positions.get(key(o.topic, o.partition));
    if (p === undefined) {
      throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `seek: ${o.topic}/${o.partition} is not assigned to this consumer`, {
        topic: o.topic,
        partition: o.partition,
      });
    }
    applyOffset(p, o.offset, `seek offset of ${o.topic}/${o.partition}`);
    p.epoch++;
    this.wake?.();
  }

  assignment(): PartitionPosition[] {
    return [...this.positions.values()].map(({ topic, partition, offset, highWatermark }) => ({ topic, partition, offset, highWatermark }));
  }

  /**
   * True when every assigned partition has been read up to its latest known
   * end (high watermark). A group consumer is never at the end while it holds
   * no generation (joining, rebalancing); with an empty assignment it is.
   */
  atEnd(): boolean {
    if (this.group !== null && !this.group.assigned) return false;
    for (const p of this.positions.values()) {
      if (p.offset === null || p.highWatermark === null || p.offset < p.highWatermark) return false;
    }
    return true;
  }

  /**
   * Fetches and hands records to the handlers until `stop()` (resolves) or a
   * non-retriable error (rejects). Unlike kafkajs, the promise settles when
   * consumption ends, not when it starts.
   */
  async run(handlers: RunOptions): Promise<void> {
    if (this.running) throw new CopylessError('INVALID_REQUEST', 'run() is already running; stop() it first', { field: 'run' });
    if (!handlers || (handlers.eachMessage === undefined && handlers.eachBatch === undefined)) {
      throw new CopylessError('INVALID_REQUEST', 'run() needs eachMessage or eachBatch', { field: 'run' });
    }
    this.running = true;
    this.fatal = null;
    if (this.group !== null) {
      this.runDone = this.runGroup(this.group, handlers);
      return this.runDone;
    }
    const generation = ++this.generation;
    try {
      await this.supervise(generation, handlers);
    } finally {
      if (this.generation === generation) this.running = false;
    }
    if (this.fatal) throw this.fatal;
  }

  /**
   * One fetch generation per group generation: join, fetch until a rebalance
   * is due (the member bumps `generation`, which ends the fetch loops), let
   * the running handler finish, commit, give the partitions up, rejoin. When
   * the run ends (stop, failure) the last positions are committed and the
   * member leaves the group.
   */
  private async runGroup(group: GroupSession, handlers: RunOptions): Promise<void> {
    try {
      if (group.topics === null) throw new CopylessError('INVALID_REQUEST', 'run() of a group consumer needs subscribe({ topics }) first', { field: 'subscribe' });
      while (this.running) {
        if (!(await group.joinAndAssign()) || !this.running) break;
        const generation = ++this.generation;
        group.member.onRejoinNeeded = () => {
          if (this.generation !== generation) return;
          this.generation++;
          this.wake?.();
        };
        group.startAutoCommit((e) => this.fail(e));
        if (!group.member.rejoinNeeded) await this.supervise(generation, handlers);
        await this.handlerChain;
        if (this.running) await group.revoke('rebalance');
      }
    } catch (e) {
      this.fail(e);
    } finally {
      group.member.onRejoinNeeded = null;
      await this.handlerChain;
      await group.revoke('stop').catch((e) => this.fail(e));
      await group.leave();
      this.running = false;
    }
    if (this.fatal) throw this.fatal;
  }

  /**
   * Stops `run()` / `messages()`: no handler is called after this resolves.
   * Called from inside a handler it returns at once (waiting would deadlock);
   * that handler is the last one.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.wake?.();
    // A JoinGroup may be parked at the coordinator for a whole rebalance: leaving ends it now.
    if (this.group !== null && this.group.member.current === null) await this.group.leave();
    if (!this.inHandler) await this.handlerChain;
  }

  /** Every message, in fetch order, until the loop is broken out of (which stops the consumer). */
  async *messages(): AsyncGenerator<ConsumedMessage, void, undefined> {
    const channel = new BatchChannel();
    const done = this.run({ eachBatch: (b) => channel.put(b.messages) }).then(
      () => channel.close(null),
      (e) => channel.close(toCopylessError(e)),
    );
    try {
      for (;;) {
        const batch = await channel.take();
        if (batch === null) break;
        yield* batch;
      }
    } finally {
      channel.close(null);
      await this.stop();
      await done;
    }
  }

  /** The view of this consumer's positions the group layer works through. */
  private positionsOwner(): PositionsOwner {
    return {
      setAssignment: (specs) => this.setAssignment(specs),
      processedPositions: (): OffsetToCommit[] =>
        [...this.positions.values()].filter((p) => p.offset !== null).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset! })),
      clearAssignment: () => {
        this.positions.clear();
        this.wake?.();
      },
    };
  }

  // ---- the loops --------------------------------------------------------------

  /** Keeps one fetch loop per leader of the assigned partitions until stopped. */
  private async supervise(generation: number, handlers: RunOptions): Promise<void> {
    const loops = new Map<number, Promise<void>>();
    let failures = 0;
    while (this.isCurrent(generation)) {
      const changed = new Promise<void>((resolve) => (this.wake = resolve));
      try {
        await this.resolvePositions(false);
        for (const leader of this.leaders()) {
          if (loops.has(leader)) continue;
          const loop = this.fetchLoop(generation, leader, handlers).finally(() => loops.delete(leader));
          loops.set(leader, loop);
        }
        failures = 0;
      } catch (e) {
        if (!this.handleLoopError(e)) break;
        if (failures >= this.cluster.o.retry.retries) {
          this.fail(e);
          break;
        }
        await sleep(backoffMs(this.cluster.o.retry, failures++));
        await this.cluster.refreshMetadata(this.assignedTopics()).catch(() => undefined);
        continue;
      }
      await Promise.race([changed, ...loops.values()]);
    }
    this.wake = null;
  }

  /**
   * Fetches from one leader until the generation ends. While a response is
   * being handled the next Fetch is already on its way (prefetch.ts), so the
   * broker sends while this process decodes and runs handlers.
   */
  private async fetchLoop(generation: number, leader: number, handlers: RunOptions): Promise<void> {
    let failures = 0;
    let prefetched: SentFetch | null = null;
    while (this.isCurrent(generation)) {
      let sent = prefetched;
      prefetched = null;
      if (sent === null) {
        const positions = [...this.positions.values()].filter((p) => p.offset !== null && this.leaderOrNull(p) === leader);
        if (positions.length === 0) return;
        sent = this.sendFetch(leader, positions, new Map(positions.map((p) => [p, p.offset!])));
      }
      const epochs = sent.epochs;
      try {
        const result = await sent.result;
        if (!this.isCurrent(generation)) return;
        prefetched = this.prefetch(leader, sent.positions, result);
        // The prefetch is written to the socket a few promise hops from here (connection lookup, handshake
        // check): let it go out before decoding (CRC checks) holds the event loop for a while.
        if (prefetched !== null) await setImmediate();
        // eachBatch hands over whole arrays; eachMessage decodes one record batch at a time as it goes (handle).
        if (handlers.eachBatch) this.fetcher.decode(result);
        await this.serialize(() => this.deliver(generation, result.partitions, result.accounting, epochs, handlers));
        failures = 0;
      } catch (e) {
        prefetched = null; // dropped with the failed round; its response, if any, is ignored
        if (!this.handleLoopError(e)) return;
        if (failures >= this.cluster.o.retry.retries) {
          this.fail(e);
          return;
        }
        await sleep(backoffMs(this.cluster.o.retry, failures++));
        await this.cluster.refreshMetadata(this.assignedTopics()).catch(() => undefined);
        // Partitions that moved to another leader are picked up by the supervisor.
        this.wake?.();
      }
    }
  }

  /** Sends a Fetch (records left undecoded) for `positions` from `offsets`, remembering their epochs to recognise a stale response. */
  private sendFetch(leader: number, positions: Position[], offsets: Map<Position, number>): SentFetch {
    const epochs = new Map(positions.map((p) => [p, p.epoch]));
    const result = this.fetcher.fetchUndecoded(
      leader,
      positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: offsets.get(p)!, maxBytes: p.maxBytes })),
    );
    // An abandoned fetch (stop, rebalance, a failed round) is never awaited; its failure must not go unhandled.
    result.catch(() => undefined);
    return { positions, epochs, result };
  }

  /** The next Fetch for these positions, sent now, before `result` is handled; null when it would not pay. */
  private prefetch(leader: number, positions: Position[], result: FetchResult): SentFetch | null {
    // Partitions unassigned (or reassigned: a new Position) since the fetch went out are not fetched again.
    const current = positions.filter((p) => this.positions.get(key(p.topic, p.partition)) === p);
    const offsets = prefetchOffsets(current, result.partitions);
    return offsets === null ? null : this.sendFetch(leader, [...offsets.keys()], offsets);
  }

  private async deliver(
    generation: number,
    fetched: FetchedPartition[],
    accounting: FetchAccounting | undefined,
    epochs: Map<Position, number>,
    handlers: RunOptions,
  ): Promise<void> {
    let staleMetadata: CopylessError | null = null;
    let undecodable: CopylessError | null = null;
    for (const f of fetched) {
      const p = this.positions.get(key(f.topic, f.partition));
      if (!this.isCurrent(generation)) return;
      if (p === undefined || epochs.get(p) !== p.epoch || p.offset !== f.fetchOffset) continue; // seeked or unassigned meanwhile
      if (f.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && this.s.autoOffsetReset === 'none') {
        this.fail(await this.outOfRange(p, f));
        return;
      }
      if (f.errorCode !== 0) {
        staleMetadata = this.partitionError(p, f) ?? staleMetadata;
        continue;
      }
      p.highWatermark = f.highWatermark;
      if (handlers.eachBatch ? f.messages.length > 0 : f.nextOffset > f.fetchOffset) await this.handle(generation, p, f, accounting, handlers);
      else if (f.nextOffset > f.fetchOffset) p.offset = f.nextOffset; // only control batches
      else if (f.recordsBytes > 0 && f.highWatermark > f.fetchOffset) p.maxBytes = Math.min(p.maxBytes * 2, this.s.maxBytes);
      undecodable ??= f.decodeError ?? null;
    }
    if (this.isCurrent(generation)) await handlers.afterFetch?.();
    // A batch that cannot be decoded ends the run once everything before it was delivered;
    // its partition's position stays at that batch, so nothing after it is skipped silently.
    if (undecodable) return this.fail(undecodable);
    if (staleMetadata) throw staleMetadata;
  }

  private async handle(generation: number, p: Position, f: FetchedPartition, accounting: FetchAccounting | undefined, handlers: RunOptions): Promise<void> {
    const epoch = p.epoch;
    if (handlers.eachBatch) {
      await handlers.eachBatch({ topic: f.topic, partition: f.partition, messages: f.messages, highWatermark: f.highWatermark, batchBytes: f.wholeBatchBytes, accounting });
      if (p.epoch === epoch) p.offset = f.nextOffset;
      return;
    }
    // Lazy decoding: one record batch at a time, so a fetch's messages are never all alive at once and
    // most die young, before the next scavenge (a 1 MiB fetch holds about 10,000 records of 100 B).
    const batch: ConsumedMessage[] = [];
    for (let pos = 0; pos >= 0; ) {
      batch.length = 0;
      pos = decodeBatchAt(f, pos, this.s.checkCrcs, batch);
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i];
        if (!this.isCurrent(generation) || p.epoch !== epoch) return;
        const done = handlers.eachMessage!({ topic: f.topic, partition: f.partition, message });
        // A handler that returns no promise runs back to back with the next: no microtask turn per message.
        if (isPromiseLike(done)) await done;
        if (p.epoch === epoch) p.offset = message.offset + 1;
      }
    }
    if (p.epoch === epoch && this.isCurrent(generation)) p.offset = Math.max(p.offset ?? 0, f.nextOffset);
  }

  /**
   * autoOffsetReset 'none': the typed OFFSET_OUT_OF_RANGE error, naming the
   * position and the log's range (asked with ListOffsets, so it holds against
   * Kafka too, whose error responses carry no range).
   */
  private async outOfRange(p: Position, f: FetchedPartition): Promise<CopylessError> {
    const ends = await Promise.all([this.listOffsets([p], EARLIEST_TIMESTAMP), this.listOffsets([p], LATEST_TIMESTAMP)]).catch(() => null);
    const start = ends?.[0].get(p) ?? f.logStartOffset;
    const end = ends?.[1].get(p) ?? f.highWatermark;
    const where = `${f.topic}/${f.partition}`;
    const range = start < 0 || end < 0 ? 'the log range is unknown' : start === end ? `the log is empty (log start = log end = ${end})` : `the log holds offsets ${start}..${end - 1} (log start ${start}, log end ${end})`;
    return new CopylessError('OFFSET_OUT_OF_RANGE', `offset ${f.fetchOffset} of ${where} is out of range: ${range}; autoOffsetReset is 'none'`, {
      topic: f.topic,
      partition: f.partition,
      offset: f.fetchOffset,
      logStartOffset: start,
      logEndOffset: end,
    });
  }

  /** Returns an error to retry after a metadata refresh, or null when handled here. */
  private partitionError(p: Position, f: FetchedPartition): CopylessError | null {
    const err = kafkaError(f.errorCode, `fetch ${f.topic}/${f.partition} at offset ${f.fetchOffset}`, {
      topic: f.topic,
      partition: f.partition,
      offset: f.fetchOffset,
    });
    if (f.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && this.s.autoOffsetReset !== 'none') {
      p.offset = null;
      p.reset = this.s.autoOffsetReset;
      this.wake?.();
      return null;
    }
    if (err.retriable) return err;
    this.fail(err);
    return null;
  }

  /**
   * True when the error is retriable (the loop goes on after a back-off);
   * otherwise stops the run with it. A handler's own error ends the run unchanged.
   */
  private handleLoopError(e: unknown): boolean {
    if (!this.running) return false;
    if (e instanceof CopylessError && e.retriable) return true;
    this.fail(e);
    return false;
  }

  private fail(e: unknown): void {
    this.fatal ??= e instanceof Error ? e : toCopylessError(e);
    this.running = false;
    this.generation++;
    this.wake?.();
  }

  private assignedTopics(): string[] {
    return [...new Set([...this.positions.values()].map((p) => p.topic))];
  }

  private isCurrent(generation: number): boolean {
    return this.running && this.generation === generation;
  }

  /** Runs handlers one at a time, in the order fetches complete. */
  private serialize(fn: () => Promise<void>): Promise<void> {
    const next = this.handlerChain.then(async () => {
      this.inHandler = true;
      try {
        await fn();
      } finally {
        this.inHandler = false;
      }
    });
    this.handlerChain = next.catch(() => undefined);
    return next;
  }

  private leaders(): Set<number> {
    const out = new Set<number>();
    for (const p of this.positions.values()) {
      const leader = this.cluster.leaderOf(p.topic, p.partition);
      if (p.offset !== null) out.add(leader);
    }
    return out;
  }

  private leaderOrNull(p: Position): number | null {
    try {
      return this.cluster.leaderOf(p.topic, p.partition);
    } catch {
      return null;
    }
  }

  // ---- offsets ------------------------------------------------------------

  /**
   * Resolves 'earliest'/'latest' positions with ListOffsets to each leader;
   * with `withEnds`, also learns every partition's current end (high watermark).
   */
  private async resolvePositions(withEnds: boolean): Promise<void> {
    const todo = [...this.positions.values()].filter((p) => p.offset === null || (withEnds && p.highWatermark === null));
    if (todo.length === 0) return;
    const earliest = todo.filter((p) => p.reset === 'earliest');
    const [starts, ends] = await Promise.all([this.listOffsets(earliest, EARLIEST_TIMESTAMP), this.listOffsets(todo, LATEST_TIMESTAMP)]);
    for (const p of todo) {
      const end = ends.get(p)!;
      if (p.highWatermark === null || end > p.highWatermark) p.highWatermark = end;
      if (p.offset === null) {
        p.offset = p.reset === 'earliest' ? starts.get(p)! : end;
        p.reset = null;
      }
    }
  }

  private async listOffsets(positions: Position[], timestamp: number): Promise<Map<Position, number>> {
    const out = new Map<Position, number>();
    if (positions.length === 0) return out;
    const topics = [...new Set(positions.map((p) => p.topic))];
    await this.cluster.retry(async () => {
      const byLeader = new Map<number, Position[]>();
      for (const p of positions) {
        if (out.has(p)) continue;
        const leader = this.cluster.leaderOf(p.topic, p.partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      await Promise.all([...byLeader].map(([leader, list]) => this.listOffsetsFrom(leader, list, timestamp, out)));
    }, topics);
    return out;
  }

  private async listOffsetsFrom(leader: number, list: Position[], timestamp: number, out: Map<Position, number>): Promise<void> {
    const byTopic = new Map<string, { partitionIndex: number; timestamp: number }[]>();
    for (const p of list) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partitionIndex: p.partition, timestamp }]);
    const body = { replicaId: -1, isolationLevel: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    const res = await this.cluster.send<ListOffsetsResponse>(leader, ApiKey.ListOffsets, body);
    let retriable: CopylessError | null = null;
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const p = list.find((x) => x.topic === t.name && x.partition === r.partitionIndex);
        if (p === undefined) continue;
        if (r.errorCode === 0) {
          out.set(p, r.offset);
          continue;
        }
        const err = kafkaError(r.errorCode, `list offsets of ${t.name}/${r.partitionIndex}`, { topic: t.name, partition: r.partitionIndex });
        if (!err.retriable) throw err;
        retriable = err;
      }
    }
    if (retriable) throw retriable;
  }
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

function key(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
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

function applyOffset(p: Position, offset: OffsetSpec, what: string): void {
  if (offset === 'earliest' || offset === 'latest') {
    p.offset = null;
    p.reset = offset;
  } else if (Number.isSafeInteger(offset) && offset >= 0) {
    p.offset = offset;
    p.reset = null;
  } else {
    throw new CopylessError('INVALID_REQUEST', `${what} must be an offset >= 0, 'earliest' or 'latest', got ${String(offset)}`, {
      field: 'offset',
      topic: p.topic,
      partition: p.partition,
    });
  }
}

/** A one-slot hand-off from the fetch loop to `messages()`: the loop waits until the reader took the last batch. */
class BatchChannel {
  private queued: ConsumedMessage[] | null = null;
  private closedWith: CopylessError | null | undefined = undefined;
  private onTake: (() => void) | null = null;
  private onPut: (() => void) | null = null;

  async put(batch: ConsumedMessage[]): Promise<void> {
    while (this.queued !== null && this.closedWith === undefined) await new Promise<void>((r) => (this.onTake = r));
    if (this.closedWith !== undefined) return;
    this.queued = batch;
    this.onPut?.();
  }

  async take(): Promise<ConsumedMessage[] | null> {
    while (this.queued === null && this.closedWith === undefined) await new Promise<void>((r) => (this.onPut = r));
    if (this.queued !== null) {
      const batch = this.queued;
      this.queued = null;
      this.onTake?.();
      return batch;
    }
    if (this.closedWith) throw this.closedWith;
    return null;
  }

  close(e: CopylessError | null): void {
    this.closedWith = e;
    this.onPut?.();
    this.onTake?.();
  }
}
