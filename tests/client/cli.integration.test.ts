// Proves the copyless CLI end to end against a real broker by calling main(argv) with captured streams: stdin lines produced and consumed back exactly (stdout carries the values and nothing else), --json output, synthetic --count/--size, the topic and stats commands, usage errors, and that failures say what happened and what was kept (no broker, an HTTP port, missing or invalid topics, offsets outside the log, a refused record, Ctrl-C).
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../client/cli/main.ts';
import { Copyless } from '../../client/index.ts';
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
  return runAt(fx.address(), args, stdin);
}

async function runAt(broker: string, args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdin: Readable.from(stdin.length > 0 ? [Buffer.from(stdin)] : []), stdout, stderr, stderrIsTTY: false };
  const code = await main([...args, ...(args[0] === 'broker' || args.includes('--help') ? [] : ['--broker', broker])], io);
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


describe('copyless CLI: failures say what happened and what was kept', () => {
  it('prints its version', async () => {
    const r = await main(['--version'], { stdin: Readable.from([]), stdout: new Capture(), stderr: new Capture(), stderrIsTTY: false });
    expect(r).toBe(0);
  });

  it('says there is no broker, in words, when nothing listens', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const r = await runAt(`127.0.0.1:${port}`, ['topic', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`copyless: no broker at 127.0.0.1:${port} — is it running? (\`npx copyless broker\`)\n`);
  });

  it('says so when pointed at an HTTP port', async () => {
    const server = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await runAt(`127.0.0.1:${port}`, ['topic', 'list']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`127.0.0.1:${port} answered in HTTP: that is an HTTP port, not a Kafka listener`);
      expect(r.stderr).not.toContain('1213486160');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('consume and topic describe never create a topic; an invalid name is called invalid', async () => {
    const consumed = await run(['consume', 'cli-never-created', '--exit-at-end']);
    expect(consumed.code).toBe(1);
    expect(consumed.stderr).toContain('topic "cli-never-created" does not exist');
    const described = await run(['topic', 'describe', 'cli-never-described']);
    expect(described.code).toBe(1);
    expect(described.stderr).toContain('topic "cli-never-described" does not exist');
    const names = (await run(['topic', 'list'])).stdout.split('\n');
    expect(names).not.toContain('cli-never-created');
    expect(names).not.toContain('cli-never-described');
    const invalid = await run(['topic', 'describe', '../x']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^copyless: INVALID_TOPIC_EXCEPTION: topic name "\.\.\/x" is invalid/);
  });

  it('an offset outside the log is an error naming the range, unless --reset says where to go', async () => {
    await run(['produce', 'cli-range', '--partition', '0'], 'a\nb\nc\n');
    const past = await run(['consume', 'cli-range', '--partition', '0', '--offset', '99999999', '--count', '3']);
    expect(past.code).toBe(1);
    expect(past.stdout).toBe('');
    expect(past.stderr).toContain('OFFSET_OUT_OF_RANGE: offset 99999999 of cli-range/0 is out of range: the log holds offsets 0..2 (log start 0, log end 3); add --reset earliest or --reset latest');
    const earliest = await run(['consume', 'cli-range', '--partition', '0', '--offset', '99999999', '--count', '3', '--reset', 'earliest']);
    expect(earliest).toMatchObject({ code: 0, stdout: 'a\nb\nc\n' });
  });

  it('a failed produce says how many records were acknowledged and the first input line that was not', async () => {
    const admin = new Copyless({ brokers: [fx.address()] }).admin();
    await admin.createTopics({ topics: [{ topic: 'cli-small', configEntries: [{ name: 'max.message.bytes', value: '1024' }] }] });
    await admin.disconnect();
    const lines = ['l1', 'l2', 'l3', 'l4', 'l5', 'x'.repeat(3000), 'l7', 'l8', 'l9', 'l10', 'l11'];
    const r = await run(['produce', 'cli-small', '--batch-bytes', '200'], lines.join('\n') + '\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MESSAGE_TOO_LARGE: produce to cli-small\/0: MESSAGE_TOO_LARGE: the record \(a batch of 1\) is \d+ bytes, over messageBytesMax=1024/);
    expect(r.stderr).toContain('stopped: 10 records acknowledged; first input line not acknowledged: 6 (5 later input lines were acknowledged)');
    const stored = await run(['consume', 'cli-small', '--from-beginning', '--exit-at-end']);
    expect(stored.stdout).toBe(['l1', 'l2', 'l3', 'l4', 'l5', 'l7', 'l8', 'l9', 'l10', 'l11'].join('\n') + '\n');
  });

  it('Ctrl-C stops a produce: exit 130, with what was acknowledged and the first line that was not', async () => {
    const child = spawn(process.execPath, ['bin/copyless.js', 'produce', 'cli-interrupted', '--broker', fx.address(), '--acks', '1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.write(Array.from({ length: 100 }, (_, i) => `line${i + 1}`).join('\n') + '\n');
    const admin = new Copyless({ brokers: [fx.address()] }).admin();
    try {
      for (let i = 0; i < 200; i++) {
        const [t] = (await admin.listTopics()).includes('cli-interrupted') ? await admin.describeTopics(['cli-interrupted']) : [];
        if (t?.partitions[0].logEndOffset === 100) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await admin.disconnect();
    }
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted: 100 records acknowledged; first input line not acknowledged: 101\n');
  });

  it('lists every fetch mode in consume --help', async () => {
    const r = await run(['consume', '--help']);
    for (const mode of ['copy', 'mmap', 'sendfile', 'splice', 'native-sendfile', 'native-copy']) expect(r.stdout).toContain(mode);
  });
});

describe('copyless broker (child process)', () => {
  const broker = (args: string[]) => spawnSync(process.execPath, ['bin/copyless.js', 'broker', ...args], { encoding: 'utf8' });

  it('--help names the command and shows no null or Infinity defaults', () => {
    const r = broker(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: copyless broker /);
    expect(r.stdout).not.toMatch(/default null|Infinity/);
  });

  it('validates --log-level like every other flag', () => {
    const r = broker(['--log-level', 'loud', '--data-dir', '/nonexistent/never-created']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('logLevel (--log-level, COPYLESS_LOG_LEVEL): expected one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  });
});
