// `copyless produce TOPIC`: stdin lines (or --count N --size B synthetic
// messages) to a topic, in large batches with several sends in flight, then
// one summary line on stderr (or a JSON summary on stdout with --json).

import type { Readable } from 'node:stream';
import { CopylessError } from '../../src/errors.ts';
import { Copyless } from '../copyless.ts';
import type { Acks, Compression, Message } from '../producer.ts';
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

export async function produceCommand(io: CliIo, topic: string, f: ProduceFlags): Promise<number> {
  const acks = parseAcks(f.acks);
  if (f.size !== undefined && f.count === undefined) {
    throw new CopylessError('INVALID_CONFIG', '--size needs --count (synthetic messages)', { field: 'size' });
  }
  const client = new Copyless({ brokers: [f.broker], clientId: 'copyless-cli' });
  const producer = client.producer({ acks, compression: f.compression as Compression, lingerMs: f.lingerMs, batchBytes: f.batchBytes });
  const key = f.key === undefined ? undefined : Buffer.from(f.key);
  const progress = new Progress(io, `produce ${topic}`, f.count ?? null);
  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  let messages = 0;
  let bytes = 0;
  const started = performance.now();
  try {
    await producer.connect();
    const source = f.count !== undefined ? synthetic(f.count, f.size ?? SYNTHETIC_SIZE_DEFAULT) : stdinLines(io.stdin);
    for await (const values of source) {
      if (failure !== null) break;
      const batch: Message[] = values.map((value) => ({ key, value, partition: f.partition }));
      const sent = producer.send({ topic, messages: batch }).then(
        () => {
          messages += batch.length;
          for (const v of values) bytes += v.length + (key?.length ?? 0);
          progress.update(messages);
        },
        (e) => {
          failure ??= e;
        },
      );
      inflight.add(sent);
      void sent.finally(() => inflight.delete(sent));
      if (inflight.size >= SENDS_IN_FLIGHT_MAX) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (failure !== null) throw failure;
  } finally {
    progress.stop();
    await producer.disconnect().catch(() => undefined);
  }
  const t = throughput(messages, bytes, performance.now() - started);
  if (f.json) io.stdout.write(JSON.stringify({ topic, acks: f.acks, ...t }) + '\n');
  else io.stderr.write(summaryLine('produced', t));
  return 0;
}

function parseAcks(s: string): Acks {
  if (s === 'all' || s === '-1') return -1;
  if (s === '0') return 0;
  if (s === '1') return 1;
  throw new CopylessError('INVALID_REQUIRED_ACKS', `--acks must be 0, 1 or all, got ${JSON.stringify(s)}`, { field: 'acks' });
}

/** `count` copies of one printable value of `size` bytes, in send-sized groups. */
function* synthetic(count: number, size: number): Generator<Buffer[]> {
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
