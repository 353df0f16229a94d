// A per-turn budget for synchronous work on the event loop.
//
// One Node thread serves every client, so anything the broker does in one
// go holds up everyone else. libuv reads up to 32 chunks of 64 KiB from a busy
// socket in one poll callback, so a producer streaming 256 KiB requests
// hands the broker several appends at once (each a pwrite(2), a copy into the
// simulated page cache and a CRC check); done back to back they kept a small
// request on another connection waiting 10-20 ms.
//
// Work goes through `run(cost, fn)`: the first piece of a turn always runs at
// once; later pieces run at once while the turn's spent cost stays within the
// budget, and otherwise wait, in FIFO order, for a later turn (setImmediate:
// the check phase, after the poll phase has read every other socket). FIFO
// keeps the order callers asked in, so one producer's requests to a partition
// are appended in send order.

/** Budget left for the current turn and the work waiting for the next. */
export class TurnBudget {
  private spent = 0;
  private turnScheduled = false;
  private readonly waiting: Array<{ cost: number; start: () => void }> = [];

  /** `budget`: cost units one turn may spend before later work waits (the first piece of a turn always runs). */
  constructor(readonly budget: number) {}

  /** Work waiting for a later turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` now if this turn has budget left and nothing waits, else in FIFO order in a later turn. */
  run<T>(cost: number, fn: () => T): Promise<T> {
    if (this.waiting.length === 0 && this.fits(cost)) return this.start(cost, fn);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        cost,
        start: () => this.start(cost, fn).then(resolve, reject),
      });
      this.scheduleTurn();
    });
  }

  private fits(cost: number): boolean {
    return this.spent === 0 || this.spent + cost <= this.budget;
  }

  private start<T>(cost: number, fn: () => T): Promise<T> {
    this.spent += cost;
    this.scheduleTurn();
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The next check phase starts a new turn: the budget is refilled and waiting work runs until it is spent. */
  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.spent = 0;
      while (this.waiting.length > 0 && this.fits(this.waiting[0].cost)) this.waiting.shift()!.start();
    });
  }
}
