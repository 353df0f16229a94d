// `limits`: the machine's own ceilings, measured in the same run as every
// other figure so each throughput can be read as a share of what this machine
// can move at all.
//
// - loopback: TCP between two Node processes on 127.0.0.1, the sender writing
//   1 MiB buffers as fast as backpressure allows, timed at the receiver;
// - loopback + copy: the same with one extra user-space copy (a fresh buffer
//   and Buffer.copy) per write: exactly what the `copy` fetch mode pays per
//   byte served, and what sendfile saves;
// - memcpy: Buffer.copy between two 64 MiB buffers (larger than any L3), one
//   core's copy bandwidth;
// - round trip: a 100-byte ping-pong over loopback between the two processes,
//   one message at a time with a millisecond between them: the latency floor
//   of this machine right now (scheduling delays of a busy machine show here
//   first, and bound what `latency` can measure).

import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Child } from '../child.ts';
import type { SinkResult } from '../loopback-sink.ts';
import { type BenchContext, type Scenario, measure } from '../runner.ts';
import { percentileSorted } from '../stats.ts';
import type { ScenarioResult } from '../types.ts';

const MiB = 1024 * 1024;
/** Bytes per write: the size of a large Fetch response. */
const LOOPBACK_WRITE_BYTES = 1 * MiB;
/** Buffer size for memcpy: far larger than the CPU caches, so this is memory bandwidth. */
const MEMCPY_BUFFER_BYTES = 64 * MiB;
const SINK_ENTRY = fileURLToPath(new URL('../loopback-sink.ts', import.meta.url));

const PING_BYTES = 100;
const PING_GAP_MS = 1;

function durations(ctx: BenchContext): { loopbackMs: number; warmupMs: number; memcpyMs: number; pings: number } {
  return ctx.quick ? { loopbackMs: 1000, warmupMs: 300, memcpyMs: 300, pings: 500 } : { loopbackMs: 2000, warmupMs: 500, memcpyMs: 1000, pings: 2000 };
}

/** Round trips of PING_BYTES to the echo port, one at a time; latency percentiles in ms. */
async function roundTrips(port: number, count: number): Promise<Record<string, number>> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const ping = Buffer.alloc(PING_BYTES, 1);
  const rtts: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      let got = 0;
      await new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          got += d.length;
          if (got < PING_BYTES) return;
          socket.off('data', onData);
          resolve();
        };
        socket.on('data', onData);
        socket.write(ping);
      });
      rtts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, PING_GAP_MS));
    }
  } finally {
    socket.destroy();
  }
  rtts.sort((a, b) => a - b);
  return { rttMsP50: percentileSorted(rtts, 50), rttMsP99: percentileSorted(rtts, 99), rttMsP999: percentileSorted(rtts, 99.9), rttMsMax: rtts[rtts.length - 1] };
}

/** Write LOOPBACK_WRITE_BYTES buffers to `port` for `ms`, then end the stream. */
function sendFor(port: number, ms: number, copyEachWrite: boolean): Promise<void> {
  const source = Buffer.alloc(LOOPBACK_WRITE_BYTES, 0x5a);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('close', () => resolve());
    const deadline = performance.now() + ms;
    const pump = () => {
      while (performance.now() < deadline) {
        let chunk = source;
        if (copyEachWrite) {
          chunk = Buffer.allocUnsafe(LOOPBACK_WRITE_BYTES);
          source.copy(chunk);
        }
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    socket.once('connect', pump);
  });
}

async function loopbackBytesPerSec(sink: Child, port: number, ms: number, copyEachWrite: boolean): Promise<number> {
  const result = sink.call<SinkResult>('result');
  await sendFor(port, ms, copyEachWrite);
  const { bytes, seconds } = await result;
  return seconds > 0 ? bytes / seconds : 0;
}

export function memcpyBytesPerSec(ms: number): number {
  const src = Buffer.alloc(MEMCPY_BUFFER_BYTES, 0xa5);
  const dst = Buffer.alloc(MEMCPY_BUFFER_BYTES);
  src.copy(dst);
  let bytes = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    src.copy(dst);
    bytes += MEMCPY_BUFFER_BYTES;
    elapsed = performance.now() - start;
  }
  return bytes / (elapsed / 1000);
}

async function run(ctx: BenchContext, out: ScenarioResult): Promise<void> {
  const { loopbackMs, warmupMs, memcpyMs, pings } = durations(ctx);
  const sink = await Child.start(SINK_ENTRY, { name: 'loopback sink' });
  const { port, echoPort } = sink.info as { port: number; echoPort: number };
  try {
    // Untimed: the first copies fault in fresh memory and the allocator has not yet adapted to 1 MiB buffers,
    // which once made a short measurement of the copy look several times slower than a long one.
    await loopbackBytesPerSec(sink, port, warmupMs, false);
    await loopbackBytesPerSec(sink, port, warmupMs, true);
    // Plain and copied runs alternate within each repeat, so a busy spell on the machine hits both alike.
    const pair = await measure(ctx, 'loopback 1 MiB writes, plain and +1 copy', async () => {
      const plain = await loopbackBytesPerSec(sink, port, loopbackMs, false);
      const copied = await loopbackBytesPerSec(sink, port, loopbackMs, true);
      return { plain, copied, copiedPct: (copied / plain) * 100, spanSec: loopbackMs / 1000 };
    });
    ctx.ceilings.loopbackBytesPerSec = pair.plain.median;
    ctx.ceilings.loopbackCopyBytesPerSec = pair.copied.median;
    out.cases.push(
      { id: 'loopback', label: 'loopback TCP, 1 MiB writes', params: { writeBytes: LOOPBACK_WRITE_BYTES, durationMs: loopbackMs, processes: 2 }, metrics: { bytesPerSec: pair.plain, spanSec: pair.spanSec } },
      {
        id: 'loopback-copy',
        label: 'loopback TCP + 1 user-space copy',
        params: { writeBytes: LOOPBACK_WRITE_BYTES, durationMs: loopbackMs, processes: 2, copyPerWrite: true },
        metrics: { bytesPerSec: pair.copied, pctLoopback: pair.copiedPct, spanSec: pair.spanSec },
      },
    );
    const rtt = await measure(ctx, 'loopback round trips', () => roundTrips(echoPort, pings));
    ctx.ceilings.rttMsP99 = rtt.rttMsP99.median;
    out.cases.push({ id: 'round-trip', label: `loopback round trip, ${PING_BYTES} B ping-pong`, params: { messageBytes: PING_BYTES, count: pings, gapMs: PING_GAP_MS, processes: 2 }, metrics: rtt });
  } finally {
    await sink.stop();
  }
  // pctLoopback: NaN keeps measure() from relating memory bandwidth to a network ceiling.
  const memcpy = await measure(ctx, 'memcpy 64 MiB', async () => ({ bytesPerSec: memcpyBytesPerSec(memcpyMs), pctLoopback: NaN }));
  ctx.ceilings.memcpyBytesPerSec = memcpy.bytesPerSec.median;
  out.cases.push({ id: 'memcpy', label: 'memcpy (Buffer.copy, 64 MiB)', params: { bufferBytes: MEMCPY_BUFFER_BYTES, durationMs: memcpyMs }, metrics: memcpy });
  const cost = 1 - (ctx.ceilings.loopbackCopyBytesPerSec ?? 0) / (ctx.ceilings.loopbackBytesPerSec || 1);
  out.notes.push(
    cost > 0
      ? `One extra user-space copy per write cut loopback throughput by ${(cost * 100).toFixed(0)}%: the price the copy fetch mode pays and sendfile avoids.`
      : `One extra user-space copy per write did not lower loopback throughput in this run (${(cost * 100).toFixed(0)}%): the machine was limited elsewhere (a busy machine gives noisy ceilings; rerun on an idle one).`,
  );
}

export const limitsScenario: Scenario = {
  name: 'limits',
  title: "The machine's ceilings: loopback TCP throughput and round trip, memcpy",
  columns: [
    { key: 'bytesPerSec', label: 'throughput', unit: 'B/s' },
    { key: 'pctLoopback', label: '% of loopback', unit: '%' },
    { key: 'rttMsP50', label: 'RTT p50', unit: 'ms' },
    { key: 'rttMsP99', label: 'RTT p99', unit: 'ms' },
    { key: 'rttMsP999', label: 'RTT p99.9', unit: 'ms' },
  ],
  steps: (ctx) => 3 * ctx.repeats,
  run,
};
