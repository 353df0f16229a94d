// Producer ids for idempotent producers (InitProducerId). Like Kafka's
// ProducerIdManager, ids are reserved in blocks of PRODUCER_ID_BLOCK_SIZE: the
// end of the current block is written durably (lmdb, in the data dir's meta
// store) before any id from it is handed out, so one write serves a thousand
// producers and no id is ever handed out twice, across restarts included. On
// open, allocation resumes at the persisted block end, and above every id the
// partitions' producer state has seen (in case the meta store was lost while
// the logs were not).

import type { Database } from 'lmdb';
import type { MetaStore } from './meta-store.ts';

/** Ids reserved per durable write (Kafka's PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const BLOCK_END_KEY = 'blockEnd';

export class ProducerIdManager {
  private readonly db: Database<number, string>;
  private nextId = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;

  constructor(meta: MetaStore) {
    this.db = meta.openDB<number, string>('producer-ids');
  }

  /** Resumes after the persisted block and above `maxSeenId` (-1 when the logs hold no idempotent batch). */
  open(maxSeenId: number): void {
    this.nextId = this.blockEnd = Math.max(this.db.get(BLOCK_END_KEY) ?? 0, maxSeenId + 1);
  }

  /** A producer id no one was given before; waits for a block reservation when the current block is used up. */
  async allocate(): Promise<number> {
    while (this.nextId >= this.blockEnd) await this.reserve();
    return this.nextId++;
  }

  private reserve(): Promise<void> {
    this.reserving ??= (async () => {
      const end = this.blockEnd + PRODUCER_ID_BLOCK_SIZE;
      await this.db.put(BLOCK_END_KEY, end);
      this.blockEnd = end;
    })().finally(() => {
      this.reserving = null;
    });
    return this.reserving;
  }
}
