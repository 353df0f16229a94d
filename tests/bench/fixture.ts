// A synthetic benchmark report with a case for every chart, for the report tests.

import { summarize } from '../../bench/stats.ts';
import { REPORT_SCHEMA, type BenchReport, type CaseResult } from '../../bench/types.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

function c(id: string, params: CaseResult['params'], metrics: Record<string, number[]>, extra: Partial<CaseResult> = {}): CaseResult {
  return { id, label: id, params, metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, summarize(v)])), ...extra };
}

const MODES = ['copy', 'mmap', 'sendfile', 'splice', 'native-copy', 'native-sendfile'];

export function sampleReport(): BenchReport {
  const consume: CaseResult[] = [];
  for (const mode of MODES) {
    for (const [recordBytes, fetchBytes, reader] of [[100, MiB, 'sdk'], [64 * KiB, 64 * KiB, 'sdk'], [64 * KiB, MiB, 'sdk'], [100, MiB, 'wire'], [64 * KiB, MiB, 'wire']] as const) {
      // The wire consumer reads faster than the SDK consumer, native-sendfile fastest of all, and copy costs the broker most.
      const speed = (reader === 'wire' ? 1.5 : 1) * (mode === 'native-sendfile' ? 1.2 : 1);
      consume.push(
        c(`${reader === 'wire' ? 'wire/' : ''}${mode}/warm/${recordBytes}/${fetchBytes}`, { reader, mode, cache: 'warm', recordBytes, fetchBytes, sweep: false }, {
          recordsPerSec: [2.1e6, 2.0e6, 2.2e6].map((v) => v * speed),
          bytesPerSec: [2.5e9, 2.4e9, 2.6e9].map((v) => v * speed),
          pctLoopback: [60, 58, 62].map((v) => v * speed),
          brokerUserSecPerGiB: [0.2, 0.21, 0.19],
          brokerSysSecPerGiB: mode === 'copy' ? [0.5, 0.52, 0.49] : [0.3, 0.3, 0.3],
          brokerCpuSecPerGiB: mode === 'copy' ? [0.7, 0.72, 0.69] : mode === 'native-copy' ? [0.4, 0.41, 0.39] : [0.5, 0.5, 0.5],
          brokerCpuSec: [1, 1, 1],
          spanSec: [2, 2, 2],
          clientCpuPct: [100, 100, 100],
        }, { detail: { accountingPerFetch: { syscalls: 2, modeSwitches: 4, cpuCopies: 1 } } }),
      );
    }
  }
  for (const mode of ['native-copy', 'native-sendfile']) {
    for (const fetchBytes of [16 * KiB, 256 * KiB, 4 * MiB]) {
      consume.push(c(`sweep/wire/${mode}/${fetchBytes}`, { reader: 'wire', mode, cache: 'warm', recordBytes: 15 * KiB, fetchBytes, sweep: true }, { bytesPerSec: [1e9, 0.9e9, 1.1e9], brokerCpuSecPerGiB: [0.4, 0.38, 0.42] }));
    }
  }
  return {
    schema: REPORT_SCHEMA,
    command: 'copyless bench all --quick',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 42_000,
    quick: true,
    repeats: 3,
    machine: { nodeVersion: 'v20.0.0', platform: 'linux-x64', kernel: '6.0', cpuModel: 'Test CPU', cores: 2, memoryBytes: 8 * 2 ** 30, loadAverageStart: 0.5, loadAverageEnd: 0.7, loadAverageMax: 0.9 },
    broker: { kind: 'child', address: null, cpuMeasured: true, fsyncPolicy: 'NO FSYNC on a timer; acks=all waits for fdatasync', nativeAvailable: true, nativeReason: null, config: { flushIntervalMs: Infinity } },
    ceilings: { loopbackBytesPerSec: 4e9, loopbackCopyBytesPerSec: 3e9, memcpyBytesPerSec: 10e9, rttMsP99: 0.2 },
    scenarios: [
      { name: 'limits', title: 'limits', durationMs: 1000, columns: [{ key: 'bytesPerSec', label: 'throughput', unit: 'B/s' }], cases: [c('loopback', { writeBytes: MiB }, { bytesPerSec: [4e9] })], notes: [] },
      {
        name: 'produce',
        title: 'produce',
        durationMs: 1000,
        columns: [{ key: 'recordsPerSec', label: 'records/s', unit: 'rec/s' }],
        cases: [c('1p/acks=1/100B', { producers: 1, acks: 1, recordBytes: 100 }, { recordsPerSec: [900_000, 950_000, 1_000_000] })],
        notes: ['a note <with> markup & ampersand'],
      },
      { name: 'consume', title: 'consume', durationMs: 1000, columns: [{ key: 'bytesPerSec', label: 'throughput', unit: 'B/s' }], cases: consume, notes: [] },
      {
        name: 'catch-up',
        title: 'catch-up',
        durationMs: 1000,
        columns: [{ key: 'hitRatioDuring', label: 'hits during', unit: 'ratio' }],
        cases: ['lru', 'two-list'].map((policy) =>
          c(`${policy}/batching`, { policy, consumer: 'batching' }, { hitRatioBefore: [1], hitRatioDuring: [policy === 'lru' ? 0.2 : 0.99] }, {
            series: [{ label: `${policy}, batching consumer`, unit: 'ratio', points: [[-1, 1], [0.5, policy === 'lru' ? 0.2 : 0.99], [2, 1]] }],
            detail: { phases: [{ from: -1, to: 0, label: 'before' }, { from: 0, to: 1, label: 'replay' }, { from: 1, to: 2, label: 'after' }] },
          }),
        ),
        notes: [],
      },
      {
        name: 'latency',
        title: 'latency',
        durationMs: 1000,
        columns: [{ key: 'latencyMsP99', label: 'p99', unit: 'ms' }],
        cases: [c('rate=10000', { rate: 10_000 }, { latencyMsP50: [1], latencyMsP99: [3], latencyMsP999: [6], latencyMsMax: [9] })],
        notes: [],
      },
    ],
    targets: [],
    conclusions: [],
  };
}
