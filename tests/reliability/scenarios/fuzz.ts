// Fuzzed and mutated frames against a broker process: valid requests of every
// API (the codec samples, at every advertised version) are mutated (bytes
// flipped, size fields rewritten, truncated, padded with garbage, API key or
// version changed, spliced together) and sent over many short connections,
// split at random points, some clients reading the answers and some never
// reading. Afterwards the broker must hold no socket beyond its listeners
// (nothing leaked), its RSS must have stayed bounded, and a normal client
// must still produce and consume.
//
// CreateTopics and DeleteTopics are left out of the corpus: a mutated one
// would create or delete topics, which an unauthenticated client may do by
// design (docs/security.md), and a run must stay bounded on disk.

import net from 'node:net';
import { Copyless } from '../../../client/index.ts';
import { ApiKey, encodeRequest, SUPPORTED_VERSIONS } from '../../../src/protocol/index.ts';
import { REQUESTS } from '../../protocol/samples.ts';
import { procSample, rssWatcher, sleep, startChildBroker, tempDir, waitFor } from '../harness.ts';
import { readPartition } from './records.ts';

export interface FuzzOptions {
  frames: number;
  /** Connections open at once. */
  concurrency: number;
  /** Most frames one connection sends. */
  framesPerConnectionMax: number;
  seed?: number;
  /** Broker options (e.g. a small frameBytesMax). */
  broker?: Record<string, unknown>;
}

export interface FuzzResult {
  frames: number;
  connections: number;
  bytesSent: number;
  socketsBefore: number;
  socketsAfter: number;
  leakedSockets: number;
  rssBeforeBytes: number;
  rssMaxBytes: number;
  rssAfterBytes: number;
  normalClientOk: boolean;
  durationMs: number;
}

const SKIPPED = new Set<number>([ApiKey.CreateTopics, ApiKey.DeleteTopics]);

function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (const [apiKey, body] of REQUESTS) {
    if (SKIPPED.has(apiKey)) continue;
    const range = SUPPORTED_VERSIONS.get(apiKey);
    if (!range) continue;
    for (let v = range.min; v <= range.max; v++) {
      try {
        out.push(encodeRequest({ apiKey, apiVersion: v, correlationId: 1, clientId: 'fuzz' }, { ...body, topicData: retarget(body.topicData) }));
      } catch {
        // a sample field absent at this version: skip it
      }
    }
  }
  return out;
}

/** Produce samples write to the fuzz topic, so valid mutations land somewhere bounded. */
function retarget(topicData: unknown): unknown {
  if (!Array.isArray(topicData)) return topicData;
  return topicData.map((t: Record<string, unknown>) => ({ ...t, name: 'fuzz' }));
}

class Rng {
  constructor(private seed: number) {}
  next(): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return this.seed / 0x80000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

function mutate(frame: Buffer, rng: Rng): Buffer {
  const b = Buffer.from(frame);
  switch (rng.int(8)) {
    case 0: // flip a few bytes anywhere after the size field
      for (let i = rng.int(8) + 1; i > 0; i--) if (b.length > 4) b[4 + rng.int(b.length - 4)] ^= 1 + rng.int(255);
      return b;
    case 1: // a lying size field: negative, huge, or off by a little
      b.writeInt32BE([-1 - rng.int(1000), 0x7fffffff - rng.int(1000), b.length - 4 + rng.int(64) - 32, rng.int(1 << 26)][rng.int(4)], 0);
      return b;
    case 2: // truncated, with the size field fixed up
      return withSize(b.subarray(4, 4 + rng.int(b.length - 4)));
    case 3: // garbage appended inside the frame
      return withSize(Buffer.concat([b.subarray(4), randomBytes(rng, rng.int(256))]));
    case 4: // another API key or version
      if (b.length >= 8) {
        b.writeInt16BE(rng.int(3) === 0 ? rng.int(65536) - 32768 : rng.int(40), 4);
        b.writeInt16BE(rng.int(20) - 2, 6);
      }
      return b;
    case 5: // the clientId length field
      if (b.length >= 14) b.writeInt16BE(rng.int(65536) - 32768, 12);
      return b;
    case 6: // pure garbage
      return randomBytes(rng, 1 + rng.int(512));
    default: // a valid frame, unchanged
      return b;
  }
}

function withSize(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

/** One fuzz connection: send its frames in random pieces, then read or not, then close. */
function fuzzConnection(port: number, frames: Buffer[], rng: Rng): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const bytes = Buffer.concat(frames);
    const reads = rng.int(3) !== 0;
    const finish = () => {
      s.destroy();
      resolve(bytes.length);
    };
    s.on('error', () => {});
    s.on('close', finish);
    if (reads) s.on('data', () => {});
    else s.pause();
    s.once('connect', async () => {
      let pos = 0;
      while (pos < bytes.length && !s.destroyed) {
        const n = 1 + rng.int(Math.min(bytes.length - pos, rng.int(4) === 0 ? 16 : 65536));
        s.write(bytes.subarray(pos, pos + n));
        pos += n;
        if (rng.int(4) === 0) await new Promise((r) => setImmediate(r));
      }
      // Half-close, wait a moment for answers or the broker's close, or just go.
      const ending = rng.int(3);
      if (ending === 0) s.end();
      setTimeout(finish, ending === 2 ? 0 : 20 + rng.int(200));
    });
  });
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const dataDir = tempDir('copyless-fuzz-');
  const broker = await startChildBroker({ dataDir, autoCreateTopics: false, connectionsMaxIdleMs: 10_000, ...o.broker });
  const seedClient = new Copyless({ brokers: [broker.address] }).admin();
  await seedClient.connect();
  await seedClient.createTopics({ topics: [{ topic: 'fuzz', numPartitions: 2 }, { topic: 'normal', numPartitions: 1 }] });
  await seedClient.disconnect();
  await sleep(200);
  const before = procSample(broker.pid);
  const watch = rssWatcher(broker.pid);
  const rng = new Rng(o.seed ?? 42);
  const frames = corpus();
  const started = Date.now();
  let sent = 0;
  let connections = 0;
  let bytesSent = 0;
  const inFlight = new Set<Promise<void>>();
  while (sent < o.frames) {
    const n = Math.min(o.frames - sent, 1 + rng.int(o.framesPerConnectionMax));
    const mine = Array.from({ length: n }, () => mutate(frames[rng.int(frames.length)], rng));
    sent += n;
    connections++;
    const p: Promise<void> = fuzzConnection(broker.port, mine, new Rng(rng.int(1 << 30))).then((b) => {
      bytesSent += b;
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= o.concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  // Every fuzz client has closed its side: the broker must get back to its listening sockets alone.
  let after = procSample(broker.pid);
  try {
    await waitFor('the broker to close every fuzz connection', () => (after = procSample(broker.pid)).sockets <= before.sockets, 15_000, 100);
  } catch {
    // reported as leaked below
  }
  const rssMax = watch.stop();
  const normalClientOk = await normalClientWorks(broker.address);
  await broker.stop();
  const { rmSync } = await import('node:fs');
  rmSync(dataDir, { recursive: true, force: true });
  return {
    frames: sent,
    connections,
    bytesSent,
    socketsBefore: before.sockets,
    socketsAfter: after.sockets,
    leakedSockets: Math.max(0, after.sockets - before.sockets),
    rssBeforeBytes: before.rssBytes,
    rssMaxBytes: rssMax,
    rssAfterBytes: after.rssBytes,
    normalClientOk,
    durationMs: Date.now() - started,
  };
}

async function normalClientWorks(address: string): Promise<boolean> {
  try {
    const client = new Copyless({ brokers: [address], clientId: 'normal' });
    const producer = client.producer({ acks: -1 });
    await producer.connect();
    await producer.send({ topic: 'normal', messages: [{ value: 'still-serving-1' }, { value: 'still-serving-2' }] });
    await producer.disconnect();
    const values = await readPartition(address, 'normal');
    return values.join(',') === 'still-serving-1,still-serving-2';
  } catch {
    return false;
  }
}
