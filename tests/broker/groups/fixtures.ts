// Shared pieces of the group tests: a hand-driven clock, a topic catalog
// whose partition logs are real files of real record batches (so lag reads
// real batch headers), encoders of Kafka's consumer protocol bytes, and the
// error name a failed call ends with.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { CopylessError } from '../../../src/errors.ts';
import { encodeRecordBatch } from '../../../src/record/record-batch.ts';
import { MetaStore } from '../../../broker/meta-store.ts';
import { GroupCoordinator, type CommitInput, type JoinGroupInput } from '../../../broker/groups/coordinator.ts';
import type { TopicCatalog } from '../../../broker/groups/topic-catalog.ts';

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

/** The coordinator's view of the broker's topics: partition logs, and the topics-changed event. */
export class FakeCatalog extends EventEmitter implements TopicCatalog {
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

/** A coordinator over a FakeCatalog and a real lmdb meta store in a temp dir, on a fake clock. */
export class Harness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-groups-'));
  readonly clock = new FakeClock();
  readonly catalog = new FakeCatalog(this.dir);
  meta = new MetaStore(this.dir);
  coordinator = this.open();

  open(): GroupCoordinator {
    return new GroupCoordinator({
      catalog: this.catalog,
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
    this.catalog.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A JoinGroup of group 'g' for topic 't' (session and rebalance timeouts 1 s); `o` overrides any field. */
export const join = (o: Partial<JoinGroupInput> = {}): JoinGroupInput => ({
  groupId: 'g',
  memberId: '',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: '/127.0.0.1',
  sessionTimeoutMs: 1_000,
  rebalanceTimeoutMs: 1_000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: encodeSubscription(['t']) }],
  requireKnownMemberId: false,
  ...o,
});

/** An OffsetCommit of group 'g' from outside the group (generation -1): `offsets` is topic -> partition -> offset. */
export function commitInput(o: Partial<CommitInput> & { offsets: Record<string, Record<number, number>> }): CommitInput {
  return {
    groupId: 'g',
    generationId: -1,
    memberId: '',
    topics: Object.entries(o.offsets).map(([name, parts]) => ({
      name,
      partitions: Object.entries(parts).map(([p, offset]) => ({ partitionIndex: Number(p), committedOffset: offset, committedMetadata: null })),
    })),
    ...o,
  };
}

/** One member of group 'g', Stable in its first generation, assigned partitions 0 and 1 of 't'. */
export async function stableMember(h: Harness): Promise<{ memberId: string; generationId: number }> {
  const j = await h.coordinator.joinGroup(join());
  await h.coordinator.syncGroup({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment: encodeAssignment({ t: [0, 1] }) }] });
  return { memberId: j.memberId, generationId: j.generationId };
}

/** The errorName `fn` throws, or null when it returns. */
export function errorNameOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return (e as { errorName?: string }).errorName ?? String(e);
  }
}

/** The errorName a promise rejects with, or null when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return (e as { errorName?: string }).errorName ?? String(e);
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
