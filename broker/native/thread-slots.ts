// A counting semaphore over libuv threadpool threads.
//
// A native send runs as napi async work on a threadpool thread and blocks
// there in poll(POLLOUT) while its consumer is slow. Without a cap, a few slow
// consumers would take every thread, and fs, dns and zlib work (which shares
// the pool) would stall behind them. Waiters are served first come, first
// served. The queue needs no bound of its own: each connection waits for at
// most one slot at a time (sends on one socket run one after another), and
// connections are capped by `connectionsMax`.

/** libuv's default pool size when UV_THREADPOOL_SIZE is not set. */
const LIBUV_THREADPOOL_SIZE_DEFAULT = 4;

/** Half the pool for native sends, the rest for everything else that uses it. */
export function nativeSendSlots(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE) || LIBUV_THREADPOOL_SIZE_DEFAULT;
  return Math.max(1, Math.floor(size / 2));
}

export class ThreadSlots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(slots: number) {
    this.free = slots;
  }

  /** Resolves with the function that gives the slot back; call it exactly once. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    };
  }
}
