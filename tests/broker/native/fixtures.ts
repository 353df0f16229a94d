// Test fixtures for native sends: a loopback TCP pair, a temp file of random
// bytes, a reader that collects what arrives, and the open-descriptor count.

import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { native } from '../../../broker/native/index.ts';

export const MiB = 1024 * 1024;

/** A suite's name, carrying the reason when it is skipped because the addon is not there. */
export function nativeSuite(name: string): string {
  return native.available ? name : `${name} (skipped: native addon unavailable: ${native.reason})`;
}

export interface Loopback {
  /** The broker's side: the socket native sends write to. */
  server: net.Socket;
  /** The consumer's side, paused until a reader resumes it. */
  client: net.Socket;
  close(): Promise<void>;
}

export async function openLoopback(): Promise<Loopback> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  client.pause();
  await new Promise((resolve) => client.once('connect', resolve));
  const server = await accepted;
  // A reset peer surfaces as an 'error' event on the other side; the tests look at promises instead.
  server.on('error', () => {});
  client.on('error', () => {});
  return {
    server,
    client,
    async close() {
      await Promise.all([server, client].map((s) => (s.closed ? undefined : new Promise((resolve) => s.once('close', resolve).destroy()))));
      await new Promise((resolve) => listener.close(resolve));
    },
  };
}

/** Collects everything the client receives until it has `bytes` bytes or the connection ends. */
export function readAll(client: net.Socket, bytes: number, o: { startAfterMs?: number } = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  return new Promise((resolve) => {
    const done = () => resolve(Buffer.concat(chunks));
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= bytes) done();
    });
    client.once('close', done);
    // A reader that starts late lets the sender fill both socket buffers first: partial sends and EAGAIN.
    setTimeout(() => client.resume(), o.startAfterMs ?? 0);
  });
}

export interface TempFile {
  path: string;
  fd: number;
  data: Buffer;
  remove(): void;
}

export function tempFile(bytes: number): TempFile {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-native-'));
  const file = path.join(dir, 'segment.log');
  const data = crypto.randomBytes(bytes);
  fs.writeFileSync(file, data);
  const fd = fs.openSync(file, 'r');
  let open = true;
  return {
    path: file,
    fd,
    data,
    remove() {
      if (open) fs.closeSync(fd);
      open = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function openDescriptorCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}
