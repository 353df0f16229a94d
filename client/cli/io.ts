// The CLI's streams and a buffered stdout writer.
//
// Output that may be piped (consume's values, one per line) is packed into
// 64 KiB chunks instead of one write per message, and the writer waits for
// 'drain' when the pipe is full, so `copyless consume ... | wc -l` runs at
// memory speed without buffering a whole topic. EPIPE (the reader went away,
// e.g. `| head`) is reported once through `closed` instead of crashing.

import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Progress bars only on a terminal. */
  stderrIsTTY: boolean;
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, stderrIsTTY: process.stderr.isTTY === true };
}

/** Bytes collected before one write(2) to stdout. */
const OUTPUT_CHUNK_BYTES = 64 * 1024;

export class OutputBuffer {
  private readonly out: Writable;
  private chunk = Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES);
  private filled = 0;
  private closedNow = false;
  private readonly onError = (e: NodeJS.ErrnoException) => {
    this.closedNow = true;
    if (e.code !== 'EPIPE') this.error = e;
  };
  error: Error | null = null;

  constructor(out: Writable) {
    this.out = out;
    out.on('error', this.onError);
  }

  /** True once the reader has gone away (EPIPE) or the stream failed. */
  get closed(): boolean {
    return this.closedNow;
  }

  /** Appends bytes; resolves at once unless a full chunk had to wait for the pipe to drain. */
  async write(data: Buffer | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.filled + buf.length > this.chunk.length) await this.flushChunk();
    if (buf.length > this.chunk.length) {
      await this.writeOut(buf);
      return;
    }
    buf.copy(this.chunk, this.filled);
    this.filled += buf.length;
  }

  /** `value` then a newline, without building an intermediate buffer. */
  async writeLine(value: Buffer | string | null): Promise<void> {
    if (value !== null) await this.write(value);
    if (this.filled + 1 > this.chunk.length) await this.flushChunk();
    this.chunk[this.filled++] = 0x0a;
  }

  /** Writes what is buffered and waits until the stream accepted it. */
  async flush(): Promise<void> {
    await this.flushChunk();
  }

  dispose(): void {
    this.out.off('error', this.onError);
  }

  private async flushChunk(): Promise<void> {
    if (this.filled === 0) return;
    const full = this.chunk.subarray(0, this.filled);
    this.chunk = Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES);
    this.filled = 0;
    await this.writeOut(full);
  }

  private writeOut(buf: Buffer): Promise<void> {
    if (this.closedNow) return Promise.resolve();
    if (this.out.write(buf)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('error', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('error', done);
      this.out.on('close', done);
    });
  }
}
