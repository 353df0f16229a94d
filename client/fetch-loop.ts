// A consumer's fetch loops: one per leader broker of the assigned partitions,
// each on that broker's `fetch` connection, so a long-poll on one broker never
// holds back data from another. A supervisor starts a loop for every leader
// that has positions to fetch and looks again whenever it is woken (seek,
// assign, a reset, a loop that ended).
//
// While a response is decoded and handled, the next Fetch of its loop is
// already on its way (prefetch.ts), so the broker sends while this process
// decodes and runs handlers; a prefetched partition whose position moved
// meanwhile is dropped when its turn comes (batch-channel.ts).
//
// Every loop belongs to one fetch generation (LoopControl): stop(), a failure
// or a group rebalance bumps the generation, and the loops of the old one end
// at their next step. Retriable failures are retried with back-off after a
// metadata refresh, up to the cluster's retry count; anything else ends the run.

import { setImmediate } from 'node:timers/promises';
import { CopylessError, toCopylessError } from '../src/errors.ts';
import type { BatchChannel, RunOptions } from './batch-channel.ts';
import type { Cluster } from './cluster.ts';
import type { Position, Positions } from './consumer-positions.ts';
import type { FetchResult, Fetcher } from './fetcher.ts';
import { prefetchOffsets } from './prefetch.ts';
import { backoffMs, sleep } from './retry.ts';

/** Which fetch generation may run, the supervisor's wake-up, and the error that ended the run. */
export class LoopControl {
  /** Bumped to end the current loops (stop, failure, a rebalance). */
  generation = 0;
  running = false;
  /** The first non-retriable error of the run: run() rejects with it. */
  fatal: Error | null = null;
  private onWake: (() => void) | null = null;

  isCurrent(generation: number): boolean {
    return this.running && this.generation === generation;
  }

  /** Resolves at the next wake(). */
  nextWake(): Promise<void> {
    return new Promise<void>((resolve) => (this.onWake = resolve));
  }

  /** Positions, leaders or the generation changed: the supervisor looks again. */
  wake(): void {
    this.onWake?.();
  }

  clearWake(): void {
    this.onWake = null;
  }

  /** Ends the run with `e` (the first error wins). */
  fail(e: unknown): void {
    this.fatal ??= e instanceof Error ? e : toCopylessError(e);
    this.running = false;
    this.generation++;
    this.wake();
  }

  /**
   * True when the error is retriable (the loop goes on after a back-off);
   * otherwise stops the run with it. A handler's own error ends the run unchanged.
   */
  handleLoopError(e: unknown): boolean {
    if (!this.running) return false;
    if (e instanceof CopylessError && e.retriable) return true;
    this.fail(e);
    return false;
  }
}

/** A Fetch on its way, with the epochs its positions had when it was sent. */
interface SentFetch {
  positions: Position[];
  epochs: Map<Position, number>;
  result: Promise<FetchResult>;
}

export class FetchLoops {
  private readonly cluster: Cluster;
  private readonly fetcher: Fetcher;
  private readonly positions: Positions;
  private readonly channel: BatchChannel;
  private readonly control: LoopControl;

  constructor(o: { cluster: Cluster; fetcher: Fetcher; positions: Positions; channel: BatchChannel; control: LoopControl }) {
    this.cluster = o.cluster;
    this.fetcher = o.fetcher;
    this.positions = o.positions;
    this.channel = o.channel;
    this.control = o.control;
  }

  /** Keeps one fetch loop per leader of the assigned partitions until the generation ends. */
  async supervise(generation: number, handlers: RunOptions): Promise<void> {
    const loops = new Map<number, Promise<void>>();
    let failures = 0;
    while (this.control.isCurrent(generation)) {
      const changed = this.control.nextWake();
      try {
        await this.positions.resolve(false);
        for (const leader of this.positions.leaders()) {
          if (loops.has(leader)) continue;
          const loop = this.fetchLoop(generation, leader, handlers).finally(() => loops.delete(leader));
          loops.set(leader, loop);
        }
        failures = 0;
      } catch (e) {
        if (!(await this.retryAfter(e, failures++))) break;
        continue;
      }
      await Promise.race([changed, ...loops.values()]);
    }
    this.control.clearWake();
  }

  /**
   * Fetches from one leader until the generation ends. While a response is
   * being handled the next Fetch is already on its way (prefetch.ts), so the
   * broker sends while this process decodes and runs handlers.
   */
  private async fetchLoop(generation: number, leader: number, handlers: RunOptions): Promise<void> {
    let failures = 0;
    let prefetched: SentFetch | null = null;
    while (this.control.isCurrent(generation)) {
      let sent = prefetched;
      prefetched = null;
      if (sent === null) {
        const positions = this.positions.ledBy(leader);
        if (positions.length === 0) return;
        sent = this.sendFetch(leader, positions, new Map(positions.map((p) => [p, p.offset!])));
      }
      const epochs = sent.epochs;
      try {
        const result = await sent.result;
        if (!this.control.isCurrent(generation)) return;
        prefetched = this.prefetch(leader, sent.positions, result);
        // The prefetch is written to the socket a few promise hops from here (connection lookup, handshake
        // check): let it go out before decoding (CRC checks) holds the event loop for a while.
        if (prefetched !== null) await setImmediate();
        // eachBatch hands over whole arrays; eachMessage decodes one record batch at a time as it goes (batch-channel.ts).
        if (handlers.eachBatch) this.fetcher.decode(result);
        await this.channel.deliver(generation, { partitions: result.partitions, accounting: result.accounting, epochs }, handlers);
        failures = 0;
      } catch (e) {
        prefetched = null; // dropped with the failed round; its response, if any, is ignored
        if (!(await this.retryAfter(e, failures++))) return;
        // Partitions that moved to another leader are picked up by the supervisor.
        this.control.wake();
      }
    }
  }

  /**
   * After a failed round (`failures` before it in a row): false when the loop
   * must end (the error is not retriable, the run stopped, or the retries are
   * spent, which ends the run); otherwise waits out the back-off and
   * refreshes the metadata of the assigned topics.
   */
  private async retryAfter(e: unknown, failures: number): Promise<boolean> {
    if (!this.control.handleLoopError(e)) return false;
    if (failures >= this.cluster.o.retry.retries) {
      this.control.fail(e);
      return false;
    }
    await sleep(backoffMs(this.cluster.o.retry, failures));
    await this.cluster.refreshMetadata(this.positions.topics()).catch(() => undefined);
    return true;
  }

  /** Sends a Fetch (records left undecoded) for `positions` from `offsets`, remembering their epochs to recognise a stale response. */
  private sendFetch(leader: number, positions: Position[], offsets: Map<Position, number>): SentFetch {
    const epochs = new Map(positions.map((p) => [p, p.epoch]));
    const result = this.fetcher.fetchUndecoded(
      leader,
      positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: offsets.get(p)!, maxBytes: p.maxBytes })),
    );
    // An abandoned fetch (stop, rebalance, a failed round) is never awaited; its failure must not go unhandled.
    result.catch(() => undefined);
    return { positions, epochs, result };
  }

  /** The next Fetch for these positions, sent now, before `result` is handled; null when it would not pay. */
  private prefetch(leader: number, positions: Position[], result: FetchResult): SentFetch | null {
    // Partitions unassigned (or reassigned: a new Position) since the fetch went out are not fetched again.
    const current = positions.filter((p) => this.positions.holds(p));
    const offsets = prefetchOffsets(current, result.partitions);
    return offsets === null ? null : this.sendFetch(leader, [...offsets.keys()], offsets);
  }
}
