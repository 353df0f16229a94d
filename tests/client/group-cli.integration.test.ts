// Proves the CLI's consumer-group commands end to end by calling main(argv) with captured streams: two concurrent `consume --group` runs print every message exactly once between them and leave zero lag in `group describe`; `group reset-offsets` moves the commits and a new `consume --group` re-reads from there; `--count` commits exactly what it printed; mistakes are typed errors.
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../client/cli/main.ts';
import type { CliIo } from '../../client/cli/io.ts';
import { Copyless } from '../../client/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';

const TOPIC = 'cli-grouped';
const GROUP = 'cli-group';
const PARTITIONS = 4;
const COUNT = 20_000;
/** Quick rebalances: the broker's session floor is lowered to match. */
const FAST = ['--session-timeout-ms', '2000', '--heartbeat-interval-ms', '100', '--max-wait-ms', '100'];

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ pageCacheMb: 32 });
  tb.groups.settings.sessionTimeoutMsMin = 500;
  const client = new Copyless({ brokers: [tb.address] });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  const producer = client.producer({ lingerMs: 2 });
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: String(i) })) });
  await producer.disconnect();
});

afterAll(async () => {
  await tb.destroy();
});

class Capture extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdin: Readable.from([]), stdout, stderr, stderrIsTTY: false };
  const code = await main([...args, '--broker', tb.address], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const lines = (s: string) => (s === '' ? [] : s.trimEnd().split('\n').map(Number));
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const consumeGroup = (...extra: string[]) => run(['consume', TOPIC, '--group', GROUP, '--exit-at-end', ...FAST, ...extra]);

describe('copyless consume --group', () => {
  it('two concurrent members print every message exactly once together, then describe shows zero lag', async () => {
    const [a, b] = await Promise.all([consumeGroup('--from-beginning'), consumeGroup('--from-beginning')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(sorted([...lines(a.stdout), ...lines(b.stdout)])).toEqual(range(0, COUNT));
    expect(a.stderr).toMatch(/^joining group cli-group for cli-grouped/);
    expect(a.stderr + b.stderr).toMatch(/group cli-group generation \d+: assigned partitions? [\d,]+/);

    const described = await run(['group', 'describe', GROUP, '--json']);
    expect(described.code).toBe(0);
    const d = JSON.parse(described.stdout);
    expect(d).toMatchObject({ groupId: GROUP, state: 'Empty', members: 0, totalLag: 0 });
    expect(d.partitions.map((p: { committedOffset: number; logEndOffset: number }) => p.committedOffset - p.logEndOffset)).toEqual([0, 0, 0, 0]);

    const table = await run(['group', 'describe', GROUP]);
    expect(table.stdout).toMatch(/^group cli-group: Empty, protocol -, generation \d+, 0 members, total lag 0 msgs\n/);
    expect(table.stdout).toContain('topic        partition  committed offset  log end offset  lag msgs  lag bytes  oldest unconsumed age  owner');
    const listed = await run(['group', 'list']);
    expect(listed.stdout).toMatch(/^group +state +protocol type +members\ncli-group +Empty +consumer +0\n$/);
  });

  it('reset-offsets moves the commits; --count commits exactly what it printed; the next member reads the rest', async () => {
    const reset = await run(['group', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--json']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual(range(0, PARTITIONS).map((partition) => ({ topic: TOPIC, partition, offset: 0 })));

    const first = await run(['consume', TOPIC, '--group', GROUP, '--count', '7', ...FAST]);
    expect(lines(first.stdout)).toHaveLength(7);
    const d = JSON.parse((await run(['group', 'describe', GROUP, '--json'])).stdout);
    expect(d.totalLag).toBe(COUNT - 7);
    const rest = await consumeGroup();
    expect(sorted([...lines(first.stdout), ...lines(rest.stdout)])).toEqual(range(0, COUNT));

    const one = await run(['group', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-offset', '3', '--partition', '2']);
    expect(one.stdout).toMatch(/^group cli-group: committed offsets of cli-grouped moved to offset 3\n\ntopic +partition +new offset\ncli-grouped +2 +3\n$/);
    const partition2 = await consumeGroup('--json');
    const objects = partition2.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(objects.every((o) => o.partition === 2)).toBe(true);
    expect(objects[0].offset).toBe(3);
    expect(JSON.parse((await run(['group', 'describe', GROUP, '--json'])).stdout).totalLag).toBe(0);
  });

  it('reports mistakes as typed errors', async () => {
    expect(await run(['consume', TOPIC, '--group', GROUP, '--offset', '3'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^copyless: INVALID_CONFIG: --offset cannot be used with --group/) });
    expect(await run(['consume', TOPIC, '--session-timeout-ms', '3000'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^copyless: INVALID_CONFIG: --session-timeout-ms needs --group/) });
    expect(await run(['group', 'reset-offsets', GROUP, '--topic', TOPIC])).toMatchObject({ code: 1, stderr: expect.stringMatching(/exactly one of --to-earliest/) });
    expect(await run(['group', 'reset-offsets', GROUP, '--topic', 'nope', '--to-latest'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^copyless: UNKNOWN_TOPIC_OR_PARTITION/) });
    expect(await run(['group', 'describe', 'no-such-group'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^copyless: GROUP_ID_NOT_FOUND/) });
    expect((await run(['group', 'reset-offsets', GROUP, '--to-latest'])).code).toBe(2); // --topic is required
  });
});
