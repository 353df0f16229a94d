// One connection's subscription to the `stats` channel: every intervalMs a
// text message {"op":"stats",...} with the broker's cumulative stats, plus the
// parts the subscriber asked for (broker/dashboard/messages.ts): `activity`,
// and `pageMap`, whose binary frame follows the text message and is a delta
// against the last frame this subscriber received. A push skipped because the
// connection is over its send-buffer bound (they are snapshots, nothing is
// lost) makes the next page map a keyframe.

import type { Logger } from 'pino';
import { toCopylessError } from '../../src/errors.ts';
import { encodePageMapFrame, type PageMapHeader } from '../dashboard/messages.ts';
import type { StatsSource } from '../dashboard/stats-source.ts';
import type { StatsOptions } from './ops.ts';

export interface StatsSink {
  writable(): boolean;
  sendJson(message: object): void;
  sendBinary(views: Buffer[], onWritten: () => void): void;
}

const noop = (): void => {};

export class StatsSubscription {
  readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  /** Cells of the last page map sent, null when the next must be a keyframe. */
  private lastCells: Uint8Array | null = null;
  private lastLayoutVersion = -1;

  constructor(
    private readonly sink: StatsSink,
    private readonly source: StatsSource,
    readonly options: StatsOptions | null,
    defaultIntervalMs: number,
    private readonly logger: Logger,
  ) {
    this.intervalMs = options?.intervalMs ?? defaultIntervalMs;
  }

  /** Push once now, then every intervalMs. */
  start(): void {
    this.push();
    this.timer = setInterval(() => this.push(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private push(): void {
    if (!this.sink.writable()) {
      this.lastCells = null;
      return;
    }
    try {
      this.send();
    } catch (e) {
      // A timer must never throw (it would end the broker); a failed snapshot is skipped and the next one retried.
      this.lastCells = null;
      this.logger.warn({ err: toCopylessError(e).message }, 'stats push failed');
    }
  }

  private send(): void {
    const include = this.options?.include ?? [];
    const message: Record<string, unknown> = { op: 'stats', timestamp: Date.now(), ...this.source.stats() };
    if (include.includes('activity')) message.activity = this.source.activity(this.options?.connection ?? null);
    if (!include.includes('pageMap')) return this.sink.sendJson(message);
    const map = this.source.pageMap();
    const previous = map.layout.version === this.lastLayoutVersion ? this.lastCells : null;
    const frame = encodePageMapFrame(map.cells, previous, this.seq);
    const header: PageMapHeader = {
      seq: this.seq,
      keyframe: previous === null,
      layoutVersion: map.layout.version,
      activePages: map.activePages,
      readAhead: map.readAhead,
      bytes: frame.length,
    };
    if (previous === null) header.layout = map.layout;
    message.pageMap = header;
    this.seq = (this.seq + 1) >>> 0;
    this.sink.sendJson(message);
    this.sink.sendBinary([Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)], noop);
    this.lastCells = map.cells;
    this.lastLayoutVersion = map.layout.version;
  }
}
