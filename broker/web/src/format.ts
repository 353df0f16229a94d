// Number, byte, rate and time formatting for the page, and HTML escaping.
// Pure functions: the views build their markup with them.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 3 significant digits with k/M/G suffixes: 1.23k, 45.6M. */
export function fmtCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return a >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toPrecision(3).replace(/\.?0+$/, '');
  for (const [unit, div] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (a >= div) return `${(n / div).toPrecision(3).replace(/\.?0+$/, '')}${unit}`;
  }
  return String(n);
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

export function fmtRate(perSecond: number, unit = '/s'): string {
  return `${fmtCount(perSecond)}${unit}`;
}

export function fmtByteRate(bytesPerSecond: number): string {
  return `${fmtBytes(bytesPerSecond)}/s`;
}

export function fmtPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(ratio >= 0.995 || ratio === 0 ? 0 : 1)}%`;
}

export function fmtTime(ms: number): string {
  if (!(ms > 0)) return '–';
  const d = new Date(ms);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)}Z`;
}

/** HH:MM:SS.mmm (UTC) for a record in a table; the full date goes in a title. */
export function fmtClock(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().slice(11, 23) : '–';
}

export function fmtAgo(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 1) return 'just now';
  if (s < 60) return `${s.toFixed(0)} s ago`;
  if (s < 3600) return `${(s / 60).toFixed(0)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(0)} min`;
}
