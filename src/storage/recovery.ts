// Loading a partition directory and recovering it after a crash (Kafka
// LogLoader.java and LogSegment.recover).
//
// After an unclean shutdown (no clean-shutdown marker) every segment from the
// one holding the recovery point onward is re-scanned from its first byte:
// each batch must have a whole header, a size within BATCH_BYTES_MAX_CEILING
// that fits the file, magic 2, a matching CRC32C and offsets above the
// previous batch's. The scan stops at the first batch that fails, the .log is
// truncated there, its indexes are rebuilt from the scan, and if anything was
// cut every later segment is deleted (its offsets would no longer follow).
//
// After a clean shutdown the files are trusted, but never blindly: each index
// is checked on load (whole entries, in bounds, strictly increasing), the
// batch at its last entry must be the one it names, and the active segment is
// validated from its last index entry to the end of the file. A segment that
// fails any check is recovered as above.
//
// Recovery reads the files directly, not through the simulated page cache: it
// runs before the broker serves anyone, and the cache model describes serving.
// The same goes for the producer-state replay (`replayProducerBatches`), which
// reads only batch headers from the newest producer snapshot to the log end.
//
// Each segment but the last is closed as soon as the next one is loaded, so
// its index entries fall under the log's bound on loaded indexes
// (segment-indexes.ts) while loading goes on: opening a log of thousands of
// segments holds a few segments' entries at a time, not all of them.
//
// Asserted (our own invariants; what the files hold is checked, never
// asserted): segment base offsets strictly increase, every scan stays inside
// its file, and a recovered segment ends at or before its old size.

import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../errors.ts';
import { BATCH_BYTES_MAX_CEILING } from '../limits.ts';
import {
  BATCH_HEADER_BYTES,
  BATCH_TIMESTAMPS_BYTES,
  MAGIC_OFFSET,
  MAGIC_V2,
  batchBaseOffset,
  batchLastOffset,
  batchMaxTimestamp,
  batchTotalBytes,
  computeBatchCrc,
  CRC_OFFSET,
  BASE_SEQUENCE_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  batchIsControl,
} from '../record/record-batch.ts';
import { readInt64 } from '../record/int64.ts';
import { io, mkdirDurable, readFully, storageError } from './file-io.ts';
import type { PageCache } from './page-cache.ts';
import type { ProducerStateManager } from './producer-state.ts';
import type { LoadedIndexes } from './segment-indexes.ts';
import { INDEX_SUFFIX, LOG_SUFFIX, RELATIVE_OFFSET_MAX, Segment, TIME_INDEX_SUFFIX } from './segment.ts';

/** Read size of the recovery scan; a larger batch gets a buffer of its own size. */
const RECOVERY_READ_BYTES = 1024 * 1024;
/** Read size of the header-only producer replay: small, so batches larger than it cost one header read each. */
const REPLAY_READ_BYTES = 64 * 1024;
/** Suffixes of files Kafka leaves mid-delete or mid-compaction; copyless never needs them. */
const TRANSIENT_SUFFIXES = ['.deleted', '.cleaned', '.swap'];
const SEGMENT_NAME = /^(\d{20})\.(log|index|timeindex)$/;

export interface RecoveryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LoadOptions {
  dir: string;
  pageCache: PageCache;
  indexIntervalBytes: number;
  indexBytesMax: number;
  /** The log's bound on closed segments holding index entries in memory. */
  loadedIndexes: LoadedIndexes;
  recoveryPoint: number;
  cleanShutdown: boolean;
  nowMs: number;
  logger?: RecoveryLogger;
}

/** Reads file ranges in chunks of up to `readBytes` (RECOVERY_READ_BYTES) through one reusable buffer. */
class ChunkReader {
  private buf = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fd: number,
    private readonly fileSize: number,
    private readonly readBytes = RECOVERY_READ_BYTES,
  ) {}

  /** A view of [position, position + length); the caller checked it lies inside the file. */
  bytes(position: number, length: number): Buffer {
    assert(position >= 0 && length >= 0 && position + length <= this.fileSize, 'a scan stays inside its file');
    if (position < this.start || position + length > this.end) {
      const want = Math.max(length, Math.min(this.readBytes, this.fileSize - position));
      if (want > this.buf.length) this.buf = Buffer.allocUnsafe(want);
      const n = readFully(this.fd, this.buf, 0, want, position);
      this.start = position;
      this.end = position + n;
      if (n < length) throw new Error(`short read of ${n}/${length} bytes at ${position}`);
    }
    return this.buf.subarray(position - this.start, position - this.start + length);
  }
}

type BatchCheck = { totalBytes: number; lastOffset: number; maxTimestamp: number } | { problem: string };

/** Everything Kafka's recovery checks of one stored batch (ensureValid plus the offset checks). */
function checkBatch(reader: ChunkReader, position: number, fileSize: number, minBaseOffset: number, segmentBase: number): BatchCheck {
  if (position + BATCH_HEADER_BYTES > fileSize) return { problem: `torn header: ${fileSize - position} bytes left` };
  const h = reader.bytes(position, BATCH_TIMESTAMPS_BYTES);
  const totalBytes = batchTotalBytes(h, 0);
  if (totalBytes < BATCH_HEADER_BYTES || totalBytes > BATCH_BYTES_MAX_CEILING) return { problem: `batch size ${totalBytes} is impossible` };
  if (position + totalBytes > fileSize) return { problem: `torn batch: ${totalBytes} bytes claimed, ${fileSize - position} left` };
  const baseOffset = batchBaseOffset(h, 0);
  const lastOffset = batchLastOffset(h, 0);
  const maxTimestamp = batchMaxTimestamp(h, 0);
  const batch = reader.bytes(position, totalBytes);
  if (batch[MAGIC_OFFSET] !== MAGIC_V2) return { problem: `magic ${batch[MAGIC_OFFSET]}` };
  if (computeBatchCrc(batch, 0, totalBytes) !== batch.readUInt32BE(CRC_OFFSET)) return { problem: 'CRC mismatch' };
  if (baseOffset < minBaseOffset || lastOffset < baseOffset) return { problem: `offsets ${baseOffset}..${lastOffset} do not follow ${minBaseOffset - 1}` };
  if (lastOffset - segmentBase > RELATIVE_OFFSET_MAX) return { problem: `offset ${lastOffset} overflows the segment's relative offsets` };
  return { totalBytes, lastOffset, maxTimestamp };
}

/**
 * Kafka LogSegment.recover: rebuilds the indexes of `segment` from its .log,
 * stops at the first invalid batch and truncates the file there. Returns the
 * bytes cut.
 */
export function recoverSegment(segment: Segment, o: { indexIntervalBytes: number; logger?: RecoveryLogger }): number {
  segment.resetIndexes();
  const fileSize = segment.sizeBytes;
  const reader = new ChunkReader(segment.fd, fileSize);
  let position = 0;
  let problem: string | null = null;
  while (position < fileSize) {
    const c = io('recover', segment.logPath, () => checkBatch(reader, position, fileSize, segment.nextOffset, segment.baseOffset));
    if ('problem' in c) {
      problem = c.problem;
      break;
    }
    segment.indexBatch(position, c.lastOffset, c.maxTimestamp, c.totalBytes, o.indexIntervalBytes);
    position += c.totalBytes;
  }
  assert(position <= fileSize, `${segment.logPath}: recovery scanned past the end (${position} of ${fileSize})`);
  const truncated = fileSize - position;
  if (truncated > 0) {
    o.logger?.warn({ segment: segment.logPath, position, truncatedBytes: truncated, problem }, 'truncating a torn or corrupt segment tail');
    segment.truncateBytes(position);
  }
  segment.syncRecovered();
  return truncated;
}

/**
 * Checks a trusted segment without a full scan: the batch at the last index
 * entry must be the one the entry names, and with `toEnd` every batch from
 * there to the end of the file must be valid (the active segment's tail).
 * Returns why it cannot be trusted, or null.
 */
function checkTrusted(segment: Segment, toEnd: boolean): string | null {
  const entry = segment.lastIndexEntry();
  const fileSize = segment.sizeBytes;
  const reader = new ChunkReader(segment.fd, fileSize);
  let position = entry.position;
  let minBase = entry.position === 0 ? segment.baseOffset : 0;
  while (position < fileSize) {
    const c = io('check', segment.logPath, () => checkBatch(reader, position, fileSize, minBase, segment.baseOffset));
    if ('problem' in c) return `batch at ${position}: ${c.problem}`;
    if (position === entry.position && entry.position > 0 && c.lastOffset !== entry.offset) {
      return `last index entry names offset ${entry.offset} but its batch ends at ${c.lastOffset}`;
    }
    // Infinity: these batches are already indexed; only nextOffset and the timestamp summary advance.
    segment.indexBatch(position, c.lastOffset, c.maxTimestamp, c.totalBytes, Infinity);
    minBase = c.lastOffset + 1;
    position += c.totalBytes;
    if (!toEnd) return null;
  }
  assert(position === fileSize, `${segment.logPath}: trusted scan ended at ${position} of ${fileSize}`);
  segment.resumeIndexing(fileSize - entry.position);
  return null;
}

/** Removes leftovers: transient files and indexes whose .log is gone. Returns the segment base offsets found. */
function listSegments(dir: string, logger?: RecoveryLogger): number[] {
  const names = io('list', dir, () => fs.readdirSync(dir));
  const logs = new Set(names.filter((n) => SEGMENT_NAME.test(n) && n.endsWith(LOG_SUFFIX)).map((n) => n.slice(0, 20)));
  for (const name of names) {
    const m = SEGMENT_NAME.exec(name);
    const orphanIndex = m !== null && (name.endsWith(INDEX_SUFFIX) || name.endsWith(TIME_INDEX_SUFFIX)) && !logs.has(m[1]);
    if (orphanIndex || TRANSIENT_SUFFIXES.some((s) => name.endsWith(s))) {
      logger?.warn({ file: path.join(dir, name) }, 'removing a leftover file');
      io('delete', name, () => fs.rmSync(path.join(dir, name), { force: true }));
    }
  }
  const bases = [...logs].map(Number).sort((a, b) => a - b);
  const unsafe = bases.find((b) => !Number.isSafeInteger(b));
  if (unsafe !== undefined) {
    // 20 digits reach past 2^53: such a name is not one copyless wrote (offsets are JS numbers), and two of them could collide.
    throw storageError('list', dir, new Error(`a segment file is named with base offset ${unsafe}, past ${Number.MAX_SAFE_INTEGER}`));
  }
  return bases;
}

/** When a reopened active segment's segmentMs clock starts: its first batch's time if sane, else now. */
function rollStart(segment: Segment, nowMs: number): number | null {
  if (segment.isEmpty) return null;
  const reader = new ChunkReader(segment.fd, segment.sizeBytes);
  const first = batchMaxTimestamp(reader.bytes(0, BATCH_TIMESTAMPS_BYTES), 0);
  return first >= 0 && first <= nowMs ? first : nowMs;
}

/**
 * Opens every segment of a partition directory, recovering what needs it (see
 * the file comment). Returns the segments in offset order, the last one
 * active, with everything on disk fdatasynced up to the returned recovery point.
 */
export function loadSegments(o: LoadOptions): { segments: Segment[]; recoveryPoint: number } {
  mkdirDurable(o.dir); // a new partition's directory entry is fsynced in the data dir
  const bases = listSegments(o.dir, o.logger);
  const segOptions = { dir: o.dir, pageCache: o.pageCache, indexBytesMax: o.indexBytesMax, loadedIndexes: o.loadedIndexes };
  if (bases.length === 0) return { segments: [Segment.create({ ...segOptions, baseOffset: 0 })], recoveryPoint: 0 };
  const recoverFrom = o.cleanShutdown ? Infinity : bases.filter((b) => b <= o.recoveryPoint).pop() ?? bases[0];
  const segments: Segment[] = [];
  let previousRecovered = false;
  for (let i = 0; i < bases.length; i++) {
    const { segment, problems } = Segment.load({ ...segOptions, baseOffset: bases[i] });
    if (i > 0) closeLoaded(segments[i - 1], segment.baseOffset, previousRecovered);
    segments.push(segment);
    const isLast = i === bases.length - 1;
    let why: string | null = problems.join('; ') || null;
    if (why === null) why = segment.baseOffset >= recoverFrom ? 'unclean shutdown' : checkTrusted(segment, isLast);
    let truncated = 0;
    previousRecovered = why !== null;
    if (why !== null) {
      o.logger?.warn({ segment: segment.logPath, why }, 'recovering segment');
      truncated = recoverSegment(segment, { indexIntervalBytes: o.indexIntervalBytes, logger: o.logger });
    }
    if (truncated > 0 && !isLast) {
      dropLater(o, bases.slice(i + 1));
      break;
    }
  }
  const active = segments[segments.length - 1];
  active.rollStartMs = rollStart(active, o.nowMs);
  assert(active.nextOffset >= active.baseOffset, `${active.logPath}: next offset ${active.nextOffset} below the base offset`);
  return { segments, recoveryPoint: active.nextOffset };
}

function dropLater(o: LoadOptions, bases: number[]): void {
  for (const base of bases) {
    const { segment } = Segment.load({ dir: o.dir, pageCache: o.pageCache, indexBytesMax: o.indexBytesMax, loadedIndexes: o.loadedIndexes, baseOffset: base });
    o.logger?.warn({ segment: segment.logPath }, 'deleting a segment after a truncated one');
    segment.retire('delete');
  }
}

/**
 * A loaded segment followed by another stops taking appends: it learns where
 * the next one starts and is closed (its final time entry written, its index
 * files fdatasynced if recovery rewrote them), which puts its index entries
 * under the log's bound.
 */
function closeLoaded(segment: Segment, nextBaseOffset: number, recovered: boolean): void {
  assert(nextBaseOffset > segment.baseOffset, `segment ${nextBaseOffset} does not follow segment ${segment.baseOffset}`);
  segment.nextOffset = Math.max(segment.nextOffset, nextBaseOffset);
  segment.onBecomeInactive({ durable: recovered });
}

/**
 * The producer table as of the log end (Kafka's loadProducerState): the
 * newest valid snapshot, then the headers of every batch after it.
 */
export function restoreProducerState(
  producers: ProducerStateManager,
  segments: readonly Segment[],
  o: { topic: string; partition: number; logStartOffset: number; logEndOffset: number; logger?: RecoveryLogger },
): void {
  const from = producers.loadSnapshot({ logStartOffset: o.logStartOffset, logEndOffset: o.logEndOffset, warn: (obj, msg) => o.logger?.warn(obj, msg) });
  let replayed = 0;
  replayProducerBatches(
    segments,
    from,
    (b) => {
      producers.update(b, { firstOffset: b.baseOffset, lastOffset: b.lastOffset, timestamp: b.maxTimestamp });
      replayed++;
    },
    o.logger,
  );
  if (producers.size > 0 || replayed > 0) {
    o.logger?.info({ topic: o.topic, partition: o.partition, producers: producers.size, snapshotOffset: from, replayedBatches: replayed }, 'producer state loaded');
  }
}

/** The producer fields of a stored batch, as the producer-state replay sees them. */
export interface ReplayedBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/**
 * Hands every idempotent batch (producerId >= 0, not a control batch) whose
 * last offset is at or after `fromOffset` to `visit`, in offset order,
 * reading only headers straight from the segment files (Kafka's
 * loadProducersFromRecords). The segments were loaded already, but a
 * trusted segment's middle was not re-checked, so a header whose size cannot
 * be right ends that segment's replay with a warning instead of looping.
 */
export function replayProducerBatches(segments: readonly Segment[], fromOffset: number, visit: (b: ReplayedBatch) => void, logger?: RecoveryLogger): void {
  for (const segment of segments) {
    if (segment.nextOffset <= fromOffset || segment.isEmpty) continue;
    const reader = new ChunkReader(segment.fd, segment.sizeBytes, REPLAY_READ_BYTES);
    for (let position = 0; position + BATCH_HEADER_BYTES <= segment.sizeBytes; ) {
      const h = io('replay', segment.logPath, () => reader.bytes(position, BATCH_HEADER_BYTES));
      const totalBytes = batchTotalBytes(h, 0);
      if (totalBytes < BATCH_HEADER_BYTES || position + totalBytes > segment.sizeBytes) {
        logger?.warn({ segment: segment.logPath, position, totalBytes }, 'producer-state replay stopped at a batch whose size cannot be right');
        break;
      }
      position += totalBytes;
      const lastOffset = batchLastOffset(h, 0);
      const producerId = readInt64(h, PRODUCER_ID_OFFSET);
      if (lastOffset < fromOffset || producerId < 0 || batchIsControl(h, 0)) continue;
      visit({
        producerId,
        producerEpoch: h.readInt16BE(PRODUCER_EPOCH_OFFSET),
        baseSequence: h.readInt32BE(BASE_SEQUENCE_OFFSET),
        lastOffsetDelta: h.readInt32BE(LAST_OFFSET_DELTA_OFFSET),
        baseOffset: batchBaseOffset(h, 0),
        lastOffset,
        maxTimestamp: batchMaxTimestamp(h, 0),
      });
    }
  }
}
