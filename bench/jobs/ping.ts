// Client job: how long a small request waits at the broker while other
// clients load it. A raw Kafka connection sends one ApiVersions v0 request
// every `intervalMs` on a fixed schedule (open loop: a slow answer does not
// delay the next request, so a broker stall is charged to every request sent
// during it, not hidden by a paused sender) and records each round trip,
// from the write to the matching response, in an HdrHistogram.
//
// ApiVersions does no storage work, so its round trip is the broker's event
// loop responsiveness: time spent queued behind whatever else the loop runs.

import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { ApiKey } from '../../src/protocol/api-key.ts';
import { encodeRequest } from '../../src/protocol/codec.ts';
import { FrameDecoder } from '../../src/protocol/frame-decoder.ts';

/** Round trips are recorded in microseconds; 60 s is far beyond anything a healthy broker shows. */
const ROUND_TRIP_US_MAX = 60_000_000;
/** A response frame is small; anything larger is not an ApiVersions answer. */
const RESPONSE_BYTES_MAX = 64 * 1024;
/** Waiting this long for the answers still in flight at stop, before counting them as lost. */
const DRAIN_MS_MAX = 5_000;

export interface PingJob {
  address: string;
  intervalMs: number;
}

export interface PingJobResult {
  sent: number;
  answered: number;
  roundTripMsP50: number;
  roundTripMsP99: number;
  roundTripMsP999: number;
  roundTripMsMax: number;
}

interface Running {
  socket: net.Socket;
  timer: NodeJS.Timeout;
  histogram: hdr.Histogram;
  sentAt: Map<number, number>;
  sent: number;
  answered: number;
  drained: (() => void) | null;
}

let running: Running | null = null;

export async function pingStart(job: PingJob): Promise<{ startMs: number }> {
  if (running) throw new Error('ping is already running');
  const [host, port] = splitAddress(job.address);
  const socket = await connect(host, port);
  const r: Running = {
    socket,
    timer: setInterval(() => send(r), job.intervalMs),
    histogram: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: ROUND_TRIP_US_MAX, numberOfSignificantValueDigits: 3 }),
    sentAt: new Map(),
    sent: 0,
    answered: 0,
    drained: null,
  };
  const decoder = new FrameDecoder({ frameBytesMax: RESPONSE_BYTES_MAX });
  socket.on('data', (chunk) => {
    const now = performance.now();
    for (const frame of decoder.push(chunk)) {
      const id = frame.readInt32BE(0);
      const at = r.sentAt.get(id);
      if (at === undefined) continue;
      r.sentAt.delete(id);
      r.answered++;
      r.histogram.recordValue(Math.max(1, Math.round((now - at) * 1000)));
    }
    if (r.sentAt.size === 0) r.drained?.();
  });
  running = r;
  return { startMs: performance.timeOrigin + performance.now() };
}

export async function pingStop(): Promise<PingJobResult> {
  const r = running;
  if (!r) throw new Error('ping is not running');
  running = null;
  clearInterval(r.timer);
  if (r.sentAt.size > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_MS_MAX);
      r.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  r.socket.destroy();
  const h = r.histogram;
  const result: PingJobResult = {
    sent: r.sent,
    answered: r.answered,
    roundTripMsP50: h.getValueAtPercentile(50) / 1000,
    roundTripMsP99: h.getValueAtPercentile(99) / 1000,
    roundTripMsP999: h.getValueAtPercentile(99.9) / 1000,
    roundTripMsMax: h.maxValue / 1000,
  };
  h.destroy();
  return result;
}

function send(r: Running): void {
  const correlationId = ++r.sent;
  const frame = encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId, clientId: 'copyless-bench-ping' }, {});
  r.sentAt.set(correlationId, performance.now());
  r.socket.write(frame);
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
