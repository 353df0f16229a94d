// Group commit for a log's flushes (RocketMQ's GroupCommitService): a flush
// covers the log end offset at the moment it starts; at most one fsync pass
// is in flight and one queued. A caller the in-flight pass covers shares it;
// every other caller shares the queued one, which starts when the in-flight
// pass ends and covers whatever was appended by then. So N callers arriving
// during one fdatasync cost at most one more, not N.

import { assert } from '../errors.ts';

const noop = (): void => {};

export interface GroupCommitTarget {
  /** The offset a pass started now would cover, or null when nothing needs flushing. */
  target(): number | null;
  /** One pass: makes everything below `target` durable. */
  run(target: number): Promise<void>;
}

export class GroupCommit {
  private inFlight: { target: number; promise: Promise<void> } | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly log: GroupCommitTarget) {}

  /** Resolves when everything appended before the call is durable. */
  flush(): Promise<void> {
    const target = this.log.target();
    if (target === null) return Promise.resolve();
    if (this.queued) return this.queued;
    if (this.inFlight) {
      if (this.inFlight.target >= target) return this.inFlight.promise;
      this.queued = this.inFlight.promise.then(noop, noop).then(() => {
        this.queued = null;
        return this.start();
      });
      return this.queued;
    }
    return this.start();
  }

  private start(): Promise<void> {
    const target = this.log.target();
    if (target === null) return Promise.resolve();
    assert(this.inFlight === null, 'group commit: a second pass started while one is in flight');
    const flight = { target, promise: Promise.resolve() };
    this.inFlight = flight;
    flight.promise = (async () => {
      try {
        await this.log.run(target);
      } finally {
        if (this.inFlight === flight) this.inFlight = null;
      }
    })();
    return flight.promise;
  }
}
