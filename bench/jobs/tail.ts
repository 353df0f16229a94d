// Client job for `catch-up`: a producer at a fixed rate and two consumers of
// the log's tail, running until told to stop while another process replays
// the backlog:
//
// - `tail`: caught up, long-polling (fetch.min.bytes 1), so it reads each
//   page moments after it was written, usually in several fetches (the
//   partial last page is read again by the next fetch);
// - `lagging`: a batching consumer (fetch.min.bytes = `lagMinBytes`, up to
//   `lagWaitMs`), like a second consumer group that processes in batches: it
//   reads pages the tail consumer read about a batch period earlier.
//
// For every fetch it keeps (time, page-cache hits, misses) from the
// CopylessFetch accounting, and for the tail consumer every record's latency
// from its due time (coordinated-omission aware, as in latency.ts). Times are
// epoch ms (clock.ts) so the runner can cut them into the replay's phases.

import { Copyless, type Consumer, type Producer } from '../../client/index.ts';
import { nowMs, sleep } from './clock.ts';

const TICK_MS = 1;

export interface TailJob {
  address: string;
  topic: string;
  partition: number;
  /** Offered load, records per second. */
  rate: number;
  recordBytes: number;
  fetchMode: string;
  lingerMs: number;
  lagMinBytes: number;
  lagWaitMs: number;
}

export interface TailTrace {
  /** Per fetch: epoch ms, page-cache hits, misses (flattened triples). */
  fetches: number[];
  /** Per record (tail consumer only): epoch ms received, latency ms (flattened pairs). */
  latencies: number[];
}

export interface TailJobResult {
  tail: TailTrace;
  lagging: TailTrace;
  sent: number;
  startMs: number;
  endMs: number;
}

interface Running {
  client: Copyless;
  producer: Producer;
  consumers: Consumer[];
  runs: Promise<void>[];
  stop: boolean;
  sender: Promise<number>;
  result: TailJobResult;
}

let running: Running | null = null;

function traceInto(trace: TailTrace, withLatency: boolean) {
  let last: unknown;
  return ({ messages, accounting }: { messages: { value: Buffer | null }[]; accounting: Record<string, number> | undefined }) => {
    const t = nowMs();
    if (accounting && accounting !== last) {
      last = accounting;
      trace.fetches.push(t, accounting.pageCacheHits ?? 0, accounting.pageCacheMisses ?? 0);
    }
    if (withLatency) for (const m of messages) trace.latencies.push(t, t - (m.value?.readDoubleLE(0) ?? t));
  };
}

/** Start producing and both tail consumers; resolves once all three are running. */
export async function tailStart(job: TailJob): Promise<{ startMs: number }> {
  if (running) throw new Error('a tail job is already running in this process');
  const client = new Copyless({ brokers: [job.address], clientId: 'copyless-bench-tail' });
  const producer = client.producer({ acks: 1, lingerMs: job.lingerMs });
  const tail = client.consumer({ fetchMode: job.fetchMode, maxWaitMs: 500 });
  const lagging = client.consumer({ fetchMode: job.fetchMode, minBytes: job.lagMinBytes, maxWaitMs: job.lagWaitMs });
  await Promise.all([producer.connect(), tail.connect(), lagging.connect()]);
  await Promise.all([tail, lagging].map((c) => c.assign([{ topic: job.topic, partition: job.partition, offset: 'latest' }])));
  const result: TailJobResult = { tail: { fetches: [], latencies: [] }, lagging: { fetches: [], latencies: [] }, sent: 0, startMs: nowMs(), endMs: 0 };
  const state: Running = { client, producer, consumers: [tail, lagging], runs: [], stop: false, sender: Promise.resolve(0), result };
  state.runs = [tail.run({ eachBatch: traceInto(result.tail, true) }), lagging.run({ eachBatch: traceInto(result.lagging, false) })];
  state.sender = sendUntilStopped(state, job);
  running = state;
  return { startMs: result.startMs };
}

/** Stop producing and consuming; resolves with the traces. */
export async function tailStop(): Promise<TailJobResult> {
  const state = running;
  if (!state) throw new Error('no tail job is running');
  running = null;
  state.stop = true;
  state.result.sent = await state.sender;
  state.result.endMs = nowMs();
  await Promise.all(state.consumers.map((c) => c.stop()));
  await Promise.all(state.runs);
  await Promise.all([state.producer.disconnect(), ...state.consumers.map((c) => c.disconnect())]);
  return state.result;
}

/** Record i is due at start + i / rate and carries that due time (epoch ms) in its first 8 bytes. */
async function sendUntilStopped(state: Running, job: TailJob): Promise<number> {
  const intervalMs = 1000 / job.rate;
  const start = nowMs();
  const pending = new Set<Promise<unknown>>();
  let i = 0;
  while (!state.stop) {
    const due = Math.floor((nowMs() - start) / intervalMs) + 1;
    if (due > i) {
      const messages = [];
      for (; i < due; i++) {
        const value = Buffer.alloc(job.recordBytes);
        value.writeDoubleLE(start + i * intervalMs, 0);
        messages.push({ value, partition: job.partition });
      }
      const p: Promise<unknown> = state.producer.send({ topic: job.topic, messages }).finally(() => pending.delete(p));
      pending.add(p);
    }
    await sleep(TICK_MS);
  }
  await Promise.allSettled(pending);
  return i;
}
