// `copyless topic create|list|describe|delete` and `copyless stats`: results
// on stdout (pipe-friendly), nothing else there.

import { CopylessError } from '../../src/errors.ts';
import type { BrokerStats, TopicDescription } from '../admin.ts';
import { withAdmin } from './client.ts';
import { table } from './format.ts';
import type { CliIo } from './io.ts';

export async function topicCreate(io: CliIo, name: string, f: { broker: string; partitions: number }): Promise<number> {
  const created = await withAdmin(f.broker, (a) => a.createTopics({ topics: [{ topic: name, numPartitions: f.partitions }] }));
  if (!created) throw new CopylessError('TOPIC_ALREADY_EXISTS', `topic ${JSON.stringify(name)} already exists`, { topic: name });
  io.stdout.write(`created topic ${name} with ${f.partitions} partition${f.partitions === 1 ? '' : 's'}\n`);
  return 0;
}

export async function topicList(io: CliIo, f: { broker: string }): Promise<number> {
  const names = await withAdmin(f.broker, (a) => a.listTopics());
  io.stdout.write(names.map((n) => `${n}\n`).join(''));
  return 0;
}

export async function topicDelete(io: CliIo, name: string, f: { broker: string }): Promise<number> {
  await withAdmin(f.broker, (a) => a.deleteTopics([name]));
  io.stdout.write(`deleted topic ${name}\n`);
  return 0;
}

export async function topicDescribe(io: CliIo, name: string, f: { broker: string; json?: boolean }): Promise<number> {
  const [t] = await withAdmin(f.broker, async (a) => {
    const [problem] = await a.topicProblems([name]);
    if (problem !== null) throw problem;
    return a.describeTopics([name]);
  });
  if (t === undefined) throw new CopylessError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${JSON.stringify(name)} does not exist`, { topic: name });
  io.stdout.write(f.json ? JSON.stringify(t) + '\n' : formatDescription(t));
  return 0;
}

export function formatDescription(t: TopicDescription): string {
  const totalBytes = t.partitions.reduce((n, p) => n + p.sizeBytes, 0);
  const head = `topic ${t.name}: ${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}, ${totalBytes} bytes\n\n`;
  const parts = table(
    ['partition', 'start offset', 'end offset', 'messages', 'bytes', 'segments'],
    t.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset, p.logEndOffset - p.logStartOffset, p.sizeBytes, p.segments.length]),
  );
  const segments = table(
    ['partition', 'base offset', 'bytes', 'resident pages', 'dirty pages', 'active'],
    t.partitions.flatMap((p) => p.segments.map((s) => [p.partition, s.baseOffset, s.sizeBytes, s.residentPages, s.dirtyPages, s.active ? 'yes' : 'no'])),
  );
  return `${head}${parts}\nsegments\n${segments}`;
}

export async function statsCommand(io: CliIo, f: { broker: string; json?: boolean }): Promise<number> {
  const json = await withAdmin(f.broker, (a) => a.statsJson());
  io.stdout.write(f.json ? `${json}\n` : formatStats(JSON.parse(json) as BrokerStats));
  return 0;
}

/** Counters as rows, one column per fetch mode; then the page cache's fields. */
export function formatStats(stats: BrokerStats): string {
  const modes = Object.keys(stats.modes ?? {});
  const counters = [...new Set(modes.flatMap((m) => Object.keys(stats.modes[m])))];
  const rows = counters.map((c) => [c, ...modes.map((m) => formatValue(stats.modes[m][c]))]);
  const out = [modes.length > 0 ? table(['counter', ...modes], rows) : 'no fetch-mode counters yet\n'];
  const cache = Object.entries(stats.pageCache ?? {});
  if (cache.length > 0) out.push('\npage cache\n', table(['field', 'value'], cache.map(([k, v]) => [k, formatValue(v)])));
  return out.join('');
}

function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '-';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
