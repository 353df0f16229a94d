// Shared pieces of the group tests: a hand-driven clock, a broker stand-in
// whose partition logs are real files of real record batches (so lag reads
// real batch headers), and encoders of Kafka's consumer protocol bytes.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { CopylessError } from '../../../src/errors.ts';
import { encodeRecordBatch } from '../../../src/record/record-batch.ts';
import type { Broker } from '../../../broker/broker.ts';
import { MetaStore } from '../../../broker/meta-store.ts';
import { GroupCoordinator } from '../../../broker/groups/coordinator.ts';

export const silentLogger = pino({ level: 'silent' });

export class FakeClock {
  constructor(public ms = 1_700_000_000_000) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  position: number;
  bytes: number;
}

/** One partition as one segment file; enough of PartitionLog for the coordinator and lag. */
export class FakeLog {
  readonly fd: number;
  private readonly batches: StoredBatch[] = [];
  private sizeBytes = 0;
  logStartOffset = 0;
  logEndOffset = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w+');
  }

  /** Append one batch of `count` records, all with `timestamp`. */
  append(count: number, timestamp: number): void {
    const records = Array.from({ length: count }, (_, i) => ({ value: `v${this.logEndOffset + i}`, timestamp }));
    const batch = encodeRecordBatch(records, { baseOffset: this.logEndOffset });
    fs.writeSync(this.fd, batch, 0, batch.length, this.sizeBytes);
    this.batches.push({ baseOffset: this.logEndOffset, lastOffset: this.logEndOffset + count - 1, position: this.sizeBytes, bytes: batch.length });
    this.sizeBytes += batch.length;
    this.logEndOffset += count;
  }

  read(offset: number, _maxBytes: number) {
    if (offset < this.logStartOffset || offset > this.logEndOffset) throw new CopylessError('OFFSET_OUT_OF_RANGE', `offset ${offset}`);
    const b = this.batches.find((x) => x.lastOffset >= offset);
    if (!b) return null;
    return {
      fileId: 1,
      fd: this.fd,
      path: this.file,
      segmentBaseOffset: 0,
      position: b.position,
      length: b.bytes,
      firstOffset: b.baseOffset,
      release() {},
    };
  }

  segments() {
    return [{ baseOffset: 0, path: this.file, sizeBytes: this.sizeBytes, fileId: 1, largestTimestamp: 0, residentPages: 0, dirtyPages: 0, active: true }];
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The part of Broker the coordinator uses: topics, partition logs, and the topics-changed event. */
export class FakeBroker extends EventEmitter {
  readonly topics = new Map<string, FakeLog[]>();

  constructor(readonly dir: string) {
    super();
  }

  createTopic(name: string, partitions: number): FakeLog[] {
    const logs = Array.from({ length: partitions }, (_, p) => new FakeLog(path.join(this.dir, `${name}-${p}.log`)));
    this.topics.set(name, logs);
    return logs;
  }

  deleteTopic(name: string): void {
    for (const l of this.topics.get(name) ?? []) l.close();
    this.topics.delete(name);
    this.emit('topics-changed');
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  partitionCount(name: string): number {
    return this.topics.get(name)?.length ?? 0;
  }

  partitionLog(topic: string, partition: number): FakeLog {
    const log = this.topics.get(topic)?.[partition];
    if (!log) throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}/${partition}`, { topic, partition });
    return log;
  }

  close(): void {
    for (const logs of this.topics.values()) for (const l of logs) l.close();
  }
}

/** A coordinator over a FakeBroker and a real lmdb meta store in a temp dir, on a fake clock. */
export class Harness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-groups-'));
  readonly clock = new FakeClock();
  readonly broker = new FakeBroker(this.dir);
  meta = new MetaStore(this.dir);
  coordinator = this.open();

  open(): GroupCoordinator {
    return new GroupCoordinator({
      broker: this.broker as unknown as Broker,
      meta: this.meta,
      logger: silentLogger,
      now: this.clock.now,
      sessionTimeoutMsMin: 100,
      sessionTimeoutMsMax: 60_000,
    });
  }

  /** Close coordinator and meta store, then open both again from the same data dir. */
  async restart(): Promise<void> {
    await this.coordinator.close();
    await this.meta.close();
    this.meta = new MetaStore(this.dir);
    this.coordinator = this.open();
  }

  advance(ms: number): void {
    this.clock.advance(ms);
    this.coordinator.tick();
  }

  async destroy(): Promise<void> {
    await this.coordinator.close();
    await this.meta.close();
    this.broker.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** ConsumerProtocolSubscription v0: int16 version, [string] topics, bytes userData. */
export function encodeSubscription(topics: string[]): Buffer {
  const parts = [int16(0), int32(topics.length), ...topics.map(str), int32(-1)];
  return Buffer.concat(parts);
}

/** ConsumerProtocolAssignment v0: int16 version, [topic, [int32]] partitions, bytes userData. */
export function encodeAssignment(assignment: Record<string, number[]>): Buffer {
  const parts = [int16(0), int32(Object.keys(assignment).length)];
  for (const [topic, partitions] of Object.entries(assignment)) {
    parts.push(str(topic), int32(partitions.length), ...partitions.map(int32));
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function str(s: string): Buffer {
  return Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
}
