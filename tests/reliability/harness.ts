// What the reliability scenarios share: a broker child process (start, kill,
// restart on the same data dir), its RSS and open sockets read from /proc,
// a waiting helper, and a latency probe for "other clients" while a scenario
// misbehaves. Used by the CI tests (small sizes) and by `npm run soak`.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKey, encodeRequest } from '../../src/protocol/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tempDir(prefix = 'copyless-rel-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ChildBroker {
  readonly pid: number;
  readonly port: number;
  readonly httpPort: number;
  readonly address: string;
  readonly dataDir: string;
  /** SIGKILL: no shutdown, no flush, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the clean stop. */
  stop(): Promise<void>;
}

export async function startChildBroker(options: Record<string, unknown> & { dataDir: string }): Promise<ChildBroker> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/reliability/broker-child.ts'), JSON.stringify({ httpPort: -1, ...options })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [port, httpPort] = await new Promise<[number, number]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`broker child did not start within 60 s: ${stderr}`)), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /READY (\d+) (-?\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve([Number(m[1]), Number(m[2])]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker child exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return {
    pid: child.pid!,
    port,
    httpPort,
    address: `127.0.0.1:${port}`,
    dataDir: options.dataDir,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface ProcSample {
  rssBytes: number;
  /** Open socket descriptors (listening sockets included). */
  sockets: number;
}

/** RSS and open sockets of a process, from /proc (Linux). */
export function procSample(pid: number): ProcSample {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  let sockets = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed while listing
    }
  }
  return { rssBytes: rssKb * 1024, sockets };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the largest seen. */
export function rssWatcher(pid: number, everyMs = 100): { stop(): number } {
  let max = procSample(pid).rssBytes;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, procSample(pid).rssBytes);
    } catch {
      // the process is gone
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A well-behaved client measuring round trips (Kafka ApiVersions on one
 * connection) every `everyMs` while a scenario runs: the "other clients" whose
 * latency must stay bounded.
 */
export async function latencyProbe(port: number, everyMs = 50): Promise<{ stop(): Promise<{ count: number; p50Ms: number; p99Ms: number; maxMs: number; failures: number }> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
  socket.on('error', () => {});
  const samples: number[] = [];
  let failures = 0;
  let running = true;
  let correlationId = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5000);
        socket.once('data', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.write(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 2, correlationId: correlationId++, clientId: 'probe' }, {}));
      });
      if (ok) samples.push(performance.now() - started);
      else failures++;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      socket.destroy();
      const sorted = [...samples].sort((a, b) => a - b);
      const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
      return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? NaN, failures };
    },
  };
}

export const MiB = 1024 * 1024;
export const mb = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
