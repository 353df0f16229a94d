// How fetched records reach the application. Each fetch response is handed
// over whole, one response at a time in the order the fetches complete, and
// within it one partition at a time; a partition's position advances only
// after its handler resolves, so nothing a handler has not finished is ever
// counted as processed.
//
//   eachBatch    gets each partition's decoded messages as one array.
//   eachMessage  decodes lazily, one record batch at a time as the handler
//                reaches it, so a fetch's messages are never all alive at
//                once and most die young; a handler that returns no promise
//                runs back to back with the next, without a microtask turn.
//
// A record batch that cannot be decoded (a bad CRC, a codec error) ends the
// run, but only once everything before it was delivered; its partition's
// position stays at that batch, so nothing after it is skipped silently.
//
// A partition whose position moved while its response was on the way (seek,
// assign, a handler that stopped early, a prefetch that guessed wrong) is
// dropped here; the fetch loop fetches it again from the real position.
//
// messages() reads through a BatchSlot: a one-slot hand-off, so the fetch
// loop waits until the reader has taken the last batch.

import { CopylessError, ErrorCode } from '../src/errors.ts';
import { kafkaError } from './kafka-error.ts';
import type { ConsumerSettings } from './consumer-options.ts';
import type { Position, Positions } from './consumer-positions.ts';
import { type ConsumedMessage, type FetchAccounting, type FetchedPartition, decodeBatchAt } from './fetcher.ts';

export interface Batch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  highWatermark: number;
  /** Stored bytes of the whole record batches these messages were read from (batch headers included). */
  batchBytes: number;
  /** This fetch's accounting (CopylessFetch trailer), shared by every batch of the fetch; undefined against Kafka. */
  accounting: FetchAccounting | undefined;
}

export interface RunOptions {
  eachMessage?: (payload: { topic: string; partition: number; message: ConsumedMessage }) => Promise<void> | void;
  eachBatch?: (batch: Batch) => Promise<void> | void;
  /** After each fetch response has been handled (e.g. to check `atEnd()`). */
  afterFetch?: () => Promise<void> | void;
}

/** What delivery needs of the run it belongs to. */
export interface DeliveryRun {
  /** False once the run stopped or its fetch generation ended: no handler is called after that. */
  isCurrent(generation: number): boolean;
  /** Ends the run with `e`. */
  fail(e: unknown): void;
  /** A position changed: let the fetch loops look again. */
  wake(): void;
}

/** One fetch response to deliver, with the epochs its positions had when it was sent. */
export interface FetchedResponse {
  partitions: FetchedPartition[];
  accounting: FetchAccounting | undefined;
  epochs: Map<Position, number>;
}

export class BatchChannel {
  private readonly positions: Positions;
  private readonly run: DeliveryRun;
  private readonly s: Pick<ConsumerSettings, 'maxBytes' | 'checkCrcs'>;
  private chain: Promise<void> = Promise.resolve();
  private handling = false;

  constructor(positions: Positions, run: DeliveryRun, s: Pick<ConsumerSettings, 'maxBytes' | 'checkCrcs'>) {
    this.positions = positions;
    this.run = run;
    this.s = s;
  }

  /** True while a handler runs (stop() called from one must not wait for it). */
  get inHandler(): boolean {
    return this.handling;
  }

  /** Resolves once every response queued so far has been delivered (or failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * Delivers one response to the handlers after every response queued
   * before it. Rejects with a retriable error (stale metadata) for the fetch
   * loop to retry after a metadata refresh; anything fatal ends the run instead.
   */
  deliver(generation: number, response: FetchedResponse, handlers: RunOptions): Promise<void> {
    const next = this.chain.then(async () => {
      this.handling = true;
      try {
        await this.deliverNow(generation, response, handlers);
      } finally {
        this.handling = false;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async deliverNow(generation: number, { partitions, accounting, epochs }: FetchedResponse, handlers: RunOptions): Promise<void> {
    let staleMetadata: CopylessError | null = null;
    let undecodable: CopylessError | null = null;
    for (const f of partitions) {
      const p = this.positions.get(f.topic, f.partition);
      if (!this.run.isCurrent(generation)) return;
      if (p === undefined || epochs.get(p) !== p.epoch || p.offset !== f.fetchOffset) continue; // seeked or unassigned meanwhile
      if (f.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        if (!this.positions.resetOutOfRange(p)) {
          this.run.fail(await this.positions.outOfRangeError(p, f));
          return;
        }
        this.run.wake();
        continue;
      }
      if (f.errorCode !== 0) {
        staleMetadata = this.partitionError(f) ?? staleMetadata;
        continue;
      }
      p.highWatermark = f.highWatermark;
      if (handlers.eachBatch ? f.messages.length > 0 : f.nextOffset > f.fetchOffset) await this.handle(generation, p, f, accounting, handlers);
      else if (f.nextOffset > f.fetchOffset) p.offset = f.nextOffset; // only control batches
      else if (f.recordsBytes > 0 && f.highWatermark > f.fetchOffset) p.maxBytes = Math.min(p.maxBytes * 2, this.s.maxBytes);
      undecodable ??= f.decodeError ?? null;
    }
    if (this.run.isCurrent(generation)) await handlers.afterFetch?.();
    if (undecodable) return this.run.fail(undecodable);
    if (staleMetadata) throw staleMetadata;
  }

  private async handle(generation: number, p: Position, f: FetchedPartition, accounting: FetchAccounting | undefined, handlers: RunOptions): Promise<void> {
    const epoch = p.epoch;
    if (handlers.eachBatch) {
      await handlers.eachBatch({ topic: f.topic, partition: f.partition, messages: f.messages, highWatermark: f.highWatermark, batchBytes: f.wholeBatchBytes, accounting });
      if (p.epoch === epoch) p.offset = f.nextOffset;
      return;
    }
    // Lazy decoding: one record batch at a time, so a fetch's messages are never all alive at once and
    // most die young, before the next scavenge (a 1 MiB fetch holds about 10,000 records of 100 B).
    const batch: ConsumedMessage[] = [];
    for (let pos = 0; pos >= 0; ) {
      batch.length = 0;
      pos = decodeBatchAt(f, pos, this.s.checkCrcs, batch);
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i];
        if (!this.run.isCurrent(generation) || p.epoch !== epoch) return;
        const done = handlers.eachMessage!({ topic: f.topic, partition: f.partition, message });
        // A handler that returns no promise runs back to back with the next: no microtask turn per message.
        if (isPromiseLike(done)) await done;
        if (p.epoch === epoch) p.offset = message.offset + 1;
      }
    }
    if (p.epoch === epoch && this.run.isCurrent(generation)) p.offset = Math.max(p.offset ?? 0, f.nextOffset);
  }

  /** Returns an error to retry after a metadata refresh, or null when the run ended with it. */
  private partitionError(f: FetchedPartition): CopylessError | null {
    const err = kafkaError(f.errorCode, `fetch ${f.topic}/${f.partition} at offset ${f.fetchOffset}`, {
      topic: f.topic,
      partition: f.partition,
      offset: f.fetchOffset,
    });
    if (err.retriable) return err;
    this.run.fail(err);
    return null;
  }
}

/** A one-slot hand-off from the fetch loop to `messages()`: the loop waits until the reader took the last batch. */
export class BatchSlot {
  private queued: ConsumedMessage[] | null = null;
  private closedWith: CopylessError | null | undefined = undefined;
  private onTake: (() => void) | null = null;
  private onPut: (() => void) | null = null;

  async put(batch: ConsumedMessage[]): Promise<void> {
    while (this.queued !== null && this.closedWith === undefined) await new Promise<void>((r) => (this.onTake = r));
    if (this.closedWith !== undefined) return;
    this.queued = batch;
    this.onPut?.();
  }

  /** The next batch; null once closed without an error; throws the error it was closed with. */
  async take(): Promise<ConsumedMessage[] | null> {
    while (this.queued === null && this.closedWith === undefined) await new Promise<void>((r) => (this.onPut = r));
    if (this.queued !== null) {
      const batch = this.queued;
      this.queued = null;
      this.onTake?.();
      return batch;
    }
    if (this.closedWith) throw this.closedWith;
    return null;
  }

  close(e: CopylessError | null): void {
    this.closedWith = e;
    this.onPut?.();
    this.onTake?.();
  }
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}
