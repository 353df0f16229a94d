// `copyless produce TOPIC`: stdin lines (or --count N --size B synthetic
// messages) to a topic, in large batches with several sends in flight, then
// one summary line on stderr (or a JSON summary on stdout with --json).
//
// Lines are stored in input order: sends are made in input order and the
// producer stores records in call order (client/record-accumulator.ts). When
// a send fails the command stops reading, waits for the sends in flight, and
// says how many records were acknowledged and the first input line that was
// not (exit 1). Ctrl-C (SIGINT) or SIGTERM does the same (exit 130); a second
// one stops waiting for acknowledgements.

import type { Readable } from 'node:stream';
import { CopylessError, isCopylessError } from '../../src/errors.ts';
import type { Acks, Compression, Message } from '../producer-types.ts';
import { cliClient, describeError } from './client.ts';
import { summaryLine, throughput } from './format.ts';
import type { CliIo } from './io.ts';
import { Progress } from './progress.ts';

export interface ProduceFlags {
  broker: string;
  key?: string;
  partition?: number;
  acks: string;
  count?: number;
  size?: number;
  json?: boolean;
  compression: string;
  lingerMs?: number;
  batchBytes?: number;
}

/** Messages per send() call; each call is spread over batches by the producer. */
const SEND_MESSAGES_MAX = 10_000;
/** Value bytes per send() call. */
const SEND_BYTES_MAX = 1024 * 1024;
/** send() calls awaiting acknowledgement before reading more input (the producer bounds bytes too). */
const SENDS_IN_FLIGHT_MAX = 16;
const SYNTHETIC_SIZE_DEFAULT = 100;
/** Exit code after SIGINT/SIGTERM (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Which input records were acknowledged, counted per send() call; records are numbered from 1. */
class Acknowledgements {
  records = 0;
  bytes = 0;
  /** The next record number to read. */
  nextRecord = 1;
  /** The first record of a failed send that was not acknowledged. */
  firstFailed = Infinity;
  error: unknown = null;

  /** The first record not acknowledged; null when every record was. */
  firstUnacknowledged(inputEnded: boolean): number | null {
    const first = Math.min(this.firstFailed, inputEnded ? Infinity : this.nextRecord);
    return first === Infinity ? null : first;
  }
}

export async function produceCommand(io: CliIo, topic: string, f: ProduceFlags): Promise<number> {
  const acks = parseAcks(f.acks);
  if (f.size !== undefined && f.count === undefined) {
    throw new CopylessError('INVALID_CONFIG', '--size needs --count (synthetic messages)', { field: 'size' });
  }
  const producer = cliClient(f.broker).producer({ acks, compression: f.compression as Compression, lingerMs: f.lingerMs, batchBytes: f.batchBytes });
  const key = f.key === undefined ? undefined : Buffer.from(f.key);
  const progress = new Progress(io, `produce ${topic}`, f.count ?? null);
  const acked = new Acknowledgements();
  const inflight = new Set<Promise<void>>();
  const stop = stopSignal(io);
  let inputEnded = false;
  const started = performance.now();
  try {
    await producer.connect();
    const source = f.count !== undefined ? synthetic(f.count, f.size ?? SYNTHETIC_SIZE_DEFAULT) : stdinLines(io.stdin);
    const input = source[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([input.next(), stop.signalled]);
      if (next === 'signal' || acked.error !== null) break;
      if (next.done) {
        inputEnded = true;
        break;
      }
      const values = next.value;
      const first = acked.nextRecord;
      acked.nextRecord += values.length;
      const sent = send(producer, topic, values, key, f.partition, first, acked).then(() => progress.update(acked.records));
      inflight.add(sent);
      void sent.finally(() => inflight.delete(sent));
      if (inflight.size >= SENDS_IN_FLIGHT_MAX) await Promise.race([...inflight, stop.signalled]);
    }
    if (!inputEnded) {
      // Stopped early: nothing more is read, and an open stdin must not keep the process alive.
      void input.return?.(undefined).catch(() => undefined);
      io.stdin.destroy();
    }
    await Promise.race([Promise.all(inflight), stop.twice]);
  } catch (e) {
    acked.error ??= e;
  } finally {
    stop.dispose();
    progress.stop();
    await producer.disconnect().catch(() => undefined);
  }
  const t = throughput(acked.records, acked.bytes, performance.now() - started);
  const firstUnacknowledged = acked.firstUnacknowledged(inputEnded);
  const failed = acked.error !== null || firstUnacknowledged !== null;
  if (acked.error !== null) io.stderr.write(`copyless: ${describeError(acked.error)}\n`);
  if (f.json) {
    const extra = failed ? { firstUnacknowledged, interrupted: stop.count > 0, error: acked.error === null ? null : describeError(acked.error) } : {};
    io.stdout.write(JSON.stringify({ topic, acks: f.acks, ...t, ...extra }) + '\n');
  } else io.stderr.write(summaryLine('produced', t));
  if (!failed) return 0;
  if (!f.json) io.stderr.write(lossLine(acked, firstUnacknowledged, stop.count > 0, f.count !== undefined));
  return stop.count > 0 && acked.error === null ? INTERRUPTED_EXIT_CODE : 1;
}

/** Sends one group of records; counts what was acknowledged, also when only part of the call was. */
async function send(
  producer: ReturnType<ReturnType<typeof cliClient>['producer']>,
  topic: string,
  values: Buffer[],
  key: Buffer | undefined,
  partition: number | undefined,
  first: number,
  acked: Acknowledgements,
): Promise<void> {
  const messages: Message[] = values.map((value) => ({ key, value, partition }));
  try {
    await producer.send({ topic, messages });
    count(acked, values, key, 0, values.length);
  } catch (e) {
    const failedAt = isCopylessError(e) && typeof e.details.firstFailedIndex === 'number' ? e.details.firstFailedIndex : 0;
    const partly = isCopylessError(e) && typeof e.details.acknowledged === 'number' ? e.details.acknowledged : 0;
    // Records before the first failed one are acknowledged (a call's records go to batches in order).
    count(acked, values, key, 0, failedAt);
    acked.records += partly - failedAt;
    acked.firstFailed = Math.min(acked.firstFailed, first + failedAt);
    acked.error ??= e;
  }
}

function count(acked: Acknowledgements, values: Buffer[], key: Buffer | undefined, from: number, to: number): void {
  acked.records += to - from;
  for (let i = from; i < to; i++) acked.bytes += values[i].length + (key?.length ?? 0);
}

function lossLine(acked: Acknowledgements, first: number | null, interrupted: boolean, synthetic: boolean): string {
  const what = synthetic ? 'message' : 'input line';
  const head = `${interrupted && acked.error === null ? 'interrupted' : 'stopped'}: ${acked.records} records acknowledged`;
  if (first === null) return `${head}\n`;
  const later = acked.records - (first - 1);
  return `${head}; first ${what} not acknowledged: ${first}${later > 0 ? ` (${later} later ${what}s were acknowledged)` : ''}\n`;
}

/** SIGINT/SIGTERM while producing (only when the CLI owns the process): the first stops reading, the second stops waiting. */
function stopSignal(io: CliIo): { signalled: Promise<'signal'>; twice: Promise<'signal'>; readonly count: number; dispose(): void } {
  let count = 0;
  let first!: () => void;
  let second!: () => void;
  const signalled = new Promise<'signal'>((resolve) => (first = () => resolve('signal')));
  const twice = new Promise<'signal'>((resolve) => (second = () => resolve('signal')));
  const onSignal = () => {
    count++;
    if (count === 1) first();
    else second();
  };
  const owns = io.stdout === process.stdout;
  if (owns) for (const s of SIGNALS) process.on(s, onSignal);
  return {
    signalled,
    twice,
    get count() {
      return count;
    },
    dispose: () => {
      if (owns) for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}

function parseAcks(s: string): Acks {
  if (s === 'all' || s === '-1') return -1;
  if (s === '0') return 0;
  if (s === '1') return 1;
  throw new CopylessError('INVALID_REQUIRED_ACKS', `--acks must be 0, 1 or all, got ${JSON.stringify(s)}`, { field: 'acks' });
}

/** `count` copies of one printable value of `size` bytes, in send-sized groups. */
async function* synthetic(count: number, size: number): AsyncGenerator<Buffer[]> {
  const value = Buffer.alloc(size);
  for (let i = 0; i < size; i++) value[i] = 0x61 + (i % 26);
  const perSend = Math.max(1, Math.min(SEND_MESSAGES_MAX, Math.floor(SEND_BYTES_MAX / Math.max(size, 1))));
  for (let sent = 0; sent < count; sent += perSend) {
    yield new Array<Buffer>(Math.min(perSend, count - sent)).fill(value);
  }
}

/**
 * Lines of stdin as values (without the newline or a trailing CR), grouped as
 * they arrive: one group per input chunk, split when it exceeds the send limits.
 * Values are views of the input chunks, not copies.
 */
async function* stdinLines(stdin: Readable): AsyncGenerator<Buffer[]> {
  let carry: Buffer | null = null;
  let lines: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const buf: Buffer = carry === null ? data : Buffer.concat([carry, data]);
    carry = null;
    let pos = 0;
    for (let nl = buf.indexOf(0x0a, pos); nl >= 0; nl = buf.indexOf(0x0a, pos)) {
      const end = nl > pos && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      lines.push(buf.subarray(pos, end));
      bytes += end - pos;
      pos = nl + 1;
      if (lines.length >= SEND_MESSAGES_MAX || bytes >= SEND_BYTES_MAX) {
        yield lines;
        lines = [];
        bytes = 0;
      }
    }
    if (pos < buf.length) carry = buf.subarray(pos);
    if (lines.length > 0) {
      yield lines;
      lines = [];
      bytes = 0;
    }
  }
  if (carry !== null && carry.length > 0) yield [carry];
}
