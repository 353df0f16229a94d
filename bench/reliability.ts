// Which figures of a run mean little, and why. A figure measured over a
// fraction of a second, a CPU figure made of a few 10 ms ticks, or repeats
// that disagree widely is shown flagged (in the tables, the charts and the
// conclusions) instead of being read as a result. The rules are deliberately
// simple so a reader can check them:
//
//   short   the timed span of a repeat was under SPAN_SEC_RELIABLE_MIN;
//   noisy   a headline figure's spread over the repeats exceeded SPREAD_PCT_RELIABLE_MAX;
//   coarse  the broker CPU behind a per-GiB figure was under CPU_SEC_RELIABLE_MIN
//           (/proc counts 10 ms ticks, so fewer than 10 ticks is +-10% or worse);
//   implausible  a ceiling contradicts another measured in the same run
//           (a loopback copy slower than its memcpy cost explains).

import type { BenchReport, CaseResult } from './types.ts';

/** Shortest timed span per repeat that is read as a result: scheduling hiccups of a few ms stay under 1-2%. */
export const SPAN_SEC_RELIABLE_MIN = 0.5;
/** Largest spread (half range over the median) of a headline figure before its repeats are said to disagree. */
export const SPREAD_PCT_RELIABLE_MAX = 25;
/** Least broker CPU behind a per-GiB figure: 10 ticks of /proc's 10 ms clock. */
export const CPU_SEC_RELIABLE_MIN = 0.1;
/** A loopback copy measured below this share of what memcpy predicts was disturbed, not slowed by the copy. */
const COPY_PLAUSIBLE_SHARE_MIN = 0.5;

/** The rules in one line, for the reports. */
export const RELIABILITY_RULES = `short: a repeat measured under ${SPAN_SEC_RELIABLE_MIN} s; noisy: a headline figure's repeats spread over ±${SPREAD_PCT_RELIABLE_MAX}%; coarse: under ${CPU_SEC_RELIABLE_MIN * 100} ticks of 10 ms of broker CPU behind a per-GiB figure; implausible: a ceiling contradicted by another`;

/** Figures whose spread decides "noisy": the ones charts and conclusions are made of. */
const HEADLINE_METRICS = ['bytesPerSec', 'recordsPerSec', 'brokerCpuSecPerGiB', 'latencyMsP99', 'hitRatioDuring'];

/** Reasons the case's figures are unreliable (empty when none). */
export function caseCaveats(c: CaseResult, r?: Pick<BenchReport, 'ceilings'>): string[] {
  const out: string[] = [];
  const span = c.metrics.spanSec;
  if (span && span.min < SPAN_SEC_RELIABLE_MIN) {
    out.push(`short: measured for ${span.min.toFixed(2)} s (under ${SPAN_SEC_RELIABLE_MIN} s)`);
  }
  for (const key of HEADLINE_METRICS) {
    const s = c.metrics[key];
    if (s && s.samples.length > 1 && (s.spreadPct === null || s.spreadPct > SPREAD_PCT_RELIABLE_MAX)) {
      out.push(`noisy: ${key} spread ±${s.spreadPct === null ? '?' : s.spreadPct.toFixed(0)}% over ${s.samples.length} repeats (over ${SPREAD_PCT_RELIABLE_MAX}%)`);
      break;
    }
  }
  const cpu = c.metrics.brokerCpuSec;
  if (cpu && c.metrics.brokerCpuSecPerGiB && cpu.min < CPU_SEC_RELIABLE_MIN) {
    out.push(`coarse CPU: ${Math.round(cpu.min * 100)} ticks of 10 ms behind the per-GiB figure (under ${CPU_SEC_RELIABLE_MIN * 100})`);
  }
  if (c.id === 'loopback-copy' && r) out.push(...copyPlausibility(c, r));
  return out;
}

/**
 * One user-space copy per 1 MiB write costs at most 1 MiB / memcpy bandwidth
 * of CPU time on top of the write, so loopback + copy should reach at least
 * 1 / (1/loopback + 1/memcpy); far below that, something else (a busy
 * machine, a cold allocator) was measured.
 */
function copyPlausibility(c: CaseResult, r: Pick<BenchReport, 'ceilings'>): string[] {
  const { loopbackBytesPerSec: loopback, memcpyBytesPerSec: memcpy } = r.ceilings;
  const measured = c.metrics.bytesPerSec?.median;
  if (!loopback || !memcpy || measured === undefined) return [];
  const predicted = 1 / (1 / loopback + 1 / memcpy);
  if (measured >= predicted * COPY_PLAUSIBLE_SHARE_MIN) return [];
  return [`implausible: ${(measured / 1e9).toFixed(2)} GB/s is under half of the ${(predicted / 1e9).toFixed(2)} GB/s the loopback and memcpy ceilings predict`];
}

/** Sets `caveats` on every case of the report that has any. */
export function markCaveats(r: BenchReport): void {
  for (const s of r.scenarios) {
    for (const c of s.cases) {
      const caveats = caseCaveats(c, r);
      if (caveats.length > 0) c.caveats = caveats;
      else delete c.caveats;
    }
  }
}
