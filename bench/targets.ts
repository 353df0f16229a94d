// The benchmark's targets (bench/README.md, "Targets"), checked against a
// finished report. Targets live in the benchmark, never in timed tests: a miss
// is reported with the measured figure and the gap, and the README's closing
// note explains what limits it.
// Cases are found by their parameters, not their ids, so a scenario can add
// cases without breaking a check.

import type { BenchReport, CaseResult, ParamValue, TargetResult } from './types.ts';
import { formatValue } from './report/format.ts';
import { PEER_BEST, PEER_TARGET_MULTIPLE } from './peer-figures.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

function cases(r: BenchReport, scenario: string, where: Record<string, ParamValue>): CaseResult[] {
  const s = r.scenarios.find((x) => x.name === scenario);
  if (!s) return [];
  return s.cases.filter((c) => Object.entries(where).every(([k, v]) => c.params[k] === v));
}

function best(list: CaseResult[], metric: string): CaseResult | null {
  let top: CaseResult | null = null;
  for (const c of list) {
    const v = c.metrics[metric]?.median;
    if (v !== undefined && (top === null || v > (top.metrics[metric]?.median ?? -Infinity))) top = c;
  }
  return top;
}

function gap(measured: number, target: number): string {
  const pct = ((measured - target) / target) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(0)}%`;
}

function atLeast(id: string, description: string, c: CaseResult | null, metric: string, target: number, unit: 'rec/s' | '%' | 'B/s'): TargetResult {
  const v = c?.metrics[metric]?.median;
  if (v === undefined) return { id, description, status: 'not measured', detail: 'no matching case in this run' };
  const where = c ? ` (${c.label})` : '';
  return {
    id,
    description,
    status: v >= target ? 'met' : 'missed',
    detail: `${formatValue(v, unit)} vs >= ${formatValue(target, unit)} (${gap(v, target)})${where}`,
  };
}

function producerTarget(r: BenchReport): TargetResult {
  const c = best(cases(r, 'produce', { producers: 1, acks: 1, recordBytes: 100 }), 'recordsPerSec');
  return atLeast('produce-1p-100B', 'One producer, 100 B records, acks=1: >= 1,000,000 rec/s', c, 'recordsPerSec', 1_000_000, 'rec/s');
}

function consumerTarget(r: BenchReport): TargetResult {
  const c = best(cases(r, 'consume', { mode: 'sendfile', cache: 'warm', recordBytes: 100, reader: 'sdk' }), 'recordsPerSec');
  return atLeast('consume-sendfile-100B', 'One consumer, 100 B records, warm cache, sendfile: >= 2,000,000 rec/s', c, 'recordsPerSec', 2_000_000, 'rec/s');
}

function ceilingTarget(r: BenchReport): TargetResult {
  const c = best(cases(r, 'consume', { cache: 'warm', recordBytes: 64 * KiB, fetchBytes: MiB, reader: 'wire' }), 'pctLoopback');
  return atLeast('consume-64KiB-ceiling', '1 MiB fetches of 64 KiB records, warm, best mode, wire consumer: >= 60% of the loopback ceiling', c, 'pctLoopback', 60, '%');
}

function sdkConsumerTarget(r: BenchReport): TargetResult {
  const c = best(cases(r, 'consume', { cache: 'warm', recordBytes: 64 * KiB, fetchBytes: MiB, reader: 'sdk' }), 'bytesPerSec');
  return atLeast('consume-64KiB-sdk', '1 MiB fetches of 64 KiB records, warm, best mode, SDK consumer: >= 1.5 GB/s', c, 'bytesPerSec', 1.5e9, 'B/s');
}

function cpuTarget(r: BenchReport): TargetResult {
  const description = 'sendfile needs less broker CPU per GiB than copy (64 KiB records, 1 MiB fetches, warm)';
  const where = { cache: 'warm', recordBytes: 64 * KiB, fetchBytes: MiB };
  const send = cases(r, 'consume', { ...where, mode: 'sendfile', reader: 'sdk' })[0]?.metrics.brokerCpuSecPerGiB?.median;
  const copy = cases(r, 'consume', { ...where, mode: 'copy', reader: 'sdk' })[0]?.metrics.brokerCpuSecPerGiB?.median;
  if (send === undefined || copy === undefined) {
    return { id: 'cpu-sendfile-vs-copy', description, status: 'not measured', detail: 'needs broker CPU (a child broker) and both modes' };
  }
  const saved = ((copy - send) / copy) * 100;
  return {
    id: 'cpu-sendfile-vs-copy',
    description,
    status: send < copy ? 'met' : 'missed',
    detail: `sendfile ${send.toFixed(3)} s/GiB vs copy ${copy.toFixed(3)} s/GiB: ${saved >= 0 ? `${saved.toFixed(0)}% less` : `${(-saved).toFixed(0)}% MORE`}`,
  };
}

function nativeSweep(r: BenchReport): TargetResult {
  const description = 'native-sendfile vs native-copy across fetch sizes: where each wins';
  const sweep = cases(r, 'consume', { sweep: true });
  if (sweep.length === 0) return { id: 'native-sweep', description, status: 'not measured', detail: 'native modes unavailable or not run' };
  const sizes = [...new Set(sweep.map((c) => Number(c.params.fetchBytes)))].sort((a, b) => a - b);
  const words = sizes.map((size) => {
    const get = (mode: string) => sweep.find((c) => c.params.mode === mode && c.params.fetchBytes === size);
    const s = get('native-sendfile')?.metrics;
    const c = get('native-copy')?.metrics;
    if (!s || !c) return null;
    const gbps = (s.bytesPerSec?.median ?? 0) >= (c.bytesPerSec?.median ?? 0) ? 'sendfile' : 'copy';
    const cpuS = s.brokerCpuSecPerGiB?.median;
    const cpuC = c.brokerCpuSecPerGiB?.median;
    const cpu = cpuS === undefined || cpuC === undefined ? '?' : cpuS <= cpuC ? 'sendfile' : 'copy';
    return `${size >= MiB ? `${size / MiB}M` : `${size / KiB}K`}: GB/s ${gbps}, CPU ${cpu}`;
  });
  return { id: 'native-sweep', description, status: 'info', detail: words.filter(Boolean).join('; ') };
}

function latencyTarget(r: BenchReport): TargetResult {
  const description = 'End-to-end latency at 10,000 rec/s: p99 < 5 ms';
  const c = cases(r, 'latency', { rate: 10_000 })[0];
  const p99 = c?.metrics.latencyMsP99?.median;
  if (p99 === undefined) return { id: 'latency-10k-p99', description, status: 'not measured', detail: 'no 10,000 rec/s case in this run' };
  return {
    id: 'latency-10k-p99',
    description,
    status: p99 < 5 ? 'met' : 'missed',
    detail: `p99 ${p99.toFixed(2)} ms vs < 5 ms (${gap(p99, 5)})${r.ceilings.rttMsP99 ? `; bare loopback round trip p99 in this run: ${r.ceilings.rttMsP99.toFixed(2)} ms` : ''}`,
  };
}

/** The defaults on the peer workload: at least PEER_TARGET_MULTIPLE times the best peer figure. */
function peerTarget(phase: 'produce' | 'consume', recordBytes: number): (r: BenchReport) => TargetResult {
  return (r) => {
    const best = PEER_BEST[`${phase}/${recordBytes}` as keyof typeof PEER_BEST];
    const unit = best.unit;
    const target = best.value * PEER_TARGET_MULTIPLE;
    const description = `SDK defaults, peer workload, ${phase} ${recordBytes === 100 ? '100 B' : '1 KiB'}: >= ${PEER_TARGET_MULTIPLE}x the best peer (${formatValue(best.value, unit)}, ${best.peer})`;
    const c = cases(r, 'defaults', { phase, recordBytes })[0] ?? null;
    return atLeast(`defaults-${phase}-${recordBytes === 100 ? '100B' : '1KiB'}`, description, c, unit === 'rec/s' ? 'recordsPerSec' : 'bytesPerSec', target, unit);
  };
}

const TARGETS: Array<[scenario: string, check: (r: BenchReport) => TargetResult]> = [
  ['produce', producerTarget],
  ['consume', consumerTarget],
  ['consume', ceilingTarget],
  ['consume', sdkConsumerTarget],
  ['consume', cpuTarget],
  ['consume', nativeSweep],
  ['latency', latencyTarget],
  ['defaults', peerTarget('produce', 100)],
  ['defaults', peerTarget('consume', 100)],
  ['defaults', peerTarget('produce', 1024)],
  ['defaults', peerTarget('consume', 1024)],
];

/** The targets whose scenario ran (a `bench produce` run reports only the producer target). */
export function evaluateTargets(r: BenchReport): TargetResult[] {
  const ran = new Set(r.scenarios.map((s) => s.name));
  return TARGETS.filter(([scenario]) => ran.has(scenario)).map(([, check]) => check(r));
}
