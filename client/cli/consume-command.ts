// `copyless consume TOPIC`: prints each value on its own line on stdout (or
// one JSON object per line with --json) and nothing else there; status and
// the summary go to stderr. Stops after --count messages, with --exit-at-end
// once every partition it reads is at its current end, or on Ctrl-C.

import { CopylessError } from '../../src/errors.ts';
import { Copyless } from '../copyless.ts';
import type { AssignmentSpec, Batch, OffsetSpec } from '../consumer.ts';
import type { ConsumedMessage } from '../fetcher.ts';
import { summaryLine, throughput } from './format.ts';
import { type CliIo, OutputBuffer } from './io.ts';
import { Progress } from './progress.ts';

export interface ConsumeFlags {
  broker: string;
  fromBeginning?: boolean;
  offset?: number;
  partition?: number;
  count?: number;
  fetchMode?: string;
  json?: boolean;
  exitAtEnd?: boolean;
  maxWaitMs?: number;
}

export async function consumeCommand(io: CliIo, topic: string, f: ConsumeFlags): Promise<number> {
  if (f.fromBeginning && f.offset !== undefined) {
    throw new CopylessError('INVALID_CONFIG', 'use either --from-beginning or --offset, not both', { field: 'offset' });
  }
  const offset: OffsetSpec = f.fromBeginning ? 'earliest' : (f.offset ?? 'latest');
  const client = new Copyless({ brokers: [f.broker], clientId: 'copyless-cli' });
  const consumer = client.consumer({ fetchMode: f.fetchMode, maxWaitMs: f.maxWaitMs });
  const out = new OutputBuffer(io.stdout);
  const progress = new Progress(io, `consume ${topic}`, f.count ?? null);
  const stats = { messages: 0, bytes: 0 };
  const onSignal = () => void consumer.stop();
  const ownsProcess = io.stdout === process.stdout;
  if (ownsProcess) process.once('SIGINT', onSignal);
  const started = performance.now();
  try {
    await consumer.connect();
    const spec: AssignmentSpec = f.partition === undefined ? { topic, offset } : { topic, partition: f.partition, offset };
    await consumer.assign([spec]);
    const partitions = consumer.assignment().map((p) => p.partition);
    io.stderr.write(`consuming ${topic} partition${partitions.length === 1 ? '' : 's'} ${partitions.join(',')} from ${describeOffset(offset)}\n`);
    const done = () => (f.count !== undefined && stats.messages >= f.count) || (f.exitAtEnd === true && consumer.atEnd()) || out.closed;
    if (!done()) {
      await consumer.run({
        eachBatch: async (batch) => {
          await printBatch(batch, f, out, stats);
          progress.update(stats.messages);
          if (done()) void consumer.stop();
        },
        afterFetch: () => {
          if (done()) void consumer.stop();
        },
      });
    }
    await out.flush();
    if (out.error) throw out.error;
  } finally {
    progress.stop();
    if (ownsProcess) process.off('SIGINT', onSignal);
    out.dispose();
    await consumer.disconnect().catch(() => undefined);
  }
  io.stderr.write(summaryLine('consumed', throughput(stats.messages, stats.bytes, performance.now() - started)));
  return 0;
}

async function printBatch(batch: Batch, f: ConsumeFlags, out: OutputBuffer, stats: { messages: number; bytes: number }): Promise<void> {
  const room = f.count === undefined ? batch.messages.length : Math.max(0, f.count - stats.messages);
  const messages = batch.messages.length > room ? batch.messages.slice(0, room) : batch.messages;
  for (const m of messages) {
    if (out.closed) return;
    if (f.json) await out.writeLine(toJsonLine(m));
    else await out.writeLine(m.value);
    stats.messages++;
    stats.bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
  }
}

function toJsonLine(m: ConsumedMessage): string {
  return JSON.stringify({
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key === null ? null : m.key.toString('utf8'),
    value: m.value === null ? null : m.value.toString('utf8'),
  });
}

function describeOffset(offset: OffsetSpec): string {
  return typeof offset === 'number' ? `offset ${offset}` : offset === 'earliest' ? 'the beginning' : 'the end (new messages only)';
}
