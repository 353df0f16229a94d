// Proves topic create and delete are crash-atomic across the lmdb metadata and the partition directories: a broker SIGKILLed between any two steps restarts with the topic either wholly there or wholly gone, and a killed delete never brings its records back, not even under a re-created topic of the same name.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TopicStep } from '../../broker/broker.ts';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.ts';


/** Runs tests/helpers/crash-broker.ts and resolves with the signal that ended it. */
const brokers: TestBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.destroy();
});

function crashAt(dataDir: string, action: 'create' | 'delete', step: TopicStep): Promise<string | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/crash-broker.ts', dataDir, action, step], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
}

async function restart(dataDir: string): Promise<TestBroker> {
  const b = await startTestBroker({}, dataDir);
  brokers.push(b);
  await b.broker.logs.purgeDeleted();
  return b;
}

function partitionDirs(dataDir: string, topic: string): string[] {
  return fs.readdirSync(dataDir).filter((n) => n.startsWith(`${topic}-`));
}

describe('topic create and delete survive a SIGKILL between any two steps', () => {
  it.each(['delete:renamed-partition', 'delete:metadata'] as const)('killed at %s: the topic is gone for good', async (step) => {
    const dataDir = tempDir();
    expect(await crashAt(dataDir, 'delete', step)).toBe('SIGKILL');
    const b = await restart(dataDir);
    expect(b.broker.hasTopic('doomed')).toBe(false);
    expect(partitionDirs(dataDir, 'doomed')).toEqual([]);
    await b.broker.createTopic('doomed', { partitions: 2 });
    for (const p of b.broker.describeTopics(['doomed'])[0].partitions) expect([p.logStartOffset, p.logEndOffset]).toEqual([0, 0]);
  });

  it('killed after creating the directories, before the metadata: no topic, no directories, a later create starts empty', async () => {
    const dataDir = tempDir();
    expect(await crashAt(dataDir, 'create', 'create:directories')).toBe('SIGKILL');
    expect(partitionDirs(dataDir, 'born').sort()).toEqual(['born-0', 'born-1']);
    const b = await restart(dataDir);
    expect(b.broker.hasTopic('born')).toBe(false);
    expect(partitionDirs(dataDir, 'born')).toEqual([]);
  });

  it('killed right after the metadata: the topic exists with all its partitions', async () => {
    const dataDir = tempDir();
    expect(await crashAt(dataDir, 'create', 'create:metadata')).toBe('SIGKILL');
    const b = await restart(dataDir);
    expect(b.broker.partitionCount('born')).toBe(2);
  });
});
