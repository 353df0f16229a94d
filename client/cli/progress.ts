// A progress bar on stderr for long CLI runs: only on a terminal, and only
// once a run has lasted PROGRESS_DELAY_MS, so short runs and pipes stay clean.

import cliProgress from 'cli-progress';
import type { CliIo } from './io.ts';

const PROGRESS_DELAY_MS = 1000;

export class Progress {
  private readonly io: CliIo;
  private readonly label: string;
  private readonly total: number | null;
  private readonly startedAt = Date.now();
  private bar: cliProgress.SingleBar | null = null;
  private stopped = false;

  constructor(io: CliIo, label: string, total: number | null) {
    this.io = io;
    this.label = label;
    this.total = total;
  }

  update(messages: number): void {
    if (this.stopped || !this.io.stderrIsTTY) return;
    if (this.bar === null) {
      if (Date.now() - this.startedAt < PROGRESS_DELAY_MS) return;
      this.bar = this.create();
    }
    this.bar.update(messages, { rate: Math.round(messages / ((Date.now() - this.startedAt) / 1000)) });
  }

  stop(): void {
    this.stopped = true;
    this.bar?.stop();
  }

  private create(): cliProgress.SingleBar {
    const format =
      this.total === null
        ? `${this.label} {value} msgs | {rate} msgs/s | {duration_formatted}`
        : `${this.label} [{bar}] {percentage}% | {value}/{total} msgs | {rate} msgs/s | eta {eta_formatted}`;
    const bar = new cliProgress.SingleBar({ stream: this.io.stderr, format, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
    bar.start(this.total ?? 0, 0, { rate: 0 });
    return bar;
  }
}
