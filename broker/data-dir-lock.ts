// One broker per data dir (Kafka's `.lock` file in each log dir). Two brokers
// on one data dir would both append to the same segment files and both
// rewrite the checkpoint and the clean-shutdown marker, losing acknowledged
// records; so the broker takes this lock before it reads or writes anything
// in the data dir, and a second broker exits without touching a file.
//
// Why a socket and not a lock file. The lock must die with its process, also
// on SIGKILL or a crash, or a restart after a crash would be refused. Kafka
// holds flock(2) on `.lock`; Node has no flock in core, and the packages that
// add it (fs-ext, os-lock) compile native code at install, which a fresh
// `npm ci` may not be allowed to run (the native addon is optional for the
// same reason). A pid file outlives its process and needs guessing whether a
// pid was reused. What Node has is a socket: on Linux, a Unix socket in the
// abstract namespace (a name starting with NUL) is a kernel object with no
// file: bind(2) fails with EADDRINUSE while another process holds the name,
// and the kernel releases it when that process dies, however it dies. The
// name is derived from the data dir's device and inode, so every path to the
// same directory (relative, symlinked, bind-mounted) maps to one lock. The
// holder answers a connection with its pid, which the refused broker reports.
//
// Limits: abstract names are per network namespace, so two containers that
// share a data dir but not a network namespace do not see each other's lock.
// Other systems have no abstract namespace; there the lock is a socket file
// `.copyless.lock` in the data dir, probed by connecting (a stale file from a
// dead broker refuses the connection and is replaced).

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CopylessError } from '../src/errors.ts';
import { mkdirDurable } from '../src/storage/file-io.ts';

/** How long the refused broker waits for the holder to say its pid. */
const HOLDER_ANSWER_TIMEOUT_MS = 1_000;
const LOCK_FILE = '.copyless.lock';

export class DataDirLock {
  private constructor(
    private readonly server: net.Server,
    private readonly file: string | null,
  ) {}

  /**
   * Creates the data dir if missing (its parent gains an entry; nothing is
   * written inside it) and takes the lock, or fails with the holder's pid.
   */
  static async acquire(dataDir: string): Promise<DataDirLock> {
    mkdirDurable(dataDir);
    const st = fs.statSync(dataDir);
    const useFile = process.platform !== 'linux';
    const address = useFile ? path.join(dataDir, LOCK_FILE) : `\0copyless-data-dir:${st.dev}:${st.ino}`;
    const server = net.createServer((socket) => socket.end(`${JSON.stringify({ pid: process.pid })}\n`));
    server.unref();
    try {
      await listen(server, address);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      const holder = await askHolder(address);
      if (holder === 'gone' && useFile) {
        // A socket file left by a broker that died: nobody listens on it.
        fs.rmSync(address, { force: true });
        await listen(server, address);
        return new DataDirLock(server, address);
      }
      throw inUse(dataDir, holder === 'gone' ? null : holder);
    }
    return new DataDirLock(server, useFile ? address : null);
  }

  /** Gives the lock up (after the broker's last write to the data dir). */
  async release(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.file !== null) fs.rmSync(this.file, { force: true });
  }
}

function inUse(dataDir: string, pid: number | null): CopylessError {
  const who = pid === null ? 'another broker' : `broker pid ${pid}`;
  return new CopylessError('KAFKA_STORAGE_ERROR', `data dir ${path.resolve(dataDir)} is in use by ${who}`, { field: 'dataDir', dataDir, pid, dataDirLocked: true });
}

function listen(server: net.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The holder's pid; null when it holds the lock but did not answer in time; 'gone' when nobody listens. */
function askHolder(address: string): Promise<number | null | 'gone'> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect(address);
    const timer = setTimeout(() => finish(null), HOLDER_ANSWER_TIMEOUT_MS);
    const finish = (answer: number | null | 'gone') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      const pid = /^\{"pid":(\d+)\}$/.exec(text.trim())?.[1];
      finish(pid === undefined ? null : Number(pid));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'gone' : null));
  });
}
