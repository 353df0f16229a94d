// Proves one broker owns a data dir: a second broker is refused with the holder's pid and changes no file, the lock dies with a SIGKILLed holder (also without the native addon), a failed start never writes the clean-shutdown marker, and a brand-new data dir is reported as new, not as an unclean shutdown.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/server.ts';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/log-manager.ts';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.ts';
import { batch } from '../storage/log-helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function broker(dataDir = tempDir(), cfg: Record<string, unknown> = {}): Promise<TestBroker> {
  const b = await startTestBroker(cfg, dataDir);
  cleanup.push(() => b.destroy());
  return b;
}

/** Every file and directory under `dir` with its size and mtime. */
function snapshot(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => {
    const full = path.join(e.parentPath, e.name);
    const st = fs.statSync(full);
    return `${path.relative(dir, full)} ${st.size} ${st.mtimeMs}`;
  }).sort();
}

/** `copyless broker` in a child process; resolves once it logged `ready`. */
async function childBroker(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/copyless.js', 'broker', '--data-dir', dataDir, '--port', '0', '--http-port', '-1'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(() => void child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child broker exited with ${code}: ${out}`)));
  });
  return child;
}

function logLines(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('data dir lock', () => {
  it('refuses a second broker on a live data dir, naming the holder, and changes no file', async () => {
    const first = await broker();
    await first.broker.createTopic('t', { partitions: 1 });
    await first.broker.produce('t', 0, batch(3), { acks: -1, timeoutMs: 5000 });
    const before = snapshot(first.dataDir);
    await expect(startBroker({ dataDir: first.dataDir, port: 0, httpPort: -1 }, { logLevel: 'silent' })).rejects.toThrow(
      `data dir ${first.dataDir} is in use by broker pid ${process.pid}`,
    );
    expect(snapshot(first.dataDir)).toEqual(before);
    expect(first.broker.describeTopics(['t'])[0].partitions[0].logEndOffset).toBe(3);
  });

  it('is released when its holder is killed, with the native addon disabled', async () => {
    const dataDir = tempDir();
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const child = await childBroker(dataDir, { COPYLESS_NATIVE_DISABLE: '1' });
    await expect(startBroker({ dataDir, port: 0, httpPort: -1 }, { logLevel: 'silent' })).rejects.toThrow(`is in use by broker pid ${child.pid}`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const after = await startBroker({ dataDir, port: 0, httpPort: -1 }, { logLevel: 'silent' });
    cleanup.push(() => after.close());
    expect(after.broker.cleanShutdown).toBe(false); // the killed broker wrote no marker
  });

  it('a failed start (port in use) writes no clean-shutdown marker', async () => {
    const holder = await broker();
    const dataDir = tempDir();
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    await expect(startBroker({ dataDir, port: holder.port, httpPort: -1 }, { logLevel: 'silent' })).rejects.toThrow(/EADDRINUSE/);
    expect(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    // and the lock was given back
    await broker(dataDir);
  });

  it('logs a brand-new data dir as new, and a clean restart as clean', async () => {
    const dataDir = tempDir();
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const first = logLines();
    const a = await startBroker({ dataDir, port: 0, httpPort: -1 }, { logger: first.logger });
    await a.close();
    const opened = (lines: Record<string, unknown>[]) => lines.find((l) => l.msg === 'storage opened')!;
    expect(opened(first.lines)).toMatchObject({ newDataDir: true });
    expect(opened(first.lines)).not.toHaveProperty('cleanShutdown');
    const second = logLines();
    const b = await startBroker({ dataDir, port: 0, httpPort: -1 }, { logger: second.logger });
    await b.close();
    expect(opened(second.lines)).toMatchObject({ cleanShutdown: true });
  });

  it('logs one listening line per listener', async () => {
    const { logger, lines } = logLines();
    const dataDir = tempDir();
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const b = await startBroker({ dataDir, port: 0, httpPort: 0 }, { logger });
    cleanup.push(() => b.close());
    const listening = lines.map((l) => String(l.msg)).filter((m) => /listening/i.test(m));
    expect(listening).toEqual([`Kafka listener listening on 127.0.0.1:${b.port}`, `HTTP and WebSocket API listening on http://127.0.0.1:${b.httpPort} (ws path /ws)`]);
  });
});
