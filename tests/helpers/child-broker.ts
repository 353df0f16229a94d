// A copyless broker in a child process (`node --import tsx broker/main.ts`),
// for tests that must kill it (SIGKILL: a process crash, nothing flushed or
// closed) and start it again on the same data dir and port.

import { type ChildProcess, spawn } from 'node:child_process';

export interface ChildBroker {
  readonly port: number;
  readonly address: string;
  readonly output: () => string;
  /** Sends `signal` and resolves once the process is gone. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** Starts a broker on `port` (0: any free port) and resolves once it printed its ready line. */
export function startChildBroker(dataDir: string, port = 0, extra: string[] = []): Promise<ChildBroker> {
  const args = ['--import', 'tsx', 'broker/main.ts', '--data-dir', dataDir, '--port', String(port), '--http-port', '-1', '--log-level', 'info', ...extra];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start within 30 s:\n${out}`)), 30_000);
    const onData = () => {
      const m = /ready: kafka 127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      const actual = Number(m[1]);
      resolve({
        port: actual,
        address: `127.0.0.1:${actual}`,
        output: () => out,
        async stop(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`broker exited before it was ready:\n${out}`));
    });
  });
}
