// Progress of a benchmark run on stderr, so stdout carries only the results
// table. On a terminal a cli-progress bar per scenario; elsewhere (CI logs,
// pipes) one plain line per finished step; in tests, nothing.

import cliProgress from 'cli-progress';

export interface Progress {
  /** A scenario with `total` steps starts. */
  begin(scenario: string, total: number): void;
  /** One step finished; `label` says which. */
  tick(label: string): void;
  /** A free-text status line (a warning, a skipped case). */
  say(line: string): void;
  end(): void;
}

export const silentProgress: Progress = { begin() {}, tick() {}, say() {}, end() {} };

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null;
  private value = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  begin(scenario: string, total: number): void {
    this.end();
    this.value = 0;
    this.bar = new cliProgress.SingleBar(
      { stream: this.stream, format: `${scenario.padEnd(9)} {bar} {value}/{total} {duration_formatted} {step}`, hideCursor: true, barsize: 30, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(1, total), 0, { step: '' });
  }

  tick(label: string): void {
    this.value++;
    // A scenario may do more steps than it estimated (a retried case); the bar grows instead of overflowing.
    if (this.bar && this.value > this.bar.getTotal()) this.bar.setTotal(this.value);
    this.bar?.update(this.value, { step: label });
  }

  say(line: string): void {
    if (this.bar) {
      this.bar.stop();
      this.stream.write(`${line}\n`);
      this.bar.start(this.bar.getTotal(), this.value, { step: '' });
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  end(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

class LineProgress implements Progress {
  private scenario = '';
  private total = 0;
  private value = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  begin(scenario: string, total: number): void {
    this.scenario = scenario;
    this.total = total;
    this.value = 0;
  }

  tick(label: string): void {
    this.value++;
    this.stream.write(`[bench] ${this.scenario} ${this.value}/${Math.max(this.total, this.value)} ${label}\n`);
  }

  say(line: string): void {
    this.stream.write(`[bench] ${line}\n`);
  }

  end(): void {}
}
