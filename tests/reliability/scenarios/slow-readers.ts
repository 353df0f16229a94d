// Slow readers on every interface, one phase each, against a broker process
// holding a large partition, while a well-behaved client measures its round
// trips (Kafka ApiVersions every 50 ms):
//   http   readers of a large JSON fetch taking 16 KiB per 100 ms;
//   kafka  connections sending Fetches for distinct ranges and never reading;
//   ws     WebSocket subscribers (binary, from the start) that never read.
// Reported per phase: the broker's RSS growth over its idle baseline, and the
// other client's round-trip p50/p99/max. Targets from issue 12 for the HTTP
// phase: under 100 MB added and round trips under 50 ms.

import net from 'node:net';
import { WebSocket } from 'ws';
import { Copyless } from '../../../client/index.ts';
import { ApiKey, encodeRequest } from '../../../src/protocol/index.ts';
import { latencyProbe, MiB, procSample, rssWatcher, sleep, startChildBroker, tempDir } from '../harness.ts';

export interface SlowReadersOptions {
  /** Partition size to fill, in MiB (~1 MiB batches). */
  fillMb: number;
  readers: number;
  phaseMs: number;
  /** Bytes each HTTP/Kafka fetch asks for. */
  fetchBytes: number;
}

export interface PhaseResult {
  phase: 'http' | 'kafka' | 'ws';
  readers: number;
  rssBaseBytes: number;
  rssAddedMaxBytes: number;
  rttP50Ms: number;
  rttP99Ms: number;
  rttMaxMs: number;
  rttFailures: number;
  socketsLeftAfter: number;
}

export async function runSlowReaders(o: SlowReadersOptions): Promise<PhaseResult[]> {
  const dataDir = tempDir('copyless-slow-');
  const broker = await startChildBroker({ dataDir, httpPort: 0, connectionStallMs: 10_000 });
  try {
    await fill(broker.address, o.fillMb);
    const out: PhaseResult[] = [];
    for (const phase of (process.env.SOAK_PHASES?.split(',') ?? ['http', 'kafka', 'ws']) as Array<'http' | 'kafka' | 'ws'>) {
      await sleep(1000);
      const base = procSample(broker.pid);
      const watch = rssWatcher(broker.pid, 50);
      const probe = await latencyProbe(broker.port, 50);
      const cleanup = await startReaders(phase, broker.port, broker.httpPort, o);
      await sleep(o.phaseMs);
      const rtt = await probe.stop();
      const rssMax = watch.stop();
      cleanup();
      await sleep(1500);
      out.push({
        phase,
        readers: o.readers,
        rssBaseBytes: base.rssBytes,
        rssAddedMaxBytes: Math.max(0, rssMax - base.rssBytes),
        rttP50Ms: rtt.p50Ms,
        rttP99Ms: rtt.p99Ms,
        rttMaxMs: rtt.maxMs,
        rttFailures: rtt.failures,
        socketsLeftAfter: procSample(broker.pid).sockets - base.sockets,
      });
    }
    return out;
  } finally {
    await broker.stop();
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function fill(address: string, mb: number): Promise<void> {
  const producer = new Copyless({ brokers: [address] }).producer({ acks: 1, lingerMs: 5 });
  await producer.connect();
  const value = Buffer.alloc(60 * 1024, 'v');
  for (let i = 0; i < mb; i++) {
    await producer.send({ topic: 'slow', messages: Array.from({ length: 16 }, () => ({ value })) });
  }
  await producer.disconnect();
}

/** Start the phase's readers; returns a function that closes them all. */
async function startReaders(phase: 'http' | 'kafka' | 'ws', port: number, httpPort: number, o: SlowReadersOptions): Promise<() => void> {
  const closers: Array<() => void> = [];
  for (let i = 0; i < o.readers; i++) {
    if (phase === 'http') closers.push(httpSlowReader(httpPort, o.fetchBytes));
    else if (phase === 'kafka') closers.push(kafkaStalledReader(port, i, o.fetchBytes));
    else closers.push(wsStalledReader(httpPort));
  }
  return () => closers.forEach((c) => c());
}

/** GET a large JSON fetch and take 16 KiB of it every 100 ms. */
function httpSlowReader(httpPort: number, maxBytes: number): () => void {
  const s = net.connect(httpPort, '127.0.0.1', () => s.write(`GET /topics/slow/partitions/0/records?offset=0&maxBytes=${maxBytes} HTTP/1.1\r\nhost: x\r\n\r\n`));
  s.on('error', () => {});
  s.pause();
  const timer = setInterval(() => {
    let taken = 0;
    for (let chunk; taken < 16 * 1024 && (chunk = s.read()) !== null; ) taken += chunk.length;
  }, 100);
  return () => {
    clearInterval(timer);
    s.destroy();
  };
}

/** Send 20 Fetches of distinct ranges and never read. */
function kafkaStalledReader(port: number, index: number, maxBytes: number): () => void {
  const s = net.connect(port, '127.0.0.1', () => {
    const frames = Array.from({ length: 20 }, (_, i) =>
      encodeRequest(
        { apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: i, clientId: 'stalled' },
        {
          replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: 'slow', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: ((index * 20 + i) * 16) % 512, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
          forgottenTopicsData: [], rackId: '',
        },
      ),
    );
    s.write(Buffer.concat(frames));
  });
  s.on('error', () => {});
  s.pause();
  return () => s.destroy();
}

/** Subscribe (binary, from the start) and never read. */
function wsStalledReader(httpPort: number): () => void {
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`);
  ws.on('error', () => {});
  ws.on('open', () => {
    ws.send(JSON.stringify({ op: 'subscribe', topic: 'slow', partition: 0, offset: 'earliest', format: 'binary' }));
    // Stop reading the socket: the broker's sends pile up on its side.
    (ws as unknown as { _socket: net.Socket })._socket.pause();
  });
  return () => ws.terminate();
}

export const MB = MiB;
