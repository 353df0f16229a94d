// `copyless group list|describe|reset-offsets`: consumer groups, their lag
// and their committed offsets. Results on stdout (tables, or JSON with
// --json), nothing else there.

import { CopylessError } from '../../src/errors.ts';
import type { GroupDescription, GroupSummary } from '../admin.ts';
import { withAdmin } from './client.ts';
import { table } from './format.ts';
import type { CliIo } from './io.ts';

const MS_PER_SECOND = 1_000;
const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 3_600;

export async function groupList(io: CliIo, f: { broker: string; json?: boolean }): Promise<number> {
  const groups = await withAdmin(f.broker, (a) => a.listGroups());
  io.stdout.write(f.json ? `${JSON.stringify(groups)}\n` : formatGroupList(groups));
  return 0;
}

export function formatGroupList(groups: GroupSummary[]): string {
  if (groups.length === 0) return 'no consumer groups\n';
  return table(['group', 'state', 'protocol type', 'members'], groups.map((g) => [g.groupId, g.state, g.protocolType || '-', g.members]));
}

export async function groupDescribe(io: CliIo, groupId: string, f: { broker: string; json?: boolean }): Promise<number> {
  const d = await withAdmin(f.broker, (a) => a.describeGroup(groupId));
  io.stdout.write(f.json ? `${JSON.stringify(d)}\n` : formatGroupDescription(d));
  return 0;
}

/** A summary line, the per-partition lag table and the members with their partitions. */
export function formatGroupDescription(d: GroupDescription): string {
  const members = `${d.members} member${d.members === 1 ? '' : 's'}`;
  const head = `group ${d.groupId}: ${d.state}, protocol ${d.protocol ?? '-'}, generation ${d.generationId}, ${members}, total lag ${d.totalLag} msgs\n\n`;
  const lag = table(
    ['topic', 'partition', 'committed offset', 'log end offset', 'lag msgs', 'lag bytes', 'oldest unconsumed age', 'owner'],
    d.partitions.map((p) => [
      p.topic,
      p.partition,
      p.committedOffset < 0 ? '-' : p.committedOffset,
      p.logEndOffset,
      p.lagMessages,
      p.lagBytes,
      formatAge(p.oldestUnconsumedAgeMs),
      p.memberId ?? '-',
    ]),
  );
  if (d.memberList.length === 0) return `${head}${lag}`;
  const memberRows = d.memberList.map((m) => [m.memberId, m.clientId, m.clientHost, m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-']);
  return `${head}${lag}\nmembers\n${table(['member', 'client id', 'host', 'partitions'], memberRows)}`;
}

/** '-' when nothing is waiting; otherwise seconds, minutes or hours with one decimal. */
export function formatAge(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.max(0, ms) / MS_PER_SECOND;
  if (s < SECONDS_PER_MINUTE) return `${s.toFixed(1)} s`;
  if (s < SECONDS_PER_HOUR) return `${(s / SECONDS_PER_MINUTE).toFixed(1)} min`;
  return `${(s / SECONDS_PER_HOUR).toFixed(1)} h`;
}

export interface ResetFlags {
  broker: string;
  topic: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: number;
  partition?: number;
  json?: boolean;
}

export async function groupResetOffsets(io: CliIo, groupId: string, f: ResetFlags): Promise<number> {
  const chosen = [f.toEarliest === true && 'earliest', f.toLatest === true && 'latest', f.toOffset !== undefined && 'offset'].filter((t) => t !== false);
  if (chosen.length !== 1) {
    throw new CopylessError('INVALID_CONFIG', 'give exactly one of --to-earliest, --to-latest, --to-offset <n>', { field: 'to' });
  }
  const to = chosen[0] as 'earliest' | 'latest' | 'offset';
  const spec = { topic: f.topic, to, offset: f.toOffset, partitions: f.partition === undefined ? undefined : [f.partition] };
  const moved = await withAdmin(f.broker, (a) => a.resetOffsets(groupId, spec));
  if (f.json) {
    io.stdout.write(`${JSON.stringify(moved)}\n`);
    return 0;
  }
  io.stdout.write(`group ${groupId}: committed offsets of ${f.topic} moved to ${to === 'offset' ? `offset ${f.toOffset}` : `the ${to}`}\n\n`);
  io.stdout.write(table(['topic', 'partition', 'new offset'], moved.map((m) => [m.topic, m.partition, m.offset])));
  return 0;
}
