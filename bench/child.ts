// Child processes of a benchmark run (the broker under test, load-generating
// clients, the loopback sink) and the small request/response protocol spoken
// with them over Node's IPC channel:
//
//   parent -> child  { id, op, args }                       run handler `op`
//   child  -> parent { type: 'ready', info }                once, after start-up
//                    { type: 'event', id, data }            progress of request `id`
//                    { type: 'result', id, ok, value|error } its end
//
// Each child runs TypeScript through tsx (`node --import tsx entry.ts`).
// COPYLESS_BENCH_CHILD_ARGS adds Node flags to every child, e.g.
// `--cpu-prof --cpu-prof-dir=prof` to profile the broker and the clients.

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** How long a child may take to say it is ready (Node + tsx start-up plus a broker's recovery of an empty dir). */
const CHILD_READY_MS_MAX = 20_000;
/** How long a child may take to exit after being asked before it is killed. */
const CHILD_EXIT_MS_MAX = 10_000;
/** Characters of a child's stderr kept to explain a failure. */
const STDERR_TAIL_CHARS = 4000;

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

type Pending = { resolve(v: unknown): void; reject(e: Error): void; onEvent?: (data: unknown) => void };

export class Child {
  readonly pid: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Promise<void>;
  private stderrTail = '';
  private gone = false;

  private constructor(
    private readonly proc: ChildProcess,
    readonly name: string,
    readonly info: unknown,
  ) {
    this.pid = proc.pid as number;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.on('message', (m) => this.onMessage(m as ChildMessage));
    proc.on('exit', (code, signal) => {
      this.gone = true;
      const why = new Error(`${name} (pid ${this.pid}) exited (${signal ?? code}) ${this.stderrTail.trim()}`.trim());
      for (const p of this.pending.values()) p.reject(why);
      this.pending.clear();
    });
  }

  /** Start `entry` (an absolute .ts path) and wait for its ready message. */
  static start(entry: string, o: { name: string; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<Child> {
    const extra = (process.env.COPYLESS_BENCH_CHILD_ARGS ?? '').split(/\s+/).filter(Boolean);
    const proc = spawn(process.execPath, [...extra, '--import', tsxLoader, entry, ...(o.args ?? [])], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, ...o.env },
    });
    let stderr = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_TAIL_CHARS);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${o.name} did not start within ${CHILD_READY_MS_MAX} ms: ${stderr.trim()}`));
      }, CHILD_READY_MS_MAX);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${o.name} exited (${code}) before it was ready: ${stderr.trim()}`));
      };
      proc.once('exit', onExit);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      proc.on('message', function ready(m: unknown) {
        const msg = m as ChildMessage;
        if (msg?.type !== 'ready') return;
        clearTimeout(timer);
        proc.off('exit', onExit);
        proc.off('message', ready);
        const child = new Child(proc, o.name, msg.info);
        proc.stderr?.on('data', (s: string) => {
          child.stderrTail = (child.stderrTail + s).slice(-STDERR_TAIL_CHARS);
        });
        child.stderrTail = stderr;
        resolve(child);
      });
    });
  }

  /** Run handler `op` in the child; `onEvent` receives the progress events it emits. */
  call<T>(op: string, args: unknown = {}, onEvent?: (data: unknown) => void): Promise<T> {
    if (this.gone) return Promise.reject(new Error(`${this.name} is no longer running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent });
      this.proc.send({ id, op, args });
    });
  }

  /** Ask the child to exit (it runs its own clean-up), killing it if it does not within CHILD_EXIT_MS_MAX. */
  async stop(): Promise<void> {
    if (this.gone) return;
    this.call('exit').catch(() => {});
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), CHILD_EXIT_MS_MAX);
    await this.exited;
    clearTimeout(timer);
  }

  private onMessage(m: ChildMessage): void {
    if (m?.type === 'event') this.pending.get(m.id)?.onEvent?.(m.data);
    if (m?.type !== 'result') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(Object.assign(new Error(`${this.name}: ${m.error.message}`), { childStack: m.error.stack }));
  }
}

type ChildMessage =
  | { type: 'ready'; info: unknown }
  | { type: 'event'; id: number; data: unknown }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: { message: string; stack?: string } };

export type Handler = (args: any, emit: (data: unknown) => void) => unknown;

/**
 * Child side: answer requests with `handlers`, then say ready. An `exit`
 * request runs `onExit` and exits; so does the parent going away, so no
 * child outlives a killed benchmark.
 */
export function serveParent(handlers: Record<string, Handler>, info: unknown, onExit: () => Promise<void> = async () => {}): void {
  if (!process.send) throw new Error('this file runs as a child of copyless bench (it needs an IPC channel)');
  const send = (m: ChildMessage) => process.connected && process.send!(m);
  let exiting = false;
  const exit = async () => {
    if (exiting) return;
    exiting = true;
    await onExit().catch(() => {});
    process.exit(0);
  };
  process.on('disconnect', exit);
  process.on('message', async (m: { id: number; op: string; args: unknown }) => {
    if (m.op === 'exit') {
      send({ type: 'result', id: m.id, ok: true, value: null });
      await exit();
      return;
    }
    const handler = handlers[m.op];
    try {
      if (!handler) throw new Error(`unknown operation ${m.op}`);
      const value = await handler(m.args, (data) => send({ type: 'event', id: m.id, data }));
      send({ type: 'result', id: m.id, ok: true, value });
    } catch (e) {
      const err = e as Error;
      send({ type: 'result', id: m.id, ok: false, error: { message: err?.message ?? String(e), stack: err?.stack } });
    }
  });
  send({ type: 'ready', info });
}
