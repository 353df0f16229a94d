// The protocol-agnostic broker core: topics and partitions, produce, fetch
// with long-poll, list offsets, and fetch serving through the fetch modes.
// The Kafka listener, the HTTP routes and the WebSocket server are thin
// adapters over this class; none of them touches a log directly.

import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { CopylessError, ErrorCode, toCopylessError } from '../src/errors.ts';
import {
  APPEND_BYTES_PER_TURN_MAX,
  APPEND_COST_BYTES_MIN,
  FETCH_BYTES_MAX,
  FETCH_PAGE_CACHE_SHARE_MAX,
  FETCH_WAIT_MS_MAX,
  PARTITIONS_MAX,
} from '../src/limits.ts';
import { validateTopicName } from '../src/topic-name.ts';
import { PageCache } from '../src/storage/page-cache.ts';
import { LogManager } from '../src/storage/log-manager.ts';
import { LOG_CONFIG_DEFAULTS, type AppendResult, type LogConfig, type PartitionLog } from '../src/storage/log.ts';
import { FetchModel } from '../src/fetch/fetch-model.ts';
import { FetchStats, type FetchAccounting } from '../src/fetch/accounting.ts';
import { FETCH_MODES, isModelledMode, type FetchMode } from '../src/fetch/fetch-mode.ts';
import { publicConfig, type BrokerConfig } from './config.ts';
import { MetaStore, type TopicRecord } from './meta-store.ts';
import { native, netdevScatterGather, type NativeSendResult } from './native/index.ts';
import { dropCaches, serveFetch, type CacheDrop, type ServedRecords } from './fetch-serving.ts';
import type { FetchPartitionRequest, FetchPartitionResult, FetchRequestSpec, FetchResult } from './fetch-result.ts';
import { ProducerIdManager } from './producer-ids.ts';
import { TurnBudget } from './turn-budget.ts';
import { sgDmaAssumption, type SgDmaAssumption } from './sg-dma.ts';
import { BrokerActivity } from './dashboard/activity.ts';

const MiB = 1024 * 1024;
export const BROKER_VERSION = '0.1.0';

export type { FetchPartitionRequest, FetchPartitionResult, FetchRequestSpec, FetchResult } from './fetch-result.ts';
export type { CacheDrop, FileRangeChunk, ServedRecords } from './fetch-serving.ts';
export type { SgDmaAssumption } from './sg-dma.ts';

/**
 * Real fdatasync(2) calls of segment .log files (every cause: acks=all, the
 * flush policy, close, recovery) and the bytes they made durable, next to the
 * simulated page cache's write-back, which is bookkeeping and syncs nothing.
 */
export interface DurabilityStats {
  fsyncs: number;
  fsyncBytes: number;
  writeBackPages: number;
  writeBackBytes: number;
}

/** `copyless stats --json`, CopylessStats, GET /broker/stats. */
export interface BrokerStats {
  modes: ReturnType<FetchStats['snapshot']>['modes'];
  pageCache: ReturnType<PageCache['stats']>;
  sgDma: SgDmaAssumption;
  durability: DurabilityStats;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  partitions: Array<{
    partition: number;
    logStartOffset: number;
    logEndOffset: number;
    sizeBytes: number;
    residentPages: number;
    segments: Array<{
      baseOffset: number;
      sizeBytes: number;
      residentPages: number;
      dirtyPages: number;
      active: boolean;
      indexEntries: number;
      timeIndexEntries: number;
    }>;
  }>;
  config: Partial<LogConfig>;
}

interface Topic {
  record: TopicRecord;
  logs: PartitionLog[];
}

/** The points between the steps of a topic create or delete (Broker.faultHook). */
export type TopicStep = 'create:directories' | 'create:metadata' | 'delete:renamed-partition' | 'delete:metadata';

type Waiter = () => void;

/** Hooks the metrics module installs; no-ops otherwise. Adapters call them per request and per byte count. */
export interface Telemetry {
  request(protocol: 'kafka' | 'http' | 'ws', api: string, seconds: number, errorCode: number): void;
  bytesIn(protocol: 'kafka' | 'http' | 'ws', bytes: number): void;
  bytesOut(protocol: 'kafka' | 'http' | 'ws', bytes: number): void;
}

const NO_TELEMETRY: Telemetry = { request() {}, bytesIn() {}, bytesOut() {} };

/** Topic-level config names accepted from Kafka CreateTopics, mapped to our LogConfig fields. */
export const TOPIC_CONFIG_NAMES: Record<string, keyof LogConfig> = {
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'retention.bytes': 'retentionBytes',
  'retention.ms': 'retentionMs',
  'flush.messages': 'flushIntervalMessages',
  'flush.ms': 'flushIntervalMs',
  'max.message.bytes': 'messageBytesMax',
  'index.interval.bytes': 'indexIntervalBytes',
};

export class Broker extends EventEmitter {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly pageCache: PageCache;
  readonly logs: LogManager;
  readonly meta: MetaStore;
  /** Hands out idempotent producers' ids (InitProducerId). */
  readonly producerIds: ProducerIdManager;
  readonly fetchModel: FetchModel;
  readonly fetchStats = new FetchStats();
  /** Connections, last fetches and per-topic counters, for the dashboard (broker/dashboard). */
  readonly activity: BrokerActivity;
  readonly startedAt = Date.now();
  telemetry: Telemetry = NO_TELEMETRY;
  /** The Kafka listener's bound port, advertised in Metadata (set once listening). */
  kafkaPort = 0;
  /** Reported by /readyz and refused requests during shutdown. */
  closing = false;
  /** Whether sendfile and splice (modelled and native) count a CPU copy: see sg-dma.ts. New connections start with it. */
  sgDma: SgDmaAssumption;
  private readonly topics = new Map<string, Topic>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly logDefaults: LogConfig;
  /** Appends per turn of the event loop (see turn-budget.ts): later produce requests wait for the next turn. */
  private readonly appendTurns = new TurnBudget(APPEND_BYTES_PER_TURN_MAX);
  cleanShutdown = false;
  /**
   * Called between the steps of a topic create or delete with the step's name
   * (see createTopic, deleteTopic); tests set it to kill the process there.
   */
  faultHook: ((step: TopicStep) => void) | null = null;

  constructor(config: BrokerConfig, logger: Logger) {
    super();
    this.setMaxListeners(0);
    this.config = config;
    this.logger = logger;
    this.pageCache = new PageCache({
      capacityBytes: config.pageCacheMb * MiB,
      policy: config.pageCachePolicy,
    });
    this.logDefaults = {
      ...LOG_CONFIG_DEFAULTS,
      segmentBytes: config.segmentBytes,
      segmentMs: config.segmentMs,
      retentionBytes: config.retentionBytes,
      retentionMs: config.retentionMs,
      flushIntervalMessages: config.flushIntervalMessages,
      flushIntervalMs: config.flushIntervalMs,
      messageBytesMax: config.messageBytesMax,
    };
    this.logs = new LogManager({ dataDir: config.dataDir, pageCache: this.pageCache, defaults: this.logDefaults, logger });
    this.meta = new MetaStore(config.dataDir);
    this.producerIds = new ProducerIdManager(this.meta);
    this.fetchModel = new FetchModel(this.pageCache, { onUnmap: () => this.fetchStats.recordUnmap() });
    this.sgDma = sgDmaAssumption({ flag: config.sgDma, host: config.host, probe: netdevScatterGather });
    logger.info({ sgDma: this.sgDma }, 'scatter/gather DMA assumption');
    this.activity = new BrokerActivity((topic, partition) => this.recordsPerByte(topic, partition));
    this.on('append', (topic: string, _partition: number, r: AppendResult) => this.activity.produced(topic, r.records, r.bytes));
    this.on('topics-changed', () => this.activity.prune((topic) => this.topics.has(topic)));
  }

  /** A partition's records per stored byte (0 when empty or gone): estimates the records of a native fetch. */
  private recordsPerByte(topic: string, partition: number): number {
    const log = this.topics.get(topic)?.logs[partition];
    return log && log.sizeBytes > 0 ? (log.logEndOffset - log.logStartOffset) / log.sizeBytes : 0;
  }

  /** Set the scatter/gather assumption at run time (it then counts as given, like the flag). */
  setSgDma(enabled: boolean, how: string): void {
    this.config.sgDma = enabled;
    this.sgDma = { enabled, source: 'flag', detail: `sgDma ${enabled} set by ${how}` };
  }

  /**
   * Open (and recover) every known partition, finish topic deletes a crash cut
   * short, delete partition directories no topic owns, then start the flusher
   * and retention timers.
   */
  open(): void {
    const { cleanShutdown, fresh, pendingDeletes } = this.logs.open();
    this.cleanShutdown = cleanShutdown;
    const records = this.meta.listTopics().filter((record) => {
      // Its directories were renamed (the delete's commit point) but the metadata still names it: finish the delete.
      if (!pendingDeletes.some((d) => d.topic === record.name && d.tag === record.topicId)) return true;
      this.meta.deleteTopicSync(record.name);
      this.logger.info({ topic: record.name }, 'finished a topic delete cut short by a crash');
      return false;
    });
    const owned = new Set(records.flatMap((r) => Array.from({ length: r.partitions }, (_, p) => `${p}\u0000${r.name}`)));
    // A create or delete cut short leaves directories no topic owns: deleted, never adopted by a later topic of that name.
    for (const log of this.logs.all()) {
      if (!owned.has(`${log.partition}\u0000${log.topic}`)) this.logs.markDeleted(log.topic, log.partition, `orphan${Date.now()}`);
    }
    void this.logs.purgeDeleted();
    for (const record of records) {
      const logs: PartitionLog[] = [];
      for (let p = 0; p < record.partitions; p++) logs.push(this.logs.getOrCreate(record.name, p, record.config));
      this.topics.set(record.name, { record, logs });
    }
    this.producerIds.open(this.logs.all().reduce((max, l) => Math.max(max, l.producers.maxProducerId()), -1));
    this.pageCache.start();
    this.logs.start();
    const how = fresh ? { newDataDir: true } : { cleanShutdown };
    this.logger.info({ topics: this.topics.size, ...how, dataDir: this.config.dataDir }, 'storage opened');
  }

  /** `cleanShutdown: false` (a failed start) closes without writing the clean-shutdown marker. */
  async close(o: { cleanShutdown?: boolean } = {}): Promise<void> {
    this.closing = true;
    for (const set of this.waiters.values()) for (const w of set) w();
    this.logs.stop();
    this.pageCache.stop();
    await this.logs.close(o);
    await this.meta.close();
  }

  // ---------------------------------------------------------------- topics

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  partitionCount(name: string): number {
    return this.topics.get(name)?.logs.length ?? 0;
  }

  async createTopic(
    name: string,
    o: { partitions?: number; config?: Record<string, string | null> | Partial<LogConfig>; validateOnly?: boolean } = {},
  ): Promise<TopicRecord> {
    validateTopicName(name);
    if (this.topics.has(name)) throw new CopylessError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
    const partitions = o.partitions === undefined || o.partitions === -1 ? this.config.defaultPartitions : o.partitions;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > PARTITIONS_MAX) {
      throw new CopylessError('INVALID_PARTITIONS', `partitions is ${partitions}, must be 1..${PARTITIONS_MAX} (PARTITIONS_MAX)`, {
        topic: name,
        field: 'partitions',
        limit: 'PARTITIONS_MAX',
        max: PARTITIONS_MAX,
      });
    }
    const config = this.topicConfig(o.config ?? {});
    const record: TopicRecord = { name, partitions, config, createdAt: Date.now(), topicId: crypto.randomUUID() };
    if (o.validateOnly) return record;
    // Directories first, then the metadata, which commits the create: a crash
    // in between leaves directories no topic owns, which the next open deletes.
    const logs: PartitionLog[] = [];
    for (let p = 0; p < partitions; p++) logs.push(this.logs.getOrCreate(name, p, config));
    this.topics.set(name, { record, logs });
    this.faultHook?.('create:directories');
    try {
      await this.meta.putTopic(record);
    } catch (e) {
      this.topics.delete(name);
      for (let p = 0; p < partitions; p++) this.logs.markDeleted(name, p, record.topicId);
      void this.logs.purgeDeleted();
      throw e;
    }
    this.faultHook?.('create:metadata');
    this.logger.info({ topic: name, partitions }, 'topic created');
    this.emit('topics-changed');
    return record;
  }

  /** Translate Kafka topic configs ("retention.ms": "1000") or LogConfig fields into validated overrides. */
  private topicConfig(raw: Record<string, unknown>): Partial<LogConfig> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw)) {
      const field = TOPIC_CONFIG_NAMES[k] ?? (k in LOG_CONFIG_DEFAULTS ? (k as keyof LogConfig) : undefined);
      if (!field) throw new CopylessError('INVALID_CONFIG', `unknown topic config ${k}; known: ${Object.keys(TOPIC_CONFIG_NAMES).join(', ')}`, { field: k });
      if (v === null || v === undefined) continue;
      const n = Number(v);
      if (!Number.isFinite(n) && n !== Infinity) throw new CopylessError('INVALID_CONFIG', `topic config ${k} must be a number, got ${String(v)}`, { field: k });
      out[field] = n;
    }
    return out as Partial<LogConfig>;
  }

  /**
   * Kafka's order: rename every partition directory to a `-delete` name (the
   * first rename commits the delete: open() finishes it from there), then
   * remove the topic from the metadata, then remove the directories in the
   * background. A crash at any point never lets the data come back, not even
   * under a re-created topic of the same name.
   */
  async deleteTopic(name: string): Promise<void> {
    validateTopicName(name);
    const topic = this.topics.get(name);
    if (!topic) throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
    this.topics.delete(name);
    for (let p = 0; p < topic.logs.length; p++) {
      this.logs.markDeleted(name, p, topic.record.topicId);
      this.wake(name, p);
      this.faultHook?.('delete:renamed-partition');
    }
    await this.meta.deleteTopic(name);
    this.faultHook?.('delete:metadata');
    this.logger.info({ topic: name }, 'topic deleted');
    this.emit('topics-changed');
    void this.logs.purgeDeleted();
  }

  /**
   * Kafka CreatePartitions: grows a topic to `count` partitions (never
   * shrinks: INVALID_PARTITIONS), each new one an empty log, and persists the
   * new count. Keyed messages may map to other partitions afterwards, as in Kafka.
   */
  async createPartitions(name: string, count: number, o: { validateOnly?: boolean } = {}): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
    const current = topic.logs.length;
    if (!Number.isInteger(count) || count <= current || count > PARTITIONS_MAX) {
      const why = count <= current ? `the topic already has ${current}; partitions can only be added` : `must be at most ${PARTITIONS_MAX} (PARTITIONS_MAX)`;
      throw new CopylessError('INVALID_PARTITIONS', `partition count ${count} for topic ${name}: ${why}`, { topic: name, field: 'count', limit: 'PARTITIONS_MAX', max: PARTITIONS_MAX });
    }
    if (o.validateOnly) return;
    for (let p = current; p < count; p++) topic.logs.push(this.logs.getOrCreate(name, p, topic.record.config));
    topic.record = { ...topic.record, partitions: count };
    await this.meta.putTopic(topic.record);
    this.logger.info({ topic: name, from: current, to: count }, 'partitions added');
    this.emit('topics-changed');
  }

  /** The topic's partition log, or UNKNOWN_TOPIC_OR_PARTITION. */
  partitionLog(topic: string, partition: number): PartitionLog {
    const t = this.topics.get(topic);
    const log = t?.logs[partition];
    if (!log) {
      throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', t ? `topic ${topic} has no partition ${partition}` : `topic ${topic} does not exist`, {
        topic,
        partition,
      });
    }
    return log;
  }

  /** Auto-create a topic when the broker allows it (Kafka auto.create.topics.enable). */
  async ensureTopic(name: string, allowCreate = true): Promise<boolean> {
    if (this.topics.has(name)) return true;
    if (!allowCreate || !this.config.autoCreateTopics) return false;
    try {
      await this.createTopic(name, {});
    } catch (e) {
      if (toCopylessError(e).code !== ErrorCode.TOPIC_ALREADY_EXISTS) throw e;
    }
    return true;
  }

  describeTopics(names?: string[] | null): TopicDescription[] {
    const list = names ?? this.topicNames();
    return list.map((name) => {
      const t = this.topics.get(name);
      if (!t) throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
      return {
        name,
        topicId: t.record.topicId,
        config: t.record.config,
        partitions: t.logs.map((log, partition) => {
          const segments = log.segments();
          return {
            partition,
            logStartOffset: log.logStartOffset,
            logEndOffset: log.logEndOffset,
            sizeBytes: log.sizeBytes,
            residentPages: segments.reduce((n, s) => n + s.residentPages, 0),
            segments: segments.map((s) => ({
              baseOffset: s.baseOffset,
              sizeBytes: s.sizeBytes,
              residentPages: s.residentPages,
              dirtyPages: s.dirtyPages,
              active: s.active,
              indexEntries: s.indexEntries,
              timeIndexEntries: s.timeIndexEntries,
            })),
          };
        }),
      };
    });
  }

  // --------------------------------------------------------------- produce

  /**
   * Append a producer's batches to one partition. acks=0/1 resolve after the
   * append (the bytes are in the segment file, safe from a process crash);
   * acks=-1 also waits for fdatasync, shared with every other waiter (group
   * commit), and fails with REQUEST_TIMED_OUT after timeoutMs. Appends share
   * a budget per turn of the event loop (appendTurns); past it they wait, in
   * arrival order, for the next turn.
   */
  async produce(topic: string, partition: number, records: Buffer, o: { acks: number; timeoutMs: number }): Promise<AppendResult> {
    if (this.closing) throw new CopylessError('BROKER_SHUTTING_DOWN', 'broker is shutting down');
    if (o.acks !== 0 && o.acks !== 1 && o.acks !== -1) {
      throw new CopylessError('INVALID_REQUIRED_ACKS', `acks is ${o.acks}, must be 0, 1 or -1 (all)`, { field: 'acks' });
    }
    const cost = Math.max(records.length, APPEND_COST_BYTES_MIN);
    const { log, result } = await this.appendTurns.run(cost, () => {
      const log = this.partitionLog(topic, partition);
      const result = log.append(records);
      if (!result.duplicate) {
        // An idempotent producer's retry of a stored batch appends nothing: there is nothing new to wake anyone for.
        this.wake(topic, partition);
        this.emit('append', topic, partition, result);
      }
      return { log, result };
    });
    if (o.acks === -1) await withTimeout(log.flush(), o.timeoutMs, topic, partition);
    return result;
  }

  // ----------------------------------------------------------------- fetch

  /**
   * Read slices for every requested partition; when fewer than minBytes are
   * available, wait (up to maxWaitMs) until an append to one of them wakes us.
   * The result holds segment references: the caller must release() it.
   */
  async fetch(spec: FetchRequestSpec, signal?: AbortSignal): Promise<FetchResult> {
    const waitMs = Math.max(0, Math.min(spec.maxWaitMs, FETCH_WAIT_MS_MAX));
    const deadline = Date.now() + waitMs;
    for (;;) {
      const result = this.readOnce(spec);
      const remaining = deadline - Date.now();
      if (result.bytes >= Math.max(1, spec.minBytes) || remaining <= 0 || this.closing || signal?.aborted) return result;
      if (result.partitions.some((p) => p.errorCode !== 0)) return result;
      result.release();
      await this.waitForAppend(spec.partitions, remaining, signal);
    }
  }

  private readOnce(spec: FetchRequestSpec): FetchResult {
    const cacheShare = Math.floor(this.config.pageCacheMb * MiB * FETCH_PAGE_CACHE_SHARE_MAX);
    let budget = Math.min(Math.max(0, spec.maxBytes), FETCH_BYTES_MAX, cacheShare);
    let bytes = 0;
    const partitions: FetchPartitionResult[] = [];
    for (const req of spec.partitions) {
      const out: FetchPartitionResult = {
        topic: req.topic,
        partition: req.partition,
        errorCode: 0,
        highWatermark: -1,
        logStartOffset: -1,
        slice: null,
      };
      partitions.push(out);
      try {
        const log = this.partitionLog(req.topic, req.partition);
        out.highWatermark = log.logEndOffset;
        out.logStartOffset = log.logStartOffset;
        const limit = Math.min(req.maxBytes, budget);
        // KIP-74: the first partition with data gets at least one whole batch, whatever the limits say.
        const first = bytes === 0;
        if (limit <= 0 && !first) continue;
        const slice = log.read(req.fetchOffset, Math.max(limit, 0), { minOneBatch: first });
        if (slice && slice.length > 0) {
          out.slice = slice;
          bytes += slice.length;
          budget -= slice.length;
        } else slice?.release();
      } catch (e) {
        out.errorCode = toCopylessError(e).code;
      }
    }
    let released = false;
    return {
      partitions,
      bytes,
      release() {
        if (released) return;
        released = true;
        for (const p of partitions) p.slice?.release();
      },
    };
  }

  private waitForAppend(parts: FetchPartitionRequest[], ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const keys = [...new Set(parts.map((p) => `${p.topic}\u0000${p.partition}`))];
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        for (const k of keys) this.waiters.get(k)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(done);
      }
    });
  }

  private wake(topic: string, partition: number): void {
    const set = this.waiters.get(`${topic}\u0000${partition}`);
    if (!set) return;
    for (const w of [...set]) w();
  }

  /**
   * Turn a fetch result into wire parts with one fetch mode (see
   * fetch-serving.ts): views or a copy, counted by the model, or native file
   * ranges counted from the real system calls once sent.
   */
  async serve(result: FetchResult, mode: FetchMode, o: { sgDma?: boolean; connection?: number } = {}): Promise<ServedRecords> {
    const sgDma = o.sgDma ?? this.sgDma.enabled;
    const served = await serveFetch(result, mode, { fetchModel: this.fetchModel, fetchStats: this.fetchStats, sgDma });
    return this.activity.watch(result, served, { connection: o.connection ?? null, sgDma });
  }

  /** Count a native fetch from the addon's real system-call counts. */
  completeNative(served: ServedRecords, real: NativeSendResult): FetchAccounting {
    return served.complete({ real });
  }

  // ----------------------------------------------------------- list offsets

  /** Kafka ListOffsets: -2 earliest, -1 latest, otherwise the first offset whose batch timestamp is >= ts. */
  listOffset(topic: string, partition: number, timestamp: number): { offset: number; timestamp: number } {
    const log = this.partitionLog(topic, partition);
    if (timestamp === -2) return { offset: log.logStartOffset, timestamp: -1 };
    if (timestamp === -1) return { offset: log.logEndOffset, timestamp: -1 };
    return log.offsetForTimestamp(timestamp) ?? { offset: -1, timestamp: -1 };
  }

  // ------------------------------------------------------------- reporting

  stats(): BrokerStats {
    const pageCache = this.pageCache.stats();
    const { fsyncs, fsyncBytes, writeBackPages, writeBackBytes } = pageCache;
    return {
      modes: this.fetchStats.snapshot().modes,
      pageCache,
      sgDma: { ...this.sgDma },
      durability: { fsyncs, fsyncBytes, writeBackPages, writeBackBytes },
    };
  }

  /** Cold cache for benchmarks and demos: the simulated page cache and, with the addon, the OS page cache of the data files. */
  dropCaches(): CacheDrop {
    return dropCaches(this.pageCache, this.logs.all());
  }

  availableFetchModes(): FetchMode[] {
    return FETCH_MODES.filter((m) => isModelledMode(m) || native.available);
  }

  info(): Record<string, unknown> {
    return {
      name: 'copyless',
      version: BROKER_VERSION,
      brokerId: this.config.brokerId,
      uptimeMs: Date.now() - this.startedAt,
      fetchModes: {
        default: this.config.fetchMode,
        available: this.availableFetchModes(),
        modelled: FETCH_MODES.filter((m) => isModelledMode(m)),
        native: { available: native.available, reason: native.reason },
      },
      sgDma: { ...this.sgDma },
      config: publicConfig(this.config),
    };
  }

  /** Change the default fetch mode for new connections at run time. */
  setDefaultFetchMode(mode: FetchMode): void {
    this.assertModeAvailable(mode);
    this.config.fetchMode = mode;
  }

  assertModeAvailable(mode: FetchMode): void {
    if (!isModelledMode(mode) && !native.available) {
      throw new CopylessError('FETCH_MODE_UNAVAILABLE', `fetch mode ${mode} needs the native addon, which is unavailable: ${native.reason}`, {
        field: 'fetchMode',
      });
    }
  }
}

function withTimeout(p: Promise<void>, ms: number, topic: string, partition: number): Promise<void> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CopylessError('REQUEST_TIMED_OUT', `fsync did not finish within timeoutMs=${ms}`, { topic, partition, limit: 'timeoutMs', max: ms })),
      ms,
    );
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
