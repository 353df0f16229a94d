// `consume`: one consumer per fetch mode over the same pre-produced logs,
// read by two kinds of consumer (jobs/consume.ts): the SDK consumer, which
// decodes every record as an application would, and the wire consumer, which
// only CRC-checks and counts whole batches. The SDK figure is what an
// application gets; the wire figure is what the broker and the network can
// serve, so the difference is the client's decoding.
//
// Three logs, each one partition, produced once per run:
//   - 100 B records in 16 KiB batches (Kafka's default batch.size): the
//     records/s headline, where per-record client work dominates;
//   - 64 KiB records, one per batch: the bytes/s headline, where the
//     broker's send path and loopback dominate;
//   - ~15 KiB records, one per batch (the native sweep, read by the wire
//     consumer: it compares two broker send paths): a fetch of N bytes
//     returns about N bytes, down to 16 KiB.
// Warm: the log is resident in the simulated page cache and the OS page cache
// (it was just written, and the broker's cache is sized to hold every log); a
// warm measurement reads whole passes over its log, at least `warmBytes` and
// at least `minSpanMs` long.
// Cold: before each measurement the broker empties its simulated cache
// (CopylessDropCaches) and drops the data files from the OS page cache with
// posix_fadvise(DONTNEED) through the addon; a cold measurement reads the log
// once (a second pass would be warm).

import { NATIVE_CALL_BYTES_DEFAULT } from '../../src/limits.ts';
import type { BrokerHandle } from '../broker-handle.ts';
import type { Child } from '../child.ts';
import type { ConsumeJobResult, Reader } from '../jobs/consume-job.ts';
import { measure, type BenchContext, type Scenario } from '../runner.ts';
import { createTopic } from '../sdk.ts';
import type { CaseResult, ScenarioResult } from '../types.ts';
import { KiB, MiB, consume, produce, sizeLabel, spanCpuFigures, spanned, withBroker } from './common.ts';

const MODELLED_MODES = ['copy', 'mmap', 'sendfile', 'splice'];
const NATIVE_MODES = ['native-copy', 'native-sendfile'];
/** Long-poll wait: irrelevant for a backlog read (data is always there), short so a stuck read shows quickly. */
const MAX_WAIT_MS = 100;
/** A sweep record plus its batch and record overhead stays under 16 KiB, so a 16 KiB fetch returns one batch. */
const SWEEP_RECORD_BYTES = 15 * KiB;

interface LogSpec {
  key: string;
  topic: string;
  recordBytes: number;
  batchBytes: number;
  records: number;
}

interface Plan {
  logs: LogSpec[];
  /** (log index, fetch size) pairs measured in every mode, warm and cold, by the SDK consumer. */
  grid: Array<[log: 0 | 1, fetchBytes: number]>;
  /** (log index, fetch size) pairs measured in every mode, warm, by the wire consumer. */
  wireGrid: Array<[log: 0 | 1, fetchBytes: number]>;
  sweepSizes: number[];
  /** Bytes a warm measurement should read (rounded to whole passes over its log, at least one). */
  warmBytes(fetchBytes: number): number;
  /** Shortest warm measurement: passes continue until it is reached. */
  minSpanMs: number;
  pageCacheMb: number;
}

function plan(ctx: BenchContext): Plan {
  const quick = ctx.quick;
  const log = (key: string, recordBytes: number, batchBytes: number, bytes: number): LogSpec => ({
    key,
    topic: ctx.topic(`consume-${key}`),
    recordBytes,
    batchBytes,
    records: Math.ceil(bytes / recordBytes),
  });
  return quick
    ? {
        logs: [log('100B', 100, 16 * KiB, 20 * MiB), log('64KiB', 64 * KiB, 64 * KiB, 48 * MiB), log('sweep', SWEEP_RECORD_BYTES, 16 * KiB, 24 * MiB)],
        // 64 KiB fetches of the 64 KiB log: the one-transfer counts of the model chart.
        grid: [[0, MiB], [1, 64 * KiB], [1, MiB]],
        wireGrid: [[0, MiB], [1, MiB]],
        sweepSizes: [16 * KiB, 256 * KiB, 4 * MiB],
        warmBytes: (fetchBytes) => clamp(fetchBytes * 200, 8 * MiB, 48 * MiB),
        minSpanMs: 500,
        pageCacheMb: 256,
      }
    : {
        logs: [log('100B', 100, 16 * KiB, 100 * MiB), log('64KiB', 64 * KiB, 64 * KiB, 256 * MiB), log('sweep', SWEEP_RECORD_BYTES, 16 * KiB, 48 * MiB)],
        grid: [[0, 64 * KiB], [0, MiB], [1, 64 * KiB], [1, MiB]],
        wireGrid: [[0, MiB], [1, MiB]],
        sweepSizes: [16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB],
        // Small fetches are round-trip bound (tens of MB/s), large ones run at loopback speed: read about 2000 fetches' worth.
        warmBytes: (fetchBytes) => clamp(fetchBytes * 2000, 48 * MiB, 512 * MiB),
        minSpanMs: 2000,
        pageCacheMb: 1024,
      };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function modesFor(broker: BrokerHandle): string[] {
  return broker.nativeAvailable === false ? MODELLED_MODES : [...MODELLED_MODES, ...NATIVE_MODES];
}

function stepCount(ctx: BenchContext): number {
  const p = plan(ctx);
  const main = (p.grid.length * 2 + p.wireGrid.length) * (MODELLED_MODES.length + NATIVE_MODES.length);
  return (main + p.sweepSizes.length * NATIVE_MODES.length) * ctx.repeats + p.logs.length;
}

async function produceLogs(ctx: BenchContext, broker: BrokerHandle, client: Child, logs: LogSpec[]): Promise<void> {
  for (const log of logs) {
    await createTopic(broker.address, log.topic, 1);
    await produce(client, { address: broker.address, topic: log.topic, partition: 0, recordBytes: log.recordBytes, acks: 1, lingerMs: 5, batchBytes: log.batchBytes, records: log.records });
    ctx.progress.tick(`produced log ${log.key} (${log.records} records)`);
  }
}

interface ConsumeCase {
  reader: Reader;
  log: LogSpec;
  mode: string;
  cache: 'warm' | 'cold';
  fetchBytes: number;
  sweep: boolean;
}

/** Accounting per fetch of the last repeat: the counts the model chart shows. */
function perFetch(r: ConsumeJobResult): Record<string, number> {
  const out: Record<string, number> = {};
  if (r.fetches === 0) return out;
  for (const k of ['bytes', 'syscalls', 'modeSwitches', 'pageFaults', 'cpuCopies', 'cpuCopyBytes', 'dmaCopies', 'pageCacheHits', 'pageCacheMisses', 'readAheadPages', 'headerSyscalls']) {
    if (r.accounting[k] !== undefined) out[k] = r.accounting[k] / r.fetches;
  }
  return out;
}

async function measureCase(ctx: BenchContext, broker: BrokerHandle, client: Child, c: ConsumeCase, p: Plan): Promise<CaseResult> {
  const logBytes = c.log.records * c.log.recordBytes;
  const passes = c.cache === 'cold' ? 1 : Math.max(1, Math.round(p.warmBytes(c.fetchBytes) / logBytes));
  // A cold read is one pass (a second one would be warm), however short.
  const minSpanMs = c.cache === 'cold' ? 0 : p.minSpanMs;
  const id = `${c.reader === 'wire' ? 'wire/' : ''}${c.mode}/${c.cache}/${sizeLabel(c.log.recordBytes)}/${sizeLabel(c.fetchBytes)}`;
  let last: ConsumeJobResult | null = null;
  const metrics = await measure(ctx, id, async () => {
    if (c.cache === 'cold') await broker.dropCaches();
    const { results: [r], cpu } = await spanned(broker, [(onEvent) => consume(client, {
      reader: c.reader,
      address: broker.address,
      topic: c.log.topic,
      partition: 0,
      fetchMode: c.mode,
      maxBytes: c.fetchBytes,
      maxBytesPerPartition: c.fetchBytes,
      maxWaitMs: MAX_WAIT_MS,
      fromOffset: 0,
      untilOffset: c.log.records,
      passes,
      minSpanMs,
    }, onEvent)]);
    last = r;
    const seconds = (r.endMs - r.startMs) / 1000;
    const hits = r.accounting.pageCacheHits ?? 0;
    const misses = r.accounting.pageCacheMisses ?? 0;
    const figures: Record<string, number> = {
      recordsPerSec: r.records / seconds,
      bytesPerSec: r.bytes / seconds,
      syscallsPerFetch: r.fetches ? (r.accounting.syscalls ?? NaN) / r.fetches : NaN,
      spanSec: seconds,
      ...spanCpuFigures(cpu, r.bytes, seconds),
    };
    if (hits + misses > 0) figures.hitRatio = hits / (hits + misses);
    return figures;
  });
  return {
    id: `${c.sweep ? 'sweep/' : ''}${id}`,
    label: `${c.mode}, ${c.cache}, ${sizeLabel(c.log.recordBytes)} records, ${sizeLabel(c.fetchBytes)} fetches${c.reader === 'wire' ? ', wire consumer' : ''}`,
    params: {
      reader: c.reader,
      mode: c.mode,
      cache: c.cache,
      recordBytes: c.log.recordBytes,
      batchBytes: c.log.batchBytes,
      fetchBytes: c.fetchBytes,
      sweep: c.sweep,
      logBytes,
      passes,
      minSpanMs,
      maxWaitMs: MAX_WAIT_MS,
    },
    metrics,
    detail: last ? { accountingPerFetch: perFetch(last), fetches: (last as ConsumeJobResult).fetches } : undefined,
  };
}

async function run(ctx: BenchContext, out: ScenarioResult): Promise<void> {
  const p = plan(ctx);
  const [client] = await ctx.clients(1);
  await withBroker(ctx, { pageCacheMb: p.pageCacheMb }, async (broker) => {
    await produceLogs(ctx, broker, client, p.logs);
    const modes = modesFor(broker);
    const [small, , sweepLog] = p.logs;
    // Untimed: brings the client's and broker's code paths up to speed before the first figure.
    await consume(client, { address: broker.address, topic: small.topic, partition: 0, fetchMode: 'sendfile', maxBytes: MiB, maxBytesPerPartition: MiB, maxWaitMs: MAX_WAIT_MS, fromOffset: 0, untilOffset: small.records });
    await consume(client, { reader: 'wire', address: broker.address, topic: small.topic, partition: 0, fetchMode: 'sendfile', maxBytes: MiB, maxBytesPerPartition: MiB, maxWaitMs: MAX_WAIT_MS, fromOffset: 0, untilOffset: small.records });
    // Warm cases first: a cold case leaves the log cached again, but not the other way round.
    for (const cache of ['warm', 'cold'] as const) {
      for (const [logIndex, fetchBytes] of p.grid) {
        const log = p.logs[logIndex];
        for (const mode of modes) out.cases.push(await measureCase(ctx, broker, client, { reader: 'sdk', log, mode, cache, fetchBytes, sweep: false }, p));
      }
      if (cache !== 'warm') continue;
      for (const [logIndex, fetchBytes] of p.wireGrid) {
        const log = p.logs[logIndex];
        for (const mode of modes) out.cases.push(await measureCase(ctx, broker, client, { reader: 'wire', log, mode, cache, fetchBytes, sweep: false }, p));
      }
    }
    for (const fetchBytes of p.sweepSizes) {
      for (const mode of modes.filter((m) => NATIVE_MODES.includes(m))) {
        out.cases.push(await measureCase(ctx, broker, client, { reader: 'wire', log: sweepLog, mode, cache: 'warm', fetchBytes, sweep: true }, p));
      }
    }
    notes(out, broker, p);
  });
}

function notes(out: ScenarioResult, broker: BrokerHandle, p: Plan): void {
  out.notes.push(
    `One consumer (own process) per case: the SDK consumer decodes every record, as an application would; the wire consumer (cases marked so, and the native sweep) only checks each batch's CRC and counts it, so it shows what the broker and loopback can serve. Broker page cache ${broker.kind === 'external' ? "the broker's own (warm figures assume it holds every log)" : `${p.pageCacheMb} MiB (holds every log)`}. Throughput counts the stored bytes of whole batches the consumer received (a partial batch at the end of a response is fetched again and counted once). Warm cases read whole passes over the log for at least ${p.minSpanMs / 1000} s; cold cases read the log once. Broker and client CPU are read at the start and the end of the same span the time covers (after connect, before disconnect).`,
  );
  if (broker.nativeAvailable === false) out.notes.push(`Native modes skipped: ${broker.nativeReason ?? 'the addon is unavailable'}.`);
  if (broker.kind === 'external') out.notes.push('External broker: cold runs emptied only its simulated page cache, not the OS page cache.');
  out.notes.push(
    `Native sweep: fetch size = bytes per Fetch; within a Fetch no single sendfile/pread moves more than the addon's call limit (NATIVE_CALL_BYTES_DEFAULT = ${NATIVE_CALL_BYTES_DEFAULT / MiB} MiB), so the 4 MiB point makes ${NATIVE_CALL_BYTES_DEFAULT / MiB} MiB calls.`,
  );
}

export const consumeScenario: Scenario = {
  name: 'consume',
  title: 'One consumer per fetch mode: warm and cold cache, 64 KiB and 1 MiB fetches, native sweep',
  columns: [
    { key: 'recordsPerSec', label: 'records/s', unit: 'rec/s' },
    { key: 'bytesPerSec', label: 'throughput', unit: 'B/s' },
    { key: 'pctLoopback', label: '% of loopback', unit: '%' },
    { key: 'brokerUserSecPerGiB', label: 'broker user/GiB', unit: 's/GiB' },
    { key: 'brokerSysSecPerGiB', label: 'broker sys/GiB', unit: 's/GiB' },
    { key: 'brokerCpuSecPerGiB', label: 'broker CPU/GiB', unit: 's/GiB' },
    { key: 'syscallsPerFetch', label: 'syscalls/fetch', unit: 'count' },
    { key: 'hitRatio', label: 'cache hits', unit: 'ratio' },
    { key: 'clientCpuPct', label: 'client CPU', unit: '%' },
  ],
  steps: stepCount,
  run,
};
