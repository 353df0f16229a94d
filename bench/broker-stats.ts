// What the benchmark reads from the broker's stats (CopylessStats, the same
// JSON as `copyless stats --json` and HTTP /stats): the SG-DMA assumption its
// sendfile accounting uses, and its durability counters (real fsyncs, and
// what the simulated page cache wrote back). An older broker reports neither:
// every reader here returns null then, and the report prints "n/a".

import type { DurabilityCounts, SgDmaAssumption } from './types.ts';

const SG_DMA_SOURCES = ['flag', 'detected', 'default'] as const;
const DURABILITY_KEYS = ['fsyncs', 'fsyncBytes', 'writeBackPages', 'writeBackBytes'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** The `sgDma` field of a stats snapshot, or null when it is missing or not of the documented shape. */
export function sgDmaOf(stats: unknown): SgDmaAssumption | null {
  const s = isRecord(stats) ? stats.sgDma : undefined;
  if (!isRecord(s) || typeof s.enabled !== 'boolean' || !SG_DMA_SOURCES.includes(s.source as never)) return null;
  return { enabled: s.enabled, source: s.source as SgDmaAssumption['source'], detail: typeof s.detail === 'string' ? s.detail : '' };
}

/** The `durability` counters of a stats snapshot, or null when they are missing or not numbers. */
export function durabilityOf(stats: unknown): DurabilityCounts | null {
  const d = isRecord(stats) ? stats.durability : undefined;
  if (!isRecord(d)) return null;
  const out = {} as DurabilityCounts;
  for (const k of DURABILITY_KEYS) {
    if (typeof d[k] !== 'number' || !Number.isFinite(d[k])) return null;
    out[k] = d[k] as number;
  }
  return out;
}

/** `after - before`, field by field; null when either is unknown. */
export function durabilityDelta(before: DurabilityCounts | null, after: DurabilityCounts | null): DurabilityCounts | null {
  if (before === null || after === null) return null;
  const out = {} as DurabilityCounts;
  for (const k of DURABILITY_KEYS) out[k] = after[k] - before[k];
  return out;
}

/** `a + b`, field by field; null once either is unknown (a sum with an unknown part is unknown). */
export function durabilitySum(a: DurabilityCounts | null, b: DurabilityCounts | null): DurabilityCounts | null {
  if (a === null || b === null) return null;
  const out = {} as DurabilityCounts;
  for (const k of DURABILITY_KEYS) out[k] = a[k] + b[k];
  return out;
}

export const NO_DURABILITY: DurabilityCounts = { fsyncs: 0, fsyncBytes: 0, writeBackPages: 0, writeBackBytes: 0 };
