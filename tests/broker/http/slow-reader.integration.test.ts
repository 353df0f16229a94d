// Proves HTTP answers are bounded for slow readers: a large JSON fetch is
// streamed round by round (a reader that stops has made the broker read only
// a few rounds, and is cut off once stalled), the streamed answer is the same
// JSON a client expects, and copy-mode raw answers wait for room in the
// broker-wide held-bytes budget instead of all being allocated at once.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { HTTP_JSON_ROUND_BYTES } from '../../../src/limits.ts';
import { startTestBroker, waitFor, type TestBroker } from '../../helpers/broker.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

let broker: TestBroker | null = null;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await broker?.destroy();
  broker = null;
});

/** Fill a topic with `batches` batches of 16 records of 60 KiB (about 1 MiB each). */
async function fill(b: TestBroker, topic: string, batches: number): Promise<void> {
  await b.broker.createTopic(topic, { partitions: 1 });
  for (let i = 0; i < batches; i++) {
    const batch = encodeRecordBatch(Array.from({ length: 16 }, (_, j) => ({ value: Buffer.alloc(60 * KiB, 97 + ((i + j) % 26)) })));
    await b.broker.produce(topic, 0, batch, { acks: 1, timeoutMs: 5000 });
  }
}

/** Send a GET and never read the answer: the socket's receive buffer fills and the broker's writes stall. */
function stalledGet(port: number, path: string, headers: Record<string, string> = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`);
      s.pause();
      resolve(s);
    });
    s.on('error', () => {});
    s.once('error', reject);
    sockets.push(s);
  });
}

/** The HTTP server's open connections (a paused client socket never sees the close itself). */
function httpConnections(b: TestBroker): Promise<number> {
  return new Promise((resolve, reject) => b.http!.app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

async function waitForConnections(b: TestBroker, n: number, timeoutMs = 6000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await httpConnections(b)) !== n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} HTTP connections`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('HTTP slow readers', () => {
  it('stream a large JSON fetch: a reader that stops costs a few rounds, and is cut off once stalled', async () => {
    broker = await startTestBroker({ httpPort: 0, connectionStallMs: 1000 });
    await fill(broker, 'big', 40);
    const s = await stalledGet(broker.httpPort!, `/topics/big/partitions/0/records?offset=0&maxBytes=${40 * MiB}`);
    await new Promise((r) => setTimeout(r, 400));
    // Only what fits in the socket buffers has been read from the log, not the 40 MiB asked for.
    const copied = broker.broker.fetchStats.snapshot().modes.copy.bytes;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(16 * MiB);
    expect(await httpConnections(broker)).toBe(1);
    await waitForConnections(broker, 0);
    await waitFor('the budget to empty', () => broker!.http!.app.heldBytes.usedBytes === 0);
    expect(s.readableLength + s.bytesRead).toBeLessThan(16 * MiB);
  });

  it('answer a multi-round JSON fetch with every record once, in order, and summed accounting', async () => {
    broker = await startTestBroker({ httpPort: 0 });
    await fill(broker, 'rounds', 6);
    const maxBytes = 3 * MiB;
    const res = await fetch(`http://127.0.0.1:${broker.httpPort}/topics/rounds/partitions/0/records?offset=5&maxBytes=${maxBytes}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ topic: 'rounds', partition: 0, fetchMode: 'copy', highWatermark: 96, logStartOffset: 0 });
    const offsets = body.records.map((r: { offset: number }) => r.offset);
    // Whole batches of 16 records (960 KiB of values each) up to maxBytes: three fit in 3 MiB, from offset 5 on.
    expect(offsets).toEqual(Array.from({ length: 43 }, (_, i) => 5 + i));
    expect(body.nextOffset).toBe(48);
    expect(body.records[0].value).toBe(Buffer.alloc(60 * KiB, 97 + 5).toString());
    expect(body.accounting.bytes).toBeGreaterThan(2 * HTTP_JSON_ROUND_BYTES);
    expect(body.accounting.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('make copy-mode raw answers wait for room in httpHeldBytesMax', async () => {
    broker = await startTestBroker({ httpPort: 0, httpHeldBytesMax: 64 * KiB, connectionStallMs: 1500 });
    // 16 MiB answers: more than loopback's socket buffers hold (up to ~10 MiB with autotuning), so a reader that stops stalls the write.
    await fill(broker, 'raw', 18);
    const held = broker.http!.app.heldBytes;
    const path = `/topics/raw/partitions/0/records?offset=0&maxBytes=${16 * MiB}&fetchMode=copy`;
    await stalledGet(broker.httpPort!, path, { accept: 'application/octet-stream' });
    await waitFor('the first answer to be charged', () => held.usedBytes > 0);
    await stalledGet(broker.httpPort!, path, { accept: 'application/octet-stream' });
    await waitFor('the second answer to wait', () => held.waitingCount === 1);
    expect(held.usedBytesMax).toBeLessThanOrEqual(16 * MiB);
    // The first reader stalls and is cut off; then the second gets its turn (and stalls in turn).
    await waitForConnections(broker, 1);
    await waitFor('the second answer to be charged', () => held.waitingCount === 0 && held.usedBytes > 0);
    await waitForConnections(broker, 0);
    await waitFor('the budget to empty', () => held.usedBytes === 0);
  });
});
