// The logs of one data directory (Kafka LogManager): it opens every partition
// directory at start (recovering each if the last shutdown was unclean), keeps
// the recovery-point checkpoint, writes the clean-shutdown marker on a clean
// close, and runs the timers for flush.ms, retention and checkpoints.
//
// Data dir layout:
//   <data>/<topic>-<partition>/00000000000000000000.{log,index,timeindex}
//   <data>/recovery-point-offset-checkpoint   Kafka's text format: "0", the entry count, then "topic partition offset" lines
//   <data>/log-start-offset-checkpoint        the same format: each log's start offset, which DeleteRecords moves
//   <data>/<topic>-<partition>/*.snapshot      idempotent producer state (producer-state.ts)
//   <data>/.copyless_cleanshutdown            present only between a clean close and the next open
//   <data>/meta/                              the broker's lmdb (not ours; skipped)
//   <data>/<topic>-<partition>.<tag>-delete/  a deleted partition, removed in the background
// Deleting a partition is Kafka's three steps: rename its directory to the
// `-delete` name (markDeleted, the step that commits the delete), let the
// owner change its metadata, then remove the directory in the background
// (purgeDeleted). open() reports the `-delete` directories it finds, so the
// owner can finish a delete a crash cut short, and purges them.
//
// Asserted (our own invariants; a checkpoint or directory we read is checked,
// never asserted): one PartitionLog per partition directory, and checkpoints
// written only with `<topic>-<partition>` keys and non-negative offsets.

import fs from 'node:fs';
import path from 'node:path';
import { CopylessError, assert } from '../errors.ts';
import { PARTITIONS_MAX } from '../limits.ts';
import { validateTopicName } from '../topic-name.ts';
import { fdatasyncAsync, fsyncDir, fsyncDirAsync, io, mkdirDurable, storageError, writeFully } from './file-io.ts';
import { type LogConfig, validateLogConfig } from './log-config.ts';
import { PartitionLog } from './log.ts';
import type { PageCache } from './page-cache.ts';
import type { RecoveryLogger } from './recovery.ts';

export const CLEAN_SHUTDOWN_FILE = '.copyless_cleanshutdown';
export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_FILE = 'log-start-offset-checkpoint';
const CHECKPOINT_VERSION = 0;
const DELETED_DIR_SUFFIX = '-delete';
const PARTITION_DIR = /^(.+)-(\d+)$/;
/** `<topic>-<partition>.<tag>-delete`: the tag (a topic id, or a time) has no '.', so the last '.' ends the partition. */
const DELETED_DIR = /^(.+)-(\d+)\.([^.]+)-delete$/;

/** A partition directory renamed for deletion and not yet removed. */
export interface PendingDelete {
  topic: string;
  partition: number;
  /** What markDeleted was given: the broker passes the topic's id. */
  tag: string;
}

export interface OpenResult {
  /** The marker was there: the last close was clean. */
  cleanShutdown: boolean;
  /** Nothing of ours was in the data dir (no marker, checkpoint, partition or deleted directory): a first start. */
  fresh: boolean;
  pendingDeletes: PendingDelete[];
}

/** How often retention runs (Kafka log.retention.check.interval.ms). */
export const RETENTION_CHECK_INTERVAL_MS_DEFAULT = 300_000;
/** How often the recovery points are checkpointed (Kafka log.flush.offset.checkpoint.interval.ms). */
export const CHECKPOINT_INTERVAL_MS = 60_000;
/**
 * How often logs are checked against their flushIntervalMs (Kafka
 * log.flush.scheduler.interval.ms): flush.ms is honoured to within this. A
 * check is a subtraction per log, so it can run often.
 */
export const FLUSH_CHECK_INTERVAL_MS = 100;

export interface LogManagerOptions {
  dataDir: string;
  pageCache: PageCache;
  defaults: LogConfig;
  retentionCheckIntervalMs?: number;
  now?: () => number;
  logger?: RecoveryLogger;
}

function key(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export class LogManager {
  readonly dataDir: string;
  private readonly pageCache: PageCache;
  private readonly defaults: LogConfig;
  private readonly retentionCheckIntervalMs: number;
  private readonly now: () => number;
  private readonly logger?: RecoveryLogger;
  private readonly logs = new Map<string, PartitionLog>();
  private recoveryPoints = new Map<string, number>();
  private logStartOffsets = new Map<string, number>();
  private cleanShutdown: boolean | null = null;
  private opened: OpenResult | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** `-delete` directories to remove, and the removals running. */
  private readonly doomed = new Set<string>();
  private readonly purging = new Map<string, Promise<void>>();
  /** The timer's checkpoint, written off the event loop; close waits for it before writing its own. */
  private checkpointing: Promise<void> | null = null;

  constructor(o: LogManagerOptions) {
    this.dataDir = o.dataDir;
    this.pageCache = o.pageCache;
    this.defaults = validateLogConfig(o.defaults);
    this.retentionCheckIntervalMs = o.retentionCheckIntervalMs ?? RETENTION_CHECK_INTERVAL_MS_DEFAULT;
    this.now = o.now ?? Date.now;
    this.logger = o.logger;
  }

  /**
   * Reads the clean-shutdown marker and the recovery points, removes the
   * marker (so a crash from now on is unclean), and opens every partition
   * directory with the default config, recovering as needed. Opening them all
   * now, as Kafka does, means a partition not used in this run is never later
   * mistaken for a cleanly closed one. `-delete` directories are reported and
   * left for purgeDeleted().
   */
  open(): OpenResult {
    if (this.opened !== null) return this.opened;
    mkdirDurable(this.dataDir);
    const marker = path.join(this.dataDir, CLEAN_SHUTDOWN_FILE);
    const checkpointFile = path.join(this.dataDir, RECOVERY_POINT_FILE);
    const cleanShutdown = fs.existsSync(marker);
    let fresh = !cleanShutdown && !fs.existsSync(checkpointFile);
    this.cleanShutdown = cleanShutdown;
    this.recoveryPoints = readCheckpoint(checkpointFile, this.logger);
    this.logStartOffsets = readCheckpoint(path.join(this.dataDir, LOG_START_OFFSET_FILE), this.logger);
    if (cleanShutdown) {
      // The removal must be durable before anything is written: a marker that
      // came back after a power loss would make the next start skip recovery.
      io('delete', marker, () => fs.rmSync(marker, { force: true }));
      fsyncDir(this.dataDir);
    }
    const pendingDeletes: PendingDelete[] = [];
    for (const name of io('list', this.dataDir, () => fs.readdirSync(this.dataDir))) {
      const full = path.join(this.dataDir, name);
      if (name.endsWith(DELETED_DIR_SUFFIX)) {
        fresh = false;
        const d = DELETED_DIR.exec(name);
        if (d) pendingDeletes.push({ topic: d[1], partition: Number(d[2]), tag: d[3] });
        this.doomed.add(full);
        continue;
      }
      const m = PARTITION_DIR.exec(name);
      if (!m || !io('stat', full, () => fs.statSync(full).isDirectory())) continue;
      fresh = false;
      this.openLog(m[1], Number(m[2]), this.defaults);
    }
    this.opened = { cleanShutdown, fresh, pendingDeletes };
    return this.opened;
  }

  private openLog(topic: string, partition: number, config: LogConfig): PartitionLog {
    assert(!this.logs.has(key(topic, partition)), `partition ${key(topic, partition)} opened twice`);
    const log = PartitionLog.open({
      dir: path.join(this.dataDir, key(topic, partition)),
      topic,
      partition,
      config,
      pageCache: this.pageCache,
      recoveryPoint: this.recoveryPoints.get(key(topic, partition)) ?? 0,
      logStartOffset: this.logStartOffsets.get(key(topic, partition)) ?? 0,
      cleanShutdown: this.cleanShutdown === true,
      now: this.now,
      logger: this.logger,
    });
    this.logs.set(key(topic, partition), log);
    return log;
  }

  /** The partition's log, opened (recovering if needed) or created; `config` overrides the defaults. */
  getOrCreate(topic: string, partition: number, config: Partial<LogConfig> = {}): PartitionLog {
    validateTopicName(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= PARTITIONS_MAX) {
      throw new CopylessError('INVALID_PARTITIONS', `partition ${partition} is outside 0..${PARTITIONS_MAX - 1} (PARTITIONS_MAX)`, {
        topic,
        partition,
        field: 'partition',
        limit: 'PARTITIONS_MAX',
        max: PARTITIONS_MAX,
      });
    }
    if (this.opened === null) this.open();
    const merged = validateLogConfig({ ...this.defaults, ...config });
    const existing = this.logs.get(key(topic, partition));
    if (existing) {
      existing.config = merged;
      return existing;
    }
    return this.openLog(topic, partition, merged);
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition));
  }

  all(): PartitionLog[] {
    return [...this.logs.values()];
  }

  /**
   * Step 1 of a delete, the one that commits it: renames the partition's
   * directory to `<dir>.<tag>-delete` (durably: the data dir is fsynced) and
   * drops the log. From here on no open() brings the partition back. The
   * directory is removed by purgeDeleted().
   */
  markDeleted(topic: string, partition: number, tag: string): void {
    const log = this.logs.get(key(topic, partition));
    if (!log) return;
    this.logs.delete(key(topic, partition));
    this.recoveryPoints.delete(key(topic, partition));
    this.logStartOffsets.delete(key(topic, partition));
    const doomed = `${log.dir}.${tag}${DELETED_DIR_SUFFIX}`;
    io('rename', log.dir, () => fs.renameSync(log.dir, doomed));
    fsyncDir(this.dataDir);
    log.delete();
    this.doomed.add(doomed);
  }

  /**
   * Removes every `-delete` directory in the background (off the event loop).
   * Resolves when they are gone; a failure is logged and retried by the next
   * purge or start.
   */
  purgeDeleted(): Promise<void> {
    for (const dir of this.doomed) {
      if (this.purging.has(dir)) continue;
      const removal = fs.promises
        .rm(dir, { recursive: true, force: true })
        .then(
          () => void this.doomed.delete(dir),
          (e) => this.logger?.warn({ err: e, dir }, 'removing a deleted partition directory failed; retried at the next start'),
        )
        .finally(() => this.purging.delete(dir));
      this.purging.set(dir, removal);
    }
    return Promise.all(this.purging.values()).then(() => undefined);
  }

  /** Starts the flush.ms, retention and checkpoint timers (unref'd: they never keep the process alive). */
  start(): void {
    if (this.timers.length > 0) return;
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (e) {
          this.logger?.warn({ err: e }, 'storage timer failed');
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(FLUSH_CHECK_INTERVAL_MS, () => this.flushDue());
    every(this.retentionCheckIntervalMs, () => this.applyRetention());
    every(CHECKPOINT_INTERVAL_MS, () => this.checkpointInBackground());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Flushes every log that has unflushed data and whose last flush was at least its flushIntervalMs ago (log.ts flushIfDue). */
  flushDue(): void {
    const nowMs = this.now();
    for (const log of this.logs.values()) {
      log.flushIfDue(nowMs)?.catch((e) => this.logger?.warn({ err: e, topic: log.topic, partition: log.partition }, 'scheduled flush failed'));
    }
  }

  /** Runs retention on every log; returns the segments deleted. */
  applyRetention(): number {
    let deleted = 0;
    const nowMs = this.now();
    for (const log of this.logs.values()) deleted += log.applyRetention(nowMs);
    return deleted;
  }

  /** Writes every log's recovery point and log start offset (each atomically: temp file, fsync, rename). */
  checkpoint(): void {
    this.collectCheckpoints();
    writeAtomically(path.join(this.dataDir, RECOVERY_POINT_FILE), formatCheckpoint(this.recoveryPoints));
    writeAtomically(path.join(this.dataDir, LOG_START_OFFSET_FILE), formatCheckpoint(this.logStartOffsets));
  }

  /**
   * The timer's checkpoint: the same files, written with the asynchronous fs
   * calls so their fdatasync and directory fsync never hold the event loop
   * while the broker serves. One at a time; a failure is logged, and the next
   * one (or close) writes them again.
   */
  checkpointInBackground(): Promise<void> {
    if (this.checkpointing) return this.checkpointing;
    this.collectCheckpoints();
    const files: Array<[string, Map<string, number>]> = [
      [RECOVERY_POINT_FILE, this.recoveryPoints],
      [LOG_START_OFFSET_FILE, this.logStartOffsets],
    ];
    this.checkpointing = Promise.all(
      files.map(([name, points]) => {
        const file = path.join(this.dataDir, name);
        return writeAtomicallyAsync(file, formatCheckpoint(points)).catch((e: unknown) =>
          this.logger?.warn({ err: (e as Error)?.message ?? String(e), file }, 'checkpoint failed'),
        );
      }),
    )
      .then(() => {})
      .finally(() => {
        this.checkpointing = null;
      });
    return this.checkpointing;
  }

  private collectCheckpoints(): void {
    for (const log of this.logs.values()) {
      this.recoveryPoints.set(key(log.topic, log.partition), log.recoveryPoint);
      this.logStartOffsets.set(key(log.topic, log.partition), log.logStartOffset);
    }
  }

  /**
   * Flushes and closes every log, writes the recovery points, then, only after
   * that final flush and only when `cleanShutdown` (a failed start passes
   * false), the clean-shutdown marker. Waits for background removals.
   */
  async close(o: { cleanShutdown?: boolean } = {}): Promise<void> {
    this.stop();
    await this.checkpointing;
    await Promise.all([...this.logs.values()].map((log) => log.flush()));
    for (const log of this.logs.values()) log.close();
    this.checkpoint();
    if (o.cleanShutdown !== false) writeAtomically(path.join(this.dataDir, CLEAN_SHUTDOWN_FILE), '');
    this.logs.clear();
    await Promise.all(this.purging.values());
    this.cleanShutdown = null;
    this.opened = null;
  }
}

function formatCheckpoint(points: Map<string, number>): string {
  const lines = [String(CHECKPOINT_VERSION), String(points.size)];
  for (const [k, offset] of points) {
    const m = PARTITION_DIR.exec(k);
    assert(m !== null && Number.isSafeInteger(offset) && offset >= 0, `checkpoint entry ${k} ${offset}`);
    lines.push(`${m[1]} ${m[2]} ${offset}`);
  }
  return lines.join('\n') + '\n';
}

/** Parses the checkpoint; a missing or unreadable one means "recover everything" (recovery point 0). */
function readCheckpoint(file: string, logger?: RecoveryLogger): Map<string, number> {
  const out = new Map<string, number>();
  if (!fs.existsSync(file)) return out;
  const lines = io('read', file, () => fs.readFileSync(file, 'utf8')).split('\n').filter((l) => l.length > 0);
  const count = Number(lines[1]);
  if (lines[0] !== String(CHECKPOINT_VERSION) || !Number.isInteger(count) || lines.length - 2 !== count) {
    logger?.warn({ file }, 'ignoring a malformed recovery-point checkpoint');
    return out;
  }
  for (const line of lines.slice(2)) {
    const [topic, partition, offset] = line.split(' ');
    const p = Number(partition);
    const at = Number(offset);
    if (topic && Number.isInteger(p) && p >= 0 && Number.isSafeInteger(at) && at >= 0) out.set(key(topic, p), at);
  }
  return out;
}

/**
 * Replaces `file` so that a crash leaves the old or the new content, never a
 * mix: write a temp file, fdatasync it, rename it over `file`, fsync the
 * directory (the rename is durable only then).
 */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  io('write', file, () => {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeFully(fd, Buffer.from(text), 0);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  });
  fsyncDir(path.dirname(file));
}

/** writeAtomically with the asynchronous fs calls (a temp file of its own, so a close's synchronous one cannot collide with it). */
async function writeAtomicallyAsync(file: string, text: string): Promise<void> {
  const tmp = `${file}.bg.tmp`;
  try {
    const handle = await fs.promises.open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await fdatasyncAsync(handle.fd);
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (e) {
    throw storageError('write', file, e);
  }
  await fsyncDirAsync(path.dirname(file));
}
