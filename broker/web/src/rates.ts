// Rates from the cumulative counters of consecutive stats samples. The broker
// sends totals (a push skipped under back-pressure loses nothing); the page
// turns each pair of samples into a per-second rate. Pure functions.

import type { ModeStats } from '../../../src/fetch/accounting.ts';
import type { ActivitySnapshot, StatsMessage, TopicActivity } from '../../dashboard/messages.ts';

/** One push of the stats channel, as the page keeps it for its charts. */
export type Sample = Pick<StatsMessage, 'timestamp' | 'modes' | 'pageCache'> & { activity: ActivitySnapshot | null };

export type Counter = (s: Sample) => number | undefined;

/** One point per sample after the first: the counter's increase over the interval, per second. Decreases (a reset) are skipped. */
export function rateSeries(samples: readonly Sample[], pick: Counter): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 1; i < samples.length; i++) {
    const a = pick(samples[i - 1]);
    const b = pick(samples[i]);
    const dt = (samples[i].timestamp - samples[i - 1].timestamp) / 1000;
    if (a === undefined || b === undefined || !(dt > 0) || b < a) continue;
    out.push([samples[i].timestamp, (b - a) / dt]);
  }
  return out;
}

/** The rate over the last `windowMs` (smoother than the last interval alone); 0 with fewer than two samples. */
export function recentRate(samples: readonly Sample[], pick: Counter, windowMs = 2000): number {
  const d = recentDelta(samples, pick, windowMs);
  return d && d.seconds > 0 ? d.delta / d.seconds : 0;
}

export function recentDelta(samples: readonly Sample[], pick: Counter, windowMs = 2000): { delta: number; seconds: number } | null {
  if (samples.length < 2) return null;
  const last = samples[samples.length - 1];
  let first = samples.length - 2;
  while (first > 0 && last.timestamp - samples[first].timestamp < windowMs) first--;
  const a = pick(samples[first]);
  const b = pick(last);
  if (a === undefined || b === undefined || b < a) return null;
  return { delta: b - a, seconds: (last.timestamp - samples[first].timestamp) / 1000 };
}

export function topicOf(s: Sample, name: string): TopicActivity | undefined {
  return s.activity?.topics.find((t) => t.name === name);
}

export function modeOf(s: Sample, mode: string): ModeStats | undefined {
  return s.modes[mode];
}

/** Hits / (hits + misses) over the window, null when there were no lookups. */
export function recentRatio(samples: readonly Sample[], hits: Counter, misses: Counter, windowMs = 2000): number | null {
  const h = recentDelta(samples, hits, windowMs);
  const m = recentDelta(samples, misses, windowMs);
  if (!h || !m || h.delta + m.delta === 0) return null;
  return h.delta / (h.delta + m.delta);
}
