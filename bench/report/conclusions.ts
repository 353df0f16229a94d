// "What this run shows": the few sentences a reader needs before the tables,
// computed from the run's own figures, never written by hand. Each sentence
// names the figures it rests on; a comparison whose figures overlap within
// their spread is called a tie, and one resting on figures flagged unreliable
// (reliability.ts) says so.

import { busyWarning } from '../machine.ts';
import type { BenchReport, CaseResult, ParamValue, ScenarioResult } from '../types.ts';
import { formatBytes, formatValue } from './format.ts';

/** With a single repeat there is no spread: differences smaller than this are called a tie. */
const TIE_PCT_SINGLE_SAMPLE = 10;

function scenario(r: BenchReport, name: string): ScenarioResult | undefined {
  return r.scenarios.find((s) => s.name === name);
}

function pick(s: ScenarioResult | undefined, where: Record<string, ParamValue>): CaseResult[] {
  return (s?.cases ?? []).filter((c) => Object.entries(where).every(([k, v]) => (c.params[k] ?? null) === v));
}

/** True when `a` and `b` cannot be told apart: their ranges overlap, or (one repeat) they differ by under TIE_PCT_SINGLE_SAMPLE. */
export function tied(a: CaseResult, b: CaseResult, metric: string): boolean {
  const x = a.metrics[metric];
  const y = b.metrics[metric];
  if (!x || !y) return false;
  if (x.samples.length > 1 && y.samples.length > 1) return x.min <= y.max && y.min <= x.max;
  return (Math.abs(x.median - y.median) / Math.max(Math.abs(x.median), Math.abs(y.median))) * 100 < TIE_PCT_SINGLE_SAMPLE;
}

/** The best case by `metric` (highest, or lowest with `lowest`), and every case tied with it. */
function winner(cases: CaseResult[], metric: string, lowest = false): { best: CaseResult; ties: CaseResult[] } | null {
  const with_ = cases.filter((c) => c.metrics[metric] !== undefined && Number.isFinite(c.metrics[metric].median));
  if (with_.length === 0) return null;
  const sorted = [...with_].sort((a, b) => (lowest ? 1 : -1) * (a.metrics[metric].median - b.metrics[metric].median));
  const best = sorted[0];
  return { best, ties: sorted.slice(1).filter((c) => tied(best, c, metric)) };
}

const mode = (c: CaseResult) => String(c.params.mode);
const caveat = (cases: CaseResult[]) => (cases.some((c) => c.caveats?.length) ? ' (indicative only: some of these figures are flagged unreliable)' : '');

function winnerWords(w: { best: CaseResult; ties: CaseResult[] }, metric: string, unit: 's/GiB' | 'B/s'): string {
  const v = formatValue(w.best.metrics[metric].median, unit);
  if (w.ties.length === 0) return `${mode(w.best)} (${v})`;
  return `${mode(w.best)} (${v}), tied within noise with ${w.ties.map(mode).join(', ')}`;
}

/** Per record and fetch size (warm): the fastest mode for each consumer and the one needing the least broker CPU per GiB. */
function perSize(r: BenchReport): string[] {
  const warm = pick(scenario(r, 'consume'), { cache: 'warm', sweep: false });
  const combos = [...new Set(warm.map((c) => `${c.params.recordBytes}|${c.params.fetchBytes}`))];
  const out: string[] = [];
  for (const combo of combos) {
    const [rec, fetch] = combo.split('|').map(Number);
    const at = warm.filter((c) => c.params.recordBytes === rec && c.params.fetchBytes === fetch);
    const sdk = at.filter((c) => (c.params.reader ?? 'sdk') === 'sdk');
    const wire = at.filter((c) => c.params.reader === 'wire');
    const parts: string[] = [];
    const fastSdk = winner(sdk, 'bytesPerSec');
    if (fastSdk) parts.push(`fastest with the SDK consumer: ${winnerWords(fastSdk, 'bytesPerSec', 'B/s')}`);
    const fastWire = winner(wire, 'bytesPerSec');
    if (fastWire) parts.push(`with the wire consumer: ${winnerWords(fastWire, 'bytesPerSec', 'B/s')}`);
    // The broker's cost per byte is best seen when the client does not hold it back: the wire consumer where it ran.
    const cheap = winner(wire.length > 0 ? wire : sdk, 'brokerCpuSecPerGiB', true);
    if (cheap) parts.push(`least broker CPU per GiB: ${winnerWords(cheap, 'brokerCpuSecPerGiB', 's/GiB')}`);
    if (parts.length > 0) out.push(`${formatBytes(rec)} records, ${formatBytes(fetch)} fetches (warm): ${parts.join('; ')}${caveat(at)}.`);
  }
  return out;
}

/** "a vs b unit", the unit written once when both figures share it ("1.31 GB/s vs 395 MB/s" otherwise). */
function pair(a: number, b: number, unit: 'B/s' | 's/GiB'): string {
  const [x, y] = [formatValue(a, unit), formatValue(b, unit)];
  const unitOf = (v: string) => v.slice(v.lastIndexOf(' ') + 1);
  return unitOf(x) === unitOf(y) ? `${x.slice(0, x.lastIndexOf(' '))} vs ${y}` : `${x} vs ${y}`;
}

/** Where native-copy beats native-sendfile (throughput or broker CPU per GiB), beyond noise. */
function nativePair(r: BenchReport): string[] {
  const consume = scenario(r, 'consume');
  const native = (consume?.cases ?? []).filter((c) => c.params.cache === 'warm' && (mode(c) === 'native-copy' || mode(c) === 'native-sendfile'));
  if (native.length === 0) return [];
  const key = (c: CaseResult) => `${c.params.reader ?? 'sdk'}|${c.params.recordBytes}|${c.params.fetchBytes}`;
  const pairs = new Map<string, { copy?: CaseResult; send?: CaseResult }>();
  for (const c of native) {
    const p = pairs.get(key(c)) ?? {};
    if (mode(c) === 'native-copy') p.copy = c;
    else p.send = c;
    pairs.set(key(c), p);
  }
  const faster: string[] = [];
  const cheaper: string[] = [];
  let compared = 0;
  for (const { copy, send } of pairs.values()) {
    if (!copy || !send) continue;
    compared++;
    const where = `${formatBytes(Number(copy.params.fetchBytes))} fetches of ${formatBytes(Number(copy.params.recordBytes))} records, ${copy.params.reader === 'wire' ? 'wire' : 'SDK'} consumer`;
    const b = (c: CaseResult, k: string) => c.metrics[k]?.median;
    if (b(copy, 'bytesPerSec')! > b(send, 'bytesPerSec')! && !tied(copy, send, 'bytesPerSec')) {
      faster.push(`${where}: ${pair(b(copy, 'bytesPerSec')!, b(send, 'bytesPerSec')!, 'B/s')}`);
    }
    const cc = b(copy, 'brokerCpuSecPerGiB');
    const cs = b(send, 'brokerCpuSecPerGiB');
    if (cc !== undefined && cs !== undefined && cc < cs && !tied(copy, send, 'brokerCpuSecPerGiB')) {
      cheaper.push(`${where}: ${pair(cc, cs, 's/GiB')}`);
    }
  }
  if (compared === 0) return [];
  const onThroughput = faster.length
    ? `native-copy was faster than native-sendfile in ${faster.length} of ${compared} settings (${faster.join('; ')})`
    : `native-copy was never faster than native-sendfile beyond noise (${compared} settings)`;
  const onCpu = cheaper.length ? `it needed less broker CPU per GiB in ${cheaper.length} (${cheaper.join('; ')})` : 'it never needed less broker CPU per GiB';
  return [`Real system calls: ${onThroughput}; ${onCpu}${caveat(native)}.`];
}

/** How the SDK consumer compares with the wire consumer at the same setting: what decoding costs. */
function decodingCost(r: BenchReport): string[] {
  const consume = scenario(r, 'consume');
  const wire = pick(consume, { cache: 'warm', sweep: false, reader: 'wire' });
  const best = winner(wire, 'bytesPerSec');
  if (!best) return [];
  const w = best.best;
  const sdk = pick(consume, { cache: 'warm', sweep: false, reader: 'sdk', mode: w.params.mode, recordBytes: w.params.recordBytes, fetchBytes: w.params.fetchBytes })[0];
  const sdkV = sdk?.metrics.bytesPerSec?.median;
  const wireV = w.metrics.bytesPerSec.median;
  if (sdkV === undefined) return [];
  const client = sdk.metrics.clientCpuPct?.median;
  return [
    `Client decoding: at ${formatBytes(Number(w.params.recordBytes))} records, ${formatBytes(Number(w.params.fetchBytes))} fetches, ${mode(w)}, the SDK consumer reached ${formatValue(sdkV, 'B/s')} against the wire consumer's ${formatValue(wireV, 'B/s')} (${((sdkV / wireV) * 100).toFixed(0)}%)${client !== undefined ? `, using ${client.toFixed(0)}% of a core` : ''}${caveat([w, sdk])}.`,
  ];
}

/** What the replay did to the tail consumers' page-cache hits, per policy. */
function catchUp(r: BenchReport): string[] {
  const s = scenario(r, 'catch-up');
  const batching = pick(s, { consumer: 'batching' });
  const caughtUp = pick(s, { consumer: 'caught-up' });
  if (batching.length === 0) return [];
  const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  const policies = batching.map((c) => `${c.params.policy}: ${pct(c.metrics.hitRatioBefore?.median)} before, ${pct(c.metrics.hitRatioDuring?.median)} during the replay`);
  const p99 = caughtUp
    .filter((c) => c.metrics.latencyMsP99Before && c.metrics.latencyMsP99During)
    .map((c) => `${c.params.policy} ${formatValue(c.metrics.latencyMsP99Before.median, 'ms')} -> ${formatValue(c.metrics.latencyMsP99During.median, 'ms')}`);
  const hits = caughtUp.map((c) => c.metrics.hitRatioDuring?.median).filter((v): v is number => v !== undefined);
  let text = `Catch-up: the batching tail consumer's page-cache hit ratio was ${policies.join('; ')}`;
  if (hits.length) text += `. The caught-up consumer's hit ratio during the replay ${Math.min(...hits) === 1 ? 'stayed at 100%' : `was at least ${pct(Math.min(...hits))}`}`;
  if (p99.length) text += `; its p99 latency went ${p99.join(', ')}`;
  return [`${text}${caveat([...batching, ...caughtUp])}.`];
}

/** Whether the machine was quiet, and whether the loopback ceiling can be trusted as the 100% mark. */
function machine(r: BenchReport): string[] {
  const out: string[] = [];
  const busy = busyWarning(r.machine);
  out.push(
    busy
      ? `Busy machine: ${busy}.`
      : `The machine was quiet: 1-minute load average at most ${r.machine.loadAverageMax.toFixed(1)} on ${r.machine.cores} cores.`,
  );
  const over = r.scenarios.flatMap((s) => s.cases).filter((c) => (c.metrics.pctLoopback?.median ?? 0) > 100 && c.id !== 'loopback-copy');
  if (over.length > 0 && r.ceilings.loopbackBytesPerSec) {
    out.push(
      `The loopback ceiling (${formatValue(r.ceilings.loopbackBytesPerSec, 'B/s')}) was measured below ${over.length} figure(s) that went through loopback themselves (up to ${over.reduce((m, c) => Math.max(m, c.metrics.pctLoopback.median), 0).toFixed(0)}%): it was taken at a busier moment, so "% of loopback" is not meaningful in this run.`,
    );
  }
  const cases = r.scenarios.flatMap((s) => s.cases);
  const flagged = cases.filter((c) => c.caveats?.length);
  if (flagged.length > 0) {
    out.push(`${flagged.length} of ${cases.length} cases are flagged unreliable (too short, noisy or coarse; marked in the tables and drawn pale in the charts): read them as indications only.`);
  }
  return out;
}

/** Real fsyncs per scenario, from the broker's own counters. */
function durability(r: BenchReport): string[] {
  const withBroker = r.scenarios.filter((s) => s.durability !== undefined);
  if (withBroker.length === 0) return [];
  if (withBroker.every((s) => s.durability === null)) return ['fsyncs: n/a (the broker does not report durability counters).'];
  const parts = withBroker.map((s) => `${s.name} ${s.durability ? `${s.durability.fsyncs.toLocaleString('en-US')}` : 'n/a'}`);
  return [`Real fsyncs the broker ran (its own counters): ${parts.join(', ')}.`];
}

/** The sentences of "What this run shows", in reading order. */
export function conclusions(r: BenchReport): string[] {
  return [...machine(r), ...perSize(r), ...decodingCost(r), ...nativePair(r), ...catchUp(r), ...durability(r)];
}
