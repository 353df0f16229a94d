// The idempotent producers of one partition (Kafka ProducerStateManager and
// ProducerStateEntry): for each producer id, its epoch and the last
// PRODUCER_BATCHES_RETAINED batches it appended (first/last sequence and
// offset). A new batch is checked against them before it is appended:
//
//   same epoch, same sequence range as a retained batch   duplicate: nothing is appended,
//                                                          the original offsets are answered
//   same epoch, firstSeq == lastSeq + 1 (wrapping)         in sequence: appended
//   same epoch, anything else                              OUT_OF_ORDER_SEQUENCE_NUMBER
//   newer epoch, firstSeq 0 (or a producer never seen)     appended, the epoch's batches start over
//   newer epoch, firstSeq != 0                             OUT_OF_ORDER_SEQUENCE_NUMBER
//   older epoch                                            INVALID_PRODUCER_EPOCH
//
// A producer id not in the table (new, or expired) may start at any
// sequence, as in Kafka since KIP-360. The table is rebuilt on open from the
// newest valid snapshot at or below the log end offset plus a replay of the
// batch headers after it (recovery.ts replayProducerBatches); snapshots are
// taken when a segment rolls and on close, as Kafka does.
//
// Snapshot file `<offset, 20 digits>.snapshot` in the partition directory:
// the state of every batch below `offset`. Layout (big-endian):
//
//   offset size field
//        0    2 version              SNAPSHOT_VERSION
//        2    4 crc                  CRC-32C of bytes [6, end): a torn or damaged file is ignored
//        6    4 producerCount
//       10      producers[]          producerId int64 | producerEpoch int16 | lastTimestamp int64
//                                    | batchCount int8 | batches[]: firstSeq int32 | lastSeq int32
//                                    | firstOffset int64 | lastOffset int64
//
// Kafka's snapshot keeps only each producer's last batch; this one keeps all
// retained batches, so a retry of any of the last five is still recognised as
// a duplicate after a restart.

import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { CopylessError } from '../errors.ts';
import { PRODUCER_ID_EXPIRATION_MS } from '../limits.ts';
import { readInt64, writeInt64 } from '../record/int64.ts';
import { fsyncDir, io, writeFully } from './file-io.ts';

/** Kafka's NUM_BATCHES_TO_RETAIN: a producer has at most 5 requests in flight per partition, so 5 batches cover every retry. */
export const PRODUCER_BATCHES_RETAINED = 5;
/** Snapshots kept: the newest, and one before it in case the newest was torn by a crash. */
export const PRODUCER_SNAPSHOTS_KEPT = 2;
export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;
const OFFSET_DIGITS = 20;
const INT32_MAX = 0x7fffffff;
const HEADER_BYTES = 10;
const PRODUCER_BYTES = 8 + 2 + 8 + 1;
const BATCH_BYTES = 4 + 4 + 8 + 8;
/** Kafka's RecordBatch.NO_PRODUCER_EPOCH. */
const NO_EPOCH = -1;

export interface ProducerBatch {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_RETAINED. */
  batches: ProducerBatch[];
  /** When the producer last appended (ms); replayed batches use their maxTimestamp, as Kafka does. */
  lastTimestamp: number;
}

/** What an idempotent batch's header says about its producer. */
export interface ProducerBatchHeader {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
}

/** Kafka DefaultRecordBatch.incrementSequence: sequences wrap from INT32_MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export function snapshotFileName(offset: number): string {
  return String(offset).padStart(OFFSET_DIGITS, '0') + SNAPSHOT_SUFFIX;
}

export class ProducerStateManager {
  readonly dir: string;
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly where: string;

  constructor(o: { dir: string; topic: string; partition: number }) {
    this.dir = o.dir;
    this.where = `${o.topic}-${o.partition}`;
  }

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** The largest producer id this partition has seen, or -1. */
  maxProducerId(): number {
    let max = -1;
    for (const id of this.producers.keys()) if (id > max) max = id;
    return max;
  }

  // ---------------------------------------------------------------- checks

  /**
   * Checks an idempotent batch before it is appended: null when it may be
   * appended, the retained batch it duplicates (with the original offsets),
   * or a throw (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH).
   */
  check(h: ProducerBatchHeader): ProducerBatch | null {
    const entry = this.producers.get(h.producerId);
    if (entry === undefined) return null;
    const details = { topic: this.where, producerId: h.producerId, field: 'baseSequence' };
    if (h.producerEpoch < entry.producerEpoch) {
      throw new CopylessError('INVALID_PRODUCER_EPOCH', `producer ${h.producerId} sent epoch ${h.producerEpoch} to ${this.where}, whose current epoch is ${entry.producerEpoch}`, {
        ...details,
        field: 'producerEpoch',
      });
    }
    const lastSeq = incrementSequence(h.baseSequence, h.lastOffsetDelta);
    if (h.producerEpoch > entry.producerEpoch) {
      if (h.baseSequence !== 0 && entry.producerEpoch !== NO_EPOCH) {
        throw new CopylessError('OUT_OF_ORDER_SEQUENCE_NUMBER', `producer ${h.producerId} started epoch ${h.producerEpoch} at sequence ${h.baseSequence} on ${this.where}; a new epoch starts at 0`, details);
      }
      return null;
    }
    const duplicate = entry.batches.find((b) => b.firstSeq === h.baseSequence && b.lastSeq === lastSeq);
    if (duplicate) return duplicate;
    const last = entry.batches[entry.batches.length - 1];
    if (last !== undefined && !inSequence(last.lastSeq, h.baseSequence)) {
      throw new CopylessError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${h.producerId} epoch ${h.producerEpoch} sent sequence ${h.baseSequence} to ${this.where}; expected ${incrementSequence(last.lastSeq, 1)}`,
        details,
      );
    }
    return null;
  }

  /** Records a batch appended at [firstOffset, lastOffset] (or replayed from the log: no checks). */
  update(h: ProducerBatchHeader, o: { firstOffset: number; lastOffset: number; timestamp: number }): void {
    let entry = this.producers.get(h.producerId);
    if (entry === undefined || h.producerEpoch > entry.producerEpoch) {
      entry = { producerId: h.producerId, producerEpoch: h.producerEpoch, batches: [], lastTimestamp: o.timestamp };
      this.producers.set(h.producerId, entry);
    }
    entry.batches.push({ firstSeq: h.baseSequence, lastSeq: incrementSequence(h.baseSequence, h.lastOffsetDelta), firstOffset: o.firstOffset, lastOffset: o.lastOffset });
    if (entry.batches.length > PRODUCER_BATCHES_RETAINED) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, o.timestamp);
  }

  /** Drops producers whose last batch is older than PRODUCER_ID_EXPIRATION_MS (Kafka producer.id.expiration.ms). Returns how many. */
  removeExpired(nowMs: number, expirationMs = PRODUCER_ID_EXPIRATION_MS): number {
    let removed = 0;
    for (const [id, e] of this.producers) {
      if (nowMs - e.lastTimestamp >= expirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  // ---------------------------------------------------------------- snapshots

  /** Offsets of the snapshot files in the directory, ascending. */
  snapshotOffsets(): number[] {
    const names = io('list', this.dir, () => fs.readdirSync(this.dir));
    return names.flatMap((n) => {
      const m = SNAPSHOT_NAME.exec(n);
      return m ? [Number(m[1])] : [];
    }).sort((a, b) => a - b);
  }

  /**
   * Writes the state of every batch below `offset` (the log end offset when
   * called) to `<offset>.snapshot`: temp file, rename. With `durable` (close)
   * the file and the directory are fsynced; otherwise (a roll) a crash may
   * tear it, which its CRC reveals on load. Keeps the newest
   * PRODUCER_SNAPSHOTS_KEPT snapshots.
   */
  takeSnapshot(offset: number, o: { durable?: boolean } = {}): void {
    const file = path.join(this.dir, snapshotFileName(offset));
    const tmp = `${file}.tmp`;
    const bytes = this.encode();
    io('write', file, () => {
      const fd = fs.openSync(tmp, 'w');
      try {
        writeFully(fd, bytes, 0);
        if (o.durable) fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    });
    if (o.durable) fsyncDir(this.dir);
    const offsets = this.snapshotOffsets();
    for (const old of offsets.slice(0, Math.max(0, offsets.length - PRODUCER_SNAPSHOTS_KEPT))) this.deleteSnapshot(old);
  }

  /**
   * Loads the newest valid snapshot at or below `logEndOffset`, deleting any
   * above it (they describe batches a recovery truncated away) and any that
   * is damaged, and a temp file a crash left. Returns the offset replay must
   * start from: the snapshot's, or `logStartOffset` when there is none.
   */
  loadSnapshot(o: { logStartOffset: number; logEndOffset: number; warn?: (obj: object, msg: string) => void }): number {
    this.producers.clear();
    for (const name of io('list', this.dir, () => fs.readdirSync(this.dir))) {
      if (name.endsWith(`${SNAPSHOT_SUFFIX}.tmp`)) io('delete', name, () => fs.rmSync(path.join(this.dir, name), { force: true })); // a write a crash cut short
    }
    const offsets = this.snapshotOffsets();
    for (const offset of offsets.filter((x) => x > o.logEndOffset)) this.deleteSnapshot(offset);
    for (const offset of offsets.filter((x) => x <= o.logEndOffset).reverse()) {
      const file = path.join(this.dir, snapshotFileName(offset));
      const problem = this.decode(io('read', file, () => fs.readFileSync(file)));
      if (problem === null) return Math.max(offset, o.logStartOffset);
      o.warn?.({ file, problem }, 'ignoring a damaged producer-state snapshot');
      this.producers.clear();
      this.deleteSnapshot(offset);
    }
    return o.logStartOffset;
  }

  /** Snapshots below the log start offset describe deleted segments (Kafka deleteSnapshotsBefore). */
  deleteSnapshotsBelow(offset: number): void {
    for (const old of this.snapshotOffsets()) if (old < offset) this.deleteSnapshot(old);
  }

  private deleteSnapshot(offset: number): void {
    const file = path.join(this.dir, snapshotFileName(offset));
    io('delete', file, () => fs.rmSync(file, { force: true }));
  }

  private encode(): Buffer {
    let bytes = HEADER_BYTES;
    for (const e of this.producers.values()) bytes += PRODUCER_BYTES + e.batches.length * BATCH_BYTES;
    const out = Buffer.alloc(bytes);
    out.writeInt16BE(SNAPSHOT_VERSION, 0);
    out.writeInt32BE(this.producers.size, 6);
    let at = HEADER_BYTES;
    for (const e of this.producers.values()) {
      writeInt64(out, at, e.producerId);
      out.writeInt16BE(e.producerEpoch, at + 8);
      writeInt64(out, at + 10, e.lastTimestamp);
      out.writeInt8(e.batches.length, at + 18);
      at += PRODUCER_BYTES;
      for (const b of e.batches) {
        out.writeInt32BE(b.firstSeq, at);
        out.writeInt32BE(b.lastSeq, at + 4);
        writeInt64(out, at + 8, b.firstOffset);
        writeInt64(out, at + 16, b.lastOffset);
        at += BATCH_BYTES;
      }
    }
    out.writeUInt32BE(crc32c(out.subarray(6)) >>> 0, 2);
    return out;
  }

  /** Fills the table from a snapshot's bytes; returns why they cannot be trusted, or null. */
  private decode(buf: Buffer): string | null {
    if (buf.length < HEADER_BYTES) return `${buf.length} bytes, shorter than the header`;
    if (buf.readInt16BE(0) !== SNAPSHOT_VERSION) return `version ${buf.readInt16BE(0)}`;
    if ((crc32c(buf.subarray(6)) >>> 0) !== buf.readUInt32BE(2)) return 'CRC mismatch';
    const count = buf.readInt32BE(6);
    let at = HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      if (buf.length - at < PRODUCER_BYTES) return 'cut short';
      const producerId = readInt64(buf, at);
      const batchCount = buf.readInt8(at + 18);
      const entry: ProducerEntry = { producerId, producerEpoch: buf.readInt16BE(at + 8), lastTimestamp: readInt64(buf, at + 10), batches: [] };
      at += PRODUCER_BYTES;
      if (batchCount < 0 || batchCount > PRODUCER_BATCHES_RETAINED || buf.length - at < batchCount * BATCH_BYTES) return `producer ${producerId} has ${batchCount} batches`;
      for (let j = 0; j < batchCount; j++, at += BATCH_BYTES) {
        entry.batches.push({ firstSeq: buf.readInt32BE(at), lastSeq: buf.readInt32BE(at + 4), firstOffset: readInt64(buf, at + 8), lastOffset: readInt64(buf, at + 16) });
      }
      this.producers.set(producerId, entry);
    }
    return at === buf.length ? null : `${buf.length - at} bytes after the last producer`;
  }
}
