// `copyless consume TOPIC`: prints each value on its own line on stdout (or
// one JSON object per line with --json) and nothing else there; status and
// the summary go to stderr. Stops after --count messages, with --exit-at-end
// once every partition it reads is at its current end, or on Ctrl-C/SIGTERM.
//
// With --group G it is a member of consumer group G: it reads the partitions
// the group gives it, from the group's committed offsets (--from-beginning
// applies only where the group has none), and commits what it has printed
// (every few seconds, before each rebalance and on exit). Each batch is
// flushed to stdout before its offsets can be committed, so a crash never
// commits a message that was not written out.

import { CopylessError, isCopylessError } from '../../src/errors.ts';
import { cliClient } from './client.ts';
import type { Batch } from '../batch-channel.ts';
import type { Consumer } from '../consumer.ts';
import type { AssignmentSpec, OffsetSpec } from '../consumer-positions.ts';
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
  group?: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Where to go when the position is outside the log (Kafka auto.offset.reset); without it that is an error. */
  reset?: 'earliest' | 'latest';
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function consumeCommand(io: CliIo, topic: string, f: ConsumeFlags): Promise<number> {
  validateFlags(f);
  const offset: OffsetSpec = f.fromBeginning ? 'earliest' : (f.offset ?? 'latest');
  const out = new OutputBuffer(io.stdout);
  const progress = new Progress(io, `consume ${topic}`, f.count ?? null);
  const stats = { messages: 0, bytes: 0 };
  const done = () => (f.count !== undefined && stats.messages >= f.count) || (f.exitAtEnd === true && consumer.atEnd()) || out.closed;
  const consumer = createConsumer(io, f, done);
  const onSignal = () => void consumer.stop();
  const ownsProcess = io.stdout === process.stdout;
  if (ownsProcess) for (const s of SIGNALS) process.once(s, onSignal);
  const started = performance.now();
  try {
    await consumer.connect();
    if (f.group === undefined) {
      const spec: AssignmentSpec = f.partition === undefined ? { topic, offset } : { topic, partition: f.partition, offset };
      await consumer.assign([spec]);
      const partitions = consumer.assignment().map((p) => p.partition);
      io.stderr.write(`consuming ${topic} partition${partitions.length === 1 ? '' : 's'} ${partitions.join(',')} from ${describeOffset(offset)}\n`);
    } else {
      consumer.subscribe({ topics: [topic], fromBeginning: f.fromBeginning === true });
      io.stderr.write(`joining group ${f.group} for ${topic}${f.fromBeginning ? ' (from the beginning where the group has no commit)' : ''}\n`);
    }
    if (!done()) {
      await consumer.run({
        eachBatch: async (batch) => {
          await printBatch(consumer, batch, f, out, stats);
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
  } catch (e) {
    if (isCopylessError(e) && e.errorName === 'OFFSET_OUT_OF_RANGE' && f.reset === undefined) {
      throw new CopylessError('OFFSET_OUT_OF_RANGE', `${e.message.replace(/; autoOffsetReset is 'none'$/, '')}; add --reset earliest or --reset latest to start at the log's start or end instead`, e.details);
    }
    throw e;
  } finally {
    progress.stop();
    if (ownsProcess) for (const s of SIGNALS) process.off(s, onSignal);
    await out.flush().catch(() => undefined); // what was consumed before a failure is printed before its error
    out.dispose();
    await consumer.disconnect().catch(() => undefined);
  }
  io.stderr.write(summaryLine('consumed', throughput(stats.messages, stats.bytes, performance.now() - started)));
  return 0;
}

function validateFlags(f: ConsumeFlags): void {
  if (f.fromBeginning && f.offset !== undefined) {
    throw new CopylessError('INVALID_CONFIG', 'use either --from-beginning or --offset, not both', { field: 'offset' });
  }
  if (f.group !== undefined) {
    const stray = f.offset !== undefined ? 'offset' : f.partition !== undefined ? 'partition' : null;
    if (stray) throw new CopylessError('INVALID_CONFIG', `--${stray} cannot be used with --group: the group assigns partitions and positions`, { field: stray });
  } else {
    const stray = f.sessionTimeoutMs !== undefined ? 'session-timeout-ms' : f.heartbeatIntervalMs !== undefined ? 'heartbeat-interval-ms' : null;
    if (stray) throw new CopylessError('INVALID_CONFIG', `--${stray} needs --group`, { field: stray });
  }
}

/** A group member reports each assignment on stderr and, with --exit-at-end, may be done as soon as it is assigned. */
function createConsumer(io: CliIo, f: ConsumeFlags, done: () => boolean): Consumer {
  const client = cliClient(f.broker);
  // Reading never creates a topic (auto-creation is for produce), and an offset outside the log is an error unless --reset says where to go.
  const common = { fetchMode: f.fetchMode, maxWaitMs: f.maxWaitMs, allowAutoTopicCreation: false, autoOffsetReset: f.reset ?? 'none' } as const;
  if (f.group === undefined) return client.consumer(common);
  const consumer: Consumer = client.consumer({
    ...common,
    groupId: f.group,
    sessionTimeoutMs: f.sessionTimeoutMs,
    heartbeatIntervalMs: f.heartbeatIntervalMs,
    onPartitionsAssigned: (e) => {
      const list = e.partitions.map((p) => p.partition).join(',') || 'none';
      io.stderr.write(`group ${e.groupId} generation ${e.generationId}: assigned partition${e.partitions.length === 1 ? '' : 's'} ${list}\n`);
      if (done()) void consumer.stop();
    },
  });
  return consumer;
}

/**
 * Prints what fits under --count. A group member flushes each batch before
 * its position moves (a commit may follow at any time), and moves the
 * position back to the first message it did not print (--count reached, or
 * stdout gone) so that message is committed as unread.
 */
async function printBatch(consumer: Consumer, batch: Batch, f: ConsumeFlags, out: OutputBuffer, stats: { messages: number; bytes: number }): Promise<void> {
  const room = f.count === undefined ? batch.messages.length : Math.max(0, f.count - stats.messages);
  const messages = batch.messages.length > room ? batch.messages.slice(0, room) : batch.messages;
  let printed = 0;
  for (const m of messages) {
    if (out.closed) break;
    if (f.json) await out.writeLine(toJsonLine(m));
    else await out.writeLine(m.value);
    printed++;
    stats.messages++;
    stats.bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
  }
  if (f.group === undefined) return;
  await out.flush();
  if (printed < batch.messages.length) consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.messages[printed].offset });
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
