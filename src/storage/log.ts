// One topic-partition's log: a thin coordinator over its ordered segments
// (Kafka LocalLog / LogSegments, minus UnifiedLog's 2,000 lines). It assigns
// offsets, rolls segments, finds the segment for a read, flushes with group
// commit and applies retention; segment.ts owns the bytes and the indexes,
// recovery.ts the loading.
//
// Offsets: the log end offset (LEO) is the next offset to assign; the log start
// offset is the first segment's base offset (retention deletes whole
// segments); the recovery point is the offset below which everything is
// fdatasynced, and where recovery scans from after a crash.

import fs from 'node:fs';
import { CopylessError, limitError } from '../errors.ts';
import { INDEX_BYTES_MAX } from '../limits.ts';
import { setBaseOffset, setPartitionLeaderEpoch, validateBatch } from '../record/record-batch.ts';
import { io } from './file-io.ts';
import { type LogConfig, validateLogConfig } from './log-config.ts';
import type { PageCache } from './page-cache.ts';
import { loadSegments, type RecoveryLogger } from './recovery.ts';
import { type AppendedBatch, RELATIVE_OFFSET_MAX, Segment } from './segment.ts';

export { type LogConfig, LOG_CONFIG_DEFAULTS, validateLogConfig } from './log-config.ts';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  records: number;
  bytes: number;
  maxTimestamp: number;
  logStartOffset: number;
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
  cleanShutdown: boolean;
  now?: () => number;
  logger?: RecoveryLogger;
}

/** A batch of a produce payload, validated, with the offsets it will get. */
type PendingBatch = AppendedBatch & { lastOffsetDelta: number };

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
  private recoveryOffset: number;
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
    o.logger?.info({ topic: o.topic, partition: o.partition, segments: segments.length, logEndOffset: log.logEndOffset }, 'partition log opened');
    return log;
  }

  get logStartOffset(): number {
    return this.segs[0].baseOffset;
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
    const records = next - baseOffset;
    this.appendedMessages += records;
    if (this.appendedMessages - this.flushedMessages >= this.config.flushIntervalMessages) this.flushSync();
    return { baseOffset, lastOffset: next - 1, records, bytes: payload.length, maxTimestamp, logStartOffset: this.logStartOffset };
  }

  /** Validates every batch of the payload (validateBatch) and that they fill it exactly. */
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
      batches.push({ at, totalBytes: h.totalBytes, lastOffsetDelta: h.lastOffsetDelta, lastOffset: 0, maxTimestamp: h.maxTimestamp });
      at += h.totalBytes;
    }
    return batches;
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

  private roll(reason: string): Segment {
    const old = this.active;
    old.onBecomeInactive();
    const next = Segment.create({
      dir: this.dir,
      baseOffset: old.nextOffset,
      pageCache: this.pageCache,
      indexBytesMax: this.config.indexBytesMax ?? INDEX_BYTES_MAX,
    });
    this.segs.push(next);
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

  /** flushIntervalMessages: a synchronous fsync on the append path, as Kafka's flush.messages does. */
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
   * batch that holds it, bounded by maxBytes (with minOneBatch, default true,
   * at least one whole batch). Null at the log end; OFFSET_OUT_OF_RANGE below
   * the log start or above the end. The caller must release() the slice.
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
    for (const s of this.segs) {
      if (s.largestTimestamp < ts) continue;
      const found = s.findByTimestamp(ts);
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
    if (count === 0) return 0;
    const gone = this.segs.splice(0, count);
    for (const s of gone) s.retire('delete');
    this.recoveryOffset = Math.max(this.recoveryOffset, this.logStartOffset);
    this.logger?.info({ topic: this.topic, partition: this.partition, segments: count, logStartOffset: this.logStartOffset }, 'retention deleted segments');
    return count;
  }

  /** Writes back and fdatasyncs what is unflushed, writes the final index entries and closes the files. */
  close(): void {
    if (this.state !== 'open') return;
    this.flushSync();
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
