// Plain-text tables and throughput summaries for the CLI.

/** A left-aligned first column and right-aligned number columns, two spaces apart. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return cells.map(line).join('\n') + '\n';
}

export interface Throughput {
  messages: number;
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  /** Decimal megabytes (1e6 bytes) per second. */
  mbPerSec: number;
}

export function throughput(messages: number, bytes: number, elapsedMs: number): Throughput {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return {
    messages,
    bytes,
    seconds: round(seconds, 3),
    msgsPerSec: Math.round(messages / seconds),
    mbPerSec: round(bytes / seconds / 1e6, 2),
  };
}

/** One summary line, e.g. "produced 100000 msgs, 588895 bytes in 0.512 s: 195312 msgs/s, 1.15 MB/s". */
export function summaryLine(verb: string, t: Throughput): string {
  return `${verb} ${t.messages} msgs, ${t.bytes} bytes in ${t.seconds} s: ${t.msgsPerSec} msgs/s, ${t.mbPerSec} MB/s\n`;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
