// One topic-partition's log: a thin coordinator over its ordered segments
// (Kafka LocalLog / LogSegments, minus UnifiedLog's 2,000 lines). It assigns
// offsets, rolls segments, finds the segment for a read, flushes with group
// commit and applies retention; segment.ts owns the bytes and the indexes,
// recovery.ts the loading.
//
// Offsets: the log end offset (LEO) is the next offset to assign; the log start
// offset is the first segment's base offset (retention deletes whole
// segments), or higher after DeleteRecords moved it inside a segment; the
// recovery point is the offset below which everything is fdatasynced, and
// where recovery scans from after a crash.
//
// Idempotent producers: producer-state.ts checks each batch's producer id,
// epoch and sequence before it is appended (a duplicate appends nothing and
// answers the original offsets); the state is snapshotted on roll and close
// and rebuilt on open.

import fs from 'node:fs';
import { CopylessError, limitError } from '../errors.ts';
import { INDEX_BYTES_MAX } from '../limits.ts';
import { setBaseOffset, setPartitionLeaderEpoch, settleMaxTimestamp, validateBatch } from '../record/record-batch.ts';
import { io } from './file-io.ts';
import { type LogConfig, validateLogConfig } from './log-config.ts';
import type { PageCache } from './page-cache.ts';
import { type ProducerBatchHeader, ProducerStateManager } from './producer-state.ts';
import { loadSegments, type RecoveryLogger, replayProducerBatches } from './recovery.ts';
import { type AppendedBatch, RELATIVE_OFFSET_MAX, Segment } from './segment.ts';

export { type LogConfig, LOG_CONFIG_DEFAULTS, validateLogConfig } from './log-config.ts';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  records: number;
  bytes: number;
  maxTimestamp: number;
  logStartOffset: number;
  /** True when an idempotent producer resent a batch already in the log: nothing was appended, the offsets are the original's. */
  duplicate?: boolean;
}

/** A byte range of ONE segment file, never read here: a fetch mode serves it (views, a copy or sendfile). */
export interface LogSlice {
  /** Page-cache file id of the segment's .log. */
  fileId: number;
  /** The real file (native sendfile uses fd). */
  fd: number;
  path: string;
  segmentBaseOffset: number;
  position: number;
  length: number;
  /** baseOffset of the first batch in the slice (at or before the offset asked for). */
  firstOffset: number;
  /** Drops the segment reference taken by read(); a deleted segment's fd is closed when the last reference goes. */
  release(): void;
}

export interface SegmentInfo {
  baseOffset: number;
  path: string;
  sizeBytes: number;
  fileId: number;
  largestTimestamp: number;
  residentPages: number;
  dirtyPages: number;
  active: boolean;
  /** Entries in the offset index and the time index. */
  indexEntries: number;
  timeIndexEntries: number;
  /** While an asynchronous fdatasync of the file runs, the bytes it covers; 0 otherwise. */
  writeBackBytes: number;
}

export interface PartitionLogOptions {
  /** The partition's own directory, `<data>/<topic>-<partition>`. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  pageCache: PageCache;
  recoveryPoint: number;
  /** The log start offset a DeleteRecords set (from the log-start-offset checkpoint); the first segment's base offset when lower. */
  logStartOffset?: number;
  cleanShutdown: boolean;
  now?: () => number;
  logger?: RecoveryLogger;
}

/** A batch of a produce payload, validated, with the offsets it will get. */
type PendingBatch = AppendedBatch & { lastOffsetDelta: number; producer: ProducerBatchHeader | null };

const noop = (): void => {};
/** The epoch stamped on appended batches when the caller gives none: a single broker is leader in epoch 0 forever. */
export const LEADER_EPOCH_DEFAULT = 0;

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: LogConfig;
  private readonly pageCache: PageCache;
  private readonly now: () => number;
  private readonly logger?: RecoveryLogger;
  private readonly segs: Segment[];
  /** Idempotent producers of this partition. */
  readonly producers: ProducerStateManager;
  private recoveryOffset: number;
  /** Set by DeleteRecords; the effective log start offset is the larger of this and the first segment's base. */
  private startOffset: number;
  private appendedMessages = 0;
  private flushedMessages = 0;
  private lastFlushMs: number;
  private inFlight: { target: number; promise: Promise<void> } | null = null;
  private queued: Promise<void> | null = null;
  private state: 'open' | 'closed' | 'deleted' = 'open';

  private constructor(o: PartitionLogOptions, segments: Segment[], recoveryPoint: number) {
    this.topic = o.topic;
    this.partition = o.partition;
    this.dir = o.dir;
    this.config = o.config;
    this.pageCache = o.pageCache;
    this.now = o.now ?? Date.now;
    this.logger = o.logger;
    this.segs = segments;
    this.recoveryOffset = recoveryPoint;
    this.startOffset = o.logStartOffset ?? 0;
    this.producers = new ProducerStateManager({ dir: o.dir, topic: o.topic, partition: o.partition });
    this.lastFlushMs = this.now();
  }

  /** Opens (recovering if needed, see recovery.ts) or creates the partition directory. */
  static open(o: PartitionLogOptions): PartitionLog {
    const config = validateLogConfig(o.config);
    const now = o.now ?? Date.now;
    const { segments, recoveryPoint } = loadSegments({
      dir: o.dir,
      pageCache: o.pageCache,
      indexIntervalBytes: config.indexIntervalBytes,
      indexBytesMax: config.indexBytesMax ?? INDEX_BYTES_MAX,
      recoveryPoint: o.recoveryPoint,
      cleanShutdown: o.cleanShutdown,
      nowMs: now(),
      logger: o.logger,
    });
    const log = new PartitionLog({ ...o, config }, segments, recoveryPoint);
    log.startOffset = Math.min(log.startOffset, log.logEndOffset);
    log.loadProducerState();
    o.logger?.info({ topic: o.topic, partition: o.partition, segments: segments.length, logEndOffset: log.logEndOffset }, 'partition log opened');
    return log;
  }

  get logStartOffset(): number {
    return Math.max(this.segs[0].baseOffset, this.startOffset);
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get recoveryPoint(): number {
    return this.recoveryOffset;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segs) total += s.sizeBytes;
    return total;
  }

  private get active(): Segment {
    return this.segs[this.segs.length - 1];
  }

  private checkOpen(): void {
    if (this.state === 'open') return;
    const [name, why] = this.state === 'deleted' ? (['UNKNOWN_TOPIC_OR_PARTITION', 'was deleted'] as const) : (['BROKER_SHUTTING_DOWN', 'is closed'] as const);
    throw new CopylessError(name, `log ${this.topic}-${this.partition} ${why}`, { topic: this.topic, partition: this.partition });
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends a producer's payload (one or more v2 batches). Every batch is
   * validated before anything is written, so a bad payload appends nothing;
   * then baseOffset and partitionLeaderEpoch (default LEADER_EPOCH_DEFAULT)
   * are patched in place, outside the CRC, and the bytes are appended unchanged.
   */
  append(payload: Buffer, o: { leaderEpoch?: number } = {}): AppendResult {
    this.checkOpen();
    const batches = this.validatePayload(payload);
    const duplicate = this.checkProducers(batches);
    if (duplicate) return duplicate;
    const baseOffset = this.logEndOffset;
    let next = baseOffset;
    let maxTimestamp = -1;
    for (const b of batches) {
      b.lastOffset = next + b.lastOffsetDelta;
      next = b.lastOffset + 1;
      if (b.maxTimestamp > maxTimestamp) maxTimestamp = b.maxTimestamp;
    }
    const nowMs = this.now();
    const segment = this.maybeRoll(payload.length, next - 1, nowMs);
    for (const b of batches) {
      setBaseOffset(payload, b.at, b.lastOffset - b.lastOffsetDelta);
      setPartitionLeaderEpoch(payload, b.at, o.leaderEpoch ?? LEADER_EPOCH_DEFAULT);
    }
    segment.append(payload, batches, { indexIntervalBytes: this.config.indexIntervalBytes, nowMs });
    for (const b of batches) {
      if (b.producer) this.producers.update(b.producer, { firstOffset: b.lastOffset - b.lastOffsetDelta, lastOffset: b.lastOffset, timestamp: nowMs });
    }
    const records = next - baseOffset;
    this.appendedMessages += records;
    if (this.appendedMessages - this.flushedMessages >= this.config.flushIntervalMessages) this.flushInBackground('flushIntervalMessages');
    return { baseOffset, lastOffset: next - 1, records, bytes: payload.length, maxTimestamp, logStartOffset: this.logStartOffset };
  }

  /**
   * Validates every batch of the payload (validateBatch) and that they fill
   * it exactly, and settles each batch's maxTimestamp (a header field set in
   * place, CRC recomputed, records unchanged; see settleMaxTimestamp) so the
   * time index sees the records' real times even when a client sent -1.
   */
  private validatePayload(payload: Buffer): PendingBatch[] {
    if (!Buffer.isBuffer(payload) || payload.length === 0) {
      throw new CopylessError('INVALID_RECORD', 'records must hold at least one record batch', { field: 'records', topic: this.topic, partition: this.partition });
    }
    if (payload.length > this.config.segmentBytes) {
      throw limitError('RECORD_LIST_TOO_LARGE', 'segmentBytes', this.config.segmentBytes, payload.length, 'produce payload', { topic: this.topic, partition: this.partition });
    }
    const batches: PendingBatch[] = [];
    const limit = { batchBytesMax: this.config.messageBytesMax };
    for (let at = 0; at < payload.length; ) {
      const h = validateBatch(payload, at, limit);
      if (h.isTransactional) {
        throw new CopylessError('INVALID_TXN_STATE', `record batch at byte ${at} is transactional; copyless does not support transactions`, {
          field: 'attributes',
          topic: this.topic,
          partition: this.partition,
        });
      }
      const maxTimestamp = settleMaxTimestamp(payload, at, h);
      const producer = h.producerId >= 0 ? { producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, lastOffsetDelta: h.lastOffsetDelta } : null;
      batches.push({ at, totalBytes: h.totalBytes, lastOffsetDelta: h.lastOffsetDelta, lastOffset: 0, maxTimestamp, producer });
      at += h.totalBytes;
    }
    return batches;
  }

  /**
   * An idempotent producer's batch is checked against the partition's
   * producer state (producer-state.ts) before anything is written: a
   * duplicate returns the original's offsets (Kafka answers NONE with them),
   * a gap or a stale epoch throws. Like Kafka's ProduceRequest v3+, such a
   * payload holds exactly one batch, so a duplicate is all or nothing.
   */
  private checkProducers(batches: PendingBatch[]): AppendResult | null {
    const idempotent = batches.find((b) => b.producer !== null);
    if (!idempotent) return null;
    if (batches.length > 1) {
      throw new CopylessError('INVALID_RECORD', `an idempotent producer's records hold ${batches.length} batches; exactly one per partition is allowed (Kafka ProduceRequest v3+)`, {
        field: 'records',
        topic: this.topic,
        partition: this.partition,
      });
    }
    const dup = this.producers.check(idempotent.producer!);
    if (dup === null) return null;
    return { baseOffset: dup.firstOffset, lastOffset: dup.lastOffset, records: 0, bytes: 0, maxTimestamp: -1, logStartOffset: this.logStartOffset, duplicate: true };
  }

  /** The producer table as of the log end: the newest valid snapshot, then the batch headers after it. */
  private loadProducerState(): void {
    const from = this.producers.loadSnapshot({ logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset, warn: (obj, msg) => this.logger?.warn(obj, msg) });
    let replayed = 0;
    replayProducerBatches(
      this.segs,
      from,
      (b) => {
        this.producers.update(b, { firstOffset: b.baseOffset, lastOffset: b.lastOffset, timestamp: b.maxTimestamp });
        replayed++;
      },
      this.logger,
    );
    if (this.producers.size > 0 || replayed > 0) {
      this.logger?.info({ topic: this.topic, partition: this.partition, producers: this.producers.size, snapshotOffset: from, replayedBatches: replayed }, 'producer state loaded');
    }
  }

  /**
   * Kafka LogSegment.shouldRoll: a non-empty active segment rolls when the
   * append would pass segmentBytes, when it is segmentMs old, when an index is
   * full, or when the last offset would overflow its int32 relative offsets.
   */
  private maybeRoll(incomingBytes: number, lastOffset: number, nowMs: number): Segment {
    const s = this.active;
    if (s.isEmpty) return s;
    let reason: string | null = null;
    if (s.sizeBytes > this.config.segmentBytes - incomingBytes) reason = 'segmentBytes';
    else if (s.rollStartMs !== null && nowMs - s.rollStartMs >= this.config.segmentMs) reason = 'segmentMs';
    else if (s.indexFull) reason = 'indexBytesMax';
    else if (lastOffset - s.baseOffset > RELATIVE_OFFSET_MAX) reason = 'relative offset overflow';
    return reason === null ? s : this.roll(reason);
  }

  /** A roll on the produce path: nothing here waits for a disk (the index and directory fsyncs run off the event loop). */
  private roll(reason: string): Segment {
    const old = this.active;
    old.onRolled().catch((e: unknown) => {
      this.logger?.warn({ topic: this.topic, partition: this.partition, err: (e as Error)?.message ?? String(e) }, 'syncing the indexes of a rolled segment failed; recovery will check them');
    });
    const next = Segment.create({
      dir: this.dir,
      baseOffset: old.nextOffset,
      pageCache: this.pageCache,
      indexBytesMax: this.config.indexBytesMax ?? INDEX_BYTES_MAX,
      dirSync: 'background',
    });
    this.segs.push(next);
    this.producers.takeSnapshot(next.baseOffset);
    this.logger?.info({ topic: this.topic, partition: this.partition, baseOffset: next.baseOffset, reason }, 'rolled segment');
    return next;
  }

  // ---------------------------------------------------------------- flush

  /**
   * Resolves when everything appended before the call is fdatasynced. Callers
   * that arrive while a flush runs share the next one (group commit, as
   * RocketMQ's GroupCommitService): at most one fsync in flight, one queued.
   */
  flush(): Promise<void> {
    const target = this.logEndOffset;
    if (target <= this.recoveryOffset || this.state !== 'open') return Promise.resolve();
    if (this.queued) return this.queued;
    if (this.inFlight) {
      if (this.inFlight.target >= target) return this.inFlight.promise;
      this.queued = this.inFlight.promise.then(noop, noop).then(() => {
        this.queued = null;
        return this.runFlush();
      });
      return this.queued;
    }
    return this.runFlush();
  }

  private runFlush(): Promise<void> {
    const target = this.logEndOffset;
    if (target <= this.recoveryOffset || this.state !== 'open') return Promise.resolve();
    const messages = this.appendedMessages;
    const dirty = this.segs.filter((s) => s.flushedBytes < s.sizeBytes);
    const flight = { target, promise: Promise.resolve() };
    flight.promise = (async () => {
      try {
        await Promise.all(dirty.map((s) => s.flush()));
        this.flushed(target, messages);
      } finally {
        if (this.inFlight === flight) this.inFlight = null;
      }
    })();
    this.inFlight = flight;
    return flight.promise;
  }

  /**
   * flushIntervalMessages: the append starts a flush and returns. Kafka's
   * flush.messages fsyncs inside the append; here that would hold the event
   * loop (and every other client) for the whole fdatasync, so the fsync runs
   * off the loop like every other flush, and acks=all is the way to wait for it.
   * A failure is logged; the data stays unflushed and the next flush retries.
   */
  private flushInBackground(why: string): void {
    this.flush().catch((e: unknown) => {
      this.logger?.warn({ topic: this.topic, partition: this.partition, why, err: (e as Error)?.message ?? String(e) }, 'background flush failed');
    });
  }

  /** Close only: a synchronous fdatasync of every segment with unflushed bytes. */
  private flushSync(): void {
    const target = this.logEndOffset;
    for (const s of this.segs) if (s.flushedBytes < s.sizeBytes) s.flushSync();
    this.flushed(target, this.appendedMessages);
  }

  private flushed(target: number, messages: number): void {
    this.recoveryOffset = Math.max(this.recoveryOffset, target);
    this.flushedMessages = Math.max(this.flushedMessages, messages);
    this.lastFlushMs = this.now();
  }

  /** flushIntervalMs (Kafka flush.ms): flushes when something is unflushed and the last flush is that long ago; the log manager's timer calls it. */
  flushIfDue(nowMs = this.now()): Promise<void> | null {
    if (this.state !== 'open' || this.logEndOffset <= this.recoveryOffset) return null;
    if (nowMs - this.lastFlushMs < this.config.flushIntervalMs) return null;
    return this.flush();
  }

  // ---------------------------------------------------------------- reads

  /**
   * The bytes to serve from `offset`: a slice of one segment starting at the
   * batch that holds it, the whole batches that fit in maxBytes (with
   * minOneBatch, default true, at least one whole batch; without it, possibly
   * empty). Null at the log end; OFFSET_OUT_OF_RANGE below the log start or
   * above the end. The caller must release() the slice.
   */
  read(offset: number, maxBytes: number, o: { minOneBatch?: boolean } = {}): LogSlice | null {
    this.checkOpen();
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new CopylessError('INVALID_FETCH_SIZE', `maxBytes must be a non-negative integer, got ${maxBytes}`, { field: 'maxBytes', topic: this.topic, partition: this.partition });
    }
    if (!Number.isSafeInteger(offset) || offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new CopylessError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is outside ${this.topic}-${this.partition}'s log [${this.logStartOffset}, ${this.logEndOffset}]`,
        { topic: this.topic, partition: this.partition, offset },
      );
    }
    if (offset === this.logEndOffset) return null;
    const minOneBatch = o.minOneBatch ?? true;
    for (let i = this.floorSegment(offset); i < this.segs.length; i++) {
      const segment = this.segs[i];
      const r = segment.read(offset, maxBytes, minOneBatch);
      if (r) return slice(segment, r);
    }
    return null;
  }

  /** Index of the last segment whose base offset is <= offset. */
  private floorSegment(offset: number): number {
    let lo = 0;
    let hi = this.segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segs[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The first record whose timestamp is >= ts (ListOffsets by time), or null when none is. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    this.checkOpen();
    if (!Number.isSafeInteger(ts)) throw new CopylessError('INVALID_REQUEST', `timestamp must be an integer, got ${ts}`, { field: 'timestamp' });
    const start = this.logStartOffset;
    for (const s of this.segs) {
      if (s.largestTimestamp < ts || s.nextOffset <= start) continue;
      const found = s.findByTimestamp(ts, start);
      if (found) return found;
    }
    return null;
  }

  segments(): SegmentInfo[] {
    return this.segs.map((s, i) => {
      const r = this.pageCache.fileResidency(s.fileId);
      return {
        baseOffset: s.baseOffset,
        path: s.logPath,
        sizeBytes: s.sizeBytes,
        fileId: s.fileId,
        largestTimestamp: s.largestTimestamp,
        residentPages: r.residentPages,
        dirtyPages: r.dirtyPages,
        active: i === this.segs.length - 1,
        indexEntries: s.indexEntries.offset,
        timeIndexEntries: s.indexEntries.time,
        writeBackBytes: s.writeBackBytes,
      };
    });
  }

  // ---------------------------------------------------------------- retention and lifecycle

  /**
   * Deletes the oldest closed segments while they are older than retentionMs
   * (by their newest record) or while the log without them stays at or above
   * retentionBytes; never the active segment. Returns the segments deleted.
   */
  applyRetention(nowMs = this.now()): number {
    if (this.state !== 'open') return 0;
    const { retentionMs, retentionBytes } = this.config;
    const closed = this.segs.length - 1;
    let count = 0;
    if (retentionMs >= 0) while (count < closed && nowMs - this.segs[count].largestTimestamp > retentionMs) count++;
    if (retentionBytes >= 0) {
      let excess = this.sizeBytes - retentionBytes;
      for (let i = 0; i < count; i++) excess -= this.segs[i].sizeBytes;
      while (count < closed && excess - this.segs[count].sizeBytes >= 0) excess -= this.segs[count++].sizeBytes;
    }
    this.producers.removeExpired(nowMs);
    while (count < closed && this.segs[count + 1].baseOffset <= this.startOffset) count++; // below a DeleteRecords start
    if (count === 0) return 0;
    const gone = this.segs.splice(0, count);
    for (const s of gone) s.retire('delete');
    this.recoveryOffset = Math.max(this.recoveryOffset, this.logStartOffset);
    this.producers.deleteSnapshotsBelow(this.logStartOffset);
    this.logger?.info({ topic: this.topic, partition: this.partition, segments: count, logStartOffset: this.logStartOffset }, 'retention deleted segments');
    return count;
  }

  /**
   * DeleteRecords (Kafka deleteRecordsOnLeader): the log start offset moves
   * up to `offset` (never down; -1 means the log end), reads below it become
   * OFFSET_OUT_OF_RANGE, and every closed segment wholly below it is deleted
   * now. The caller persists the new start (the log-start-offset checkpoint).
   * Returns the log start offset (Kafka's low watermark).
   */
  deleteRecordsBefore(offset: number): number {
    this.checkOpen();
    const target = offset === -1 ? this.logEndOffset : offset;
    if (!Number.isSafeInteger(target) || target < 0 || target > this.logEndOffset) {
      throw new CopylessError('OFFSET_OUT_OF_RANGE', `delete-records offset ${offset} is outside ${this.topic}-${this.partition}'s log [${this.logStartOffset}, ${this.logEndOffset}]`, {
        topic: this.topic,
        partition: this.partition,
        offset,
      });
    }
    if (target > this.startOffset) this.startOffset = target;
    this.applyRetention();
    return this.logStartOffset;
  }

  /** Writes back and fdatasyncs what is unflushed, writes the final index entries and closes the files. */
  close(): void {
    if (this.state !== 'open') return;
    this.flushSync();
    this.producers.takeSnapshot(this.logEndOffset, { durable: true });
    this.state = 'closed';
    for (const s of this.segs) s.retire('close');
  }

  /** Closes the log and removes its directory (topic deletion); cached pages are discarded. */
  delete(): void {
    if (this.state === 'deleted') return;
    this.state = 'deleted';
    for (const s of this.segs) s.retire('delete');
    io('delete', this.dir, () => fs.rmSync(this.dir, { recursive: true, force: true }));
  }
}

function slice(segment: Segment, r: { position: number; length: number; firstOffset: number }): LogSlice {
  segment.acquire();
  let released = false;
  return {
    fileId: segment.fileId,
    fd: segment.fd,
    path: segment.logPath,
    segmentBaseOffset: segment.baseOffset,
    position: r.position,
    length: r.length,
    firstOffset: r.firstOffset,
    release(): void {
      if (released) return;
      released = true;
      segment.release();
    },
  };
}
