// A broker-wide byte budget: memory that many connections draw on and that
// none of them may grow past alone. The Kafka listener charges request frames
// being assembled to one (queuedRequestBytesMax, Kafka's
// queued.max.request.bytes); the HTTP API charges answers not yet taken by
// their readers to another (httpHeldBytesMax).
//
// Rules:
//   - a reservation fits when the bytes in use plus it stay within capacity,
//     or when nothing is in use (one request larger than the whole budget
//     still goes through, alone, so no size can wait forever);
//   - waiters are granted in arrival order, and nobody jumps the queue: while
//     one waits, tryReserve refuses, so a large reservation is not starved by
//     a stream of small ones;
//   - a waiter that gives up cancels, and is never granted afterwards;
//   - charge() accounts for bytes that exist already (the excess of JSON text
//     over the record bytes reserved for it), so usage can pass capacity by
//     what is being encoded at that moment, and nothing is granted until it
//     falls back.

import { assert } from '../src/errors.ts';

interface Waiter {
  bytes: number;
  granted: () => void;
}

export class ByteBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  /** Largest usedBytes seen, for tests and the soak's report. */
  usedBytesMax = 0;

  constructor(
    /** The option or limit this budget enforces, for logs and errors. */
    readonly name: string,
    readonly capacityBytes: number,
  ) {
    assert(capacityBytes > 0, `${name} must be positive`);
  }

  get usedBytes(): number {
    return this.used;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  /** Reserve at once if the bytes fit and nobody is waiting; false otherwise (nothing reserved). */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || !this.fits(bytes)) return false;
    this.take(bytes);
    return true;
  }

  /**
   * Reserve when room appears, in arrival order; `granted` runs with the bytes
   * already reserved. Returns a cancel function (a no-op once granted).
   */
  reserveLater(bytes: number, granted: () => void): () => void {
    if (this.tryReserve(bytes)) {
      granted();
      return () => {};
    }
    const waiter: Waiter = { bytes, granted };
    this.waiters.push(waiter);
    return () => {
      const i = this.waiters.indexOf(waiter);
      if (i < 0) return;
      this.waiters.splice(i, 1);
      // The head may have been the one blocking the others.
      if (i === 0) this.grant();
    };
  }

  /** Promise form of reserveLater: true once reserved, false if `signal` aborts first. */
  reserve(bytes: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        cancel();
        resolve(false);
      };
      const cancel = this.reserveLater(bytes, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Charge bytes that already exist, fitting or not: a caller that reserved
   * an estimate and allocated more (JSON text from record bytes) accounts for
   * the difference here. The next reservations wait until it is released.
   */
  charge(bytes: number): void {
    this.take(bytes);
  }

  release(bytes: number): void {
    assert(bytes >= 0 && bytes <= this.used, `${this.name}: releasing ${bytes} of ${this.used} bytes in use`);
    this.used -= bytes;
    this.grant();
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.capacityBytes;
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.usedBytesMax) this.usedBytesMax = this.used;
  }

  private grant(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].bytes)) {
      const w = this.waiters.shift()!;
      this.take(w.bytes);
      w.granted();
    }
  }
}
