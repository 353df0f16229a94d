// Proves the copyless CLI end to end against a real broker by calling main(argv) with captured streams: stdin lines produced and consumed back exactly (stdout carries the values and nothing else), --json output, synthetic --count/--size, the topic and stats commands, and usage errors.
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../client/cli/main.ts';
import type { CliIo } from '../../client/cli/io.ts';
import { type BrokerFixture, startTestBroker } from './broker-fixture.ts';

let fx: BrokerFixture;
beforeAll(async () => {
  fx = await startTestBroker();
});
afterAll(async () => {
  await fx.close();
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

async function run(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdin: Readable.from(stdin.length > 0 ? [Buffer.from(stdin)] : []), stdout, stderr, stderrIsTTY: false };
  const code = await main([...args, ...(args[0] === 'broker' ? [] : ['--broker', fx.address()])], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('copyless CLI', () => {
  it('produces stdin lines and consumes exactly those lines back, values only on stdout', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => String(i + 1));
    const produced = await run(['produce', 'cli-demo'], lines.join('\n') + '\n');
    expect(produced).toMatchObject({ code: 0, stdout: '' });
    expect(produced.stderr).toMatch(/^produced 20000 msgs, \d+ bytes in [\d.]+ s: \d+ msgs\/s, [\d.]+ MB\/s\n$/);

    const consumed = await run(['consume', 'cli-demo', '--from-beginning', '--exit-at-end']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe(lines.join('\n') + '\n');
    expect(consumed.stderr).toContain('consumed 20000 msgs');
  });

  it('prints JSON: a produce summary and one object per consumed message', async () => {
    expect((await run(['topic', 'create', 'cli-json', '--partitions', '2'])).code).toBe(0);
    const produced = await run(['produce', 'cli-json', '--key', 'k1', '--partition', '1', '--acks', '1', '--json'], 'a\nb\r\nc');
    expect(produced.code).toBe(0);
    expect(JSON.parse(produced.stdout)).toMatchObject({ topic: 'cli-json', messages: 3, bytes: 9 });

    const consumed = await run(['consume', 'cli-json', '--partition', '1', '--offset', '1', '--count', '2', '--json']);
    expect(consumed.code).toBe(0);
    const objects = consumed.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(objects).toEqual([
      { partition: 1, offset: 1, timestamp: expect.any(Number), key: 'k1', value: 'b' },
      { partition: 1, offset: 2, timestamp: expect.any(Number), key: 'k1', value: 'c' },
    ]);
  });

  it('produces synthetic messages with --count and --size, and with --acks 0', async () => {
    expect((await run(['produce', 'cli-synthetic', '--count', '3000', '--size', '50'])).code).toBe(0);
    expect((await run(['produce', 'cli-synthetic', '--count', '1000', '--size', '50', '--acks', '0'])).code).toBe(0);
    const consumed = await run(['consume', 'cli-synthetic', '--from-beginning', '--count', '4000']);
    const values = consumed.stdout.trimEnd().split('\n');
    expect(values).toHaveLength(4000);
    expect(values.every((v) => v.length === 50)).toBe(true);
  });

  it('creates, lists, describes and deletes topics', async () => {
    expect(await run(['topic', 'create', 'cli-topic', '--partitions', '3'])).toMatchObject({ code: 0, stdout: 'created topic cli-topic with 3 partitions\n' });
    const again = await run(['topic', 'create', 'cli-topic']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^copyless: TOPIC_ALREADY_EXISTS: /);
    await run(['produce', 'cli-topic', '--partition', '2'], 'x\ny\n');
    expect((await run(['topic', 'list'])).stdout.split('\n')).toContain('cli-topic');
    const described = await run(['topic', 'describe', 'cli-topic']);
    expect(described.stdout).toMatch(/^topic cli-topic: 3 partitions, \d+ bytes/);
    expect(described.stdout).toMatch(/\n2\s+0\s+2\s+2\s+\d+\s+1\n/);
    expect(await run(['topic', 'delete', 'cli-topic'])).toMatchObject({ code: 0, stdout: 'deleted topic cli-topic\n' });
    expect((await run(['topic', 'list'])).stdout.split('\n')).not.toContain('cli-topic');
  });

  it('prints stats as a table, or the broker JSON exactly with --json', async () => {
    await run(['consume', 'cli-demo', '--from-beginning', '--count', '1']);
    const json = await run(['stats', '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(['modes', 'pageCache']));
    const text = await run(['stats']);
    expect(text.stdout).toMatch(/^counter\s/);
    expect(text.stdout).toContain('fetches');
  });

  it('exits 2 on usage mistakes and 0 for --help', async () => {
    expect((await run(['consume'])).code).toBe(2);
    expect((await run(['produce', 't', '--acks', '3'])).code).toBe(2);
    expect((await run(['consume', 't', '--count', 'x'])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
    const both = await run(['consume', 't', '--from-beginning', '--offset', '3']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('--from-beginning or --offset');
  });
});

