// Test helpers: a broker on port 0 with its own temp data dir, and a raw Kafka
// protocol client (our codec over a plain socket) for wire-level tests.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../../broker/server.ts';
import type { OptionName } from '../../broker/config.ts';
import { FrameDecoder, decodeResponse, encodeRequest, type RequestHeader } from '../../src/protocol/index.ts';

export function tempDir(prefix = 'copyless-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestBroker extends RunningBroker {
  dataDir: string;
  address: string;
  /** Stop the broker and remove its data dir. */
  destroy(): Promise<void>;
}

export async function startTestBroker(cfg: Partial<Record<OptionName, unknown>> = {}, dataDir = tempDir()): Promise<TestBroker> {
  const running = await startBroker({ dataDir, port: 0, httpPort: -1, ...cfg }, { logLevel: process.env.COPYLESS_TEST_LOG ?? 'silent' });
  return Object.assign(running, {
    dataDir,
    address: `127.0.0.1:${running.port}`,
    async destroy() {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A minimal Kafka client for wire tests: send encoded requests, receive decoded responses in order. */
export class RawClient {
  readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder({ frameBytesMax: 256 * 1024 * 1024 });
  private readonly frames: Buffer[] = [];
  private readonly waiting: Array<(f: Buffer | null) => void> = [];
  private correlationId = 1;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      for (const f of this.decoder.push(chunk)) {
        const w = this.waiting.shift();
        if (w) w(f);
        else this.frames.push(f);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  header(apiKey: number, apiVersion: number): RequestHeader {
    return { apiKey, apiVersion, correlationId: this.correlationId++, clientId: 'raw-test' };
  }

  send(header: RequestHeader, body: unknown): void {
    this.socket.write(encodeRequest(header, body));
  }

  /** The next response frame, or null if the connection closed first. */
  nextFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response within timeout')), timeoutMs);
      this.waiting.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  async request(apiKey: number, apiVersion: number, body: unknown): Promise<any> {
    const h = this.header(apiKey, apiVersion);
    this.send(h, body);
    const frame = await this.nextFrame();
    if (!frame) throw new Error('connection closed');
    const r = decodeResponse(h, frame);
    if (r.correlationId !== h.correlationId) throw new Error(`correlation ${r.correlationId} != ${h.correlationId}`);
    return r.body;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Poll `cond` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
