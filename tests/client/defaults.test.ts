// Proves the SDK's defaults serve a user who sets nothing: a producer's awaited send() of a window of records goes out at once, in whole batches of the default size, without waiting for a linger timer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordAccumulator } from '../../client/record-accumulator.ts';
import { PRODUCER_BATCH_BYTES_DEFAULT } from '../../src/limits.ts';
import { FakeTransport } from './fake-transport.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('producer defaults', () => {
  it('sends an awaited window of records at once, without a linger timer', async () => {
    vi.useFakeTimers(); // no timer fires unless the test advances the clock, which it never does
    const t = new FakeTransport(1); // answers every request at once, like a broker with nothing else to do
    const producer = new RecordAccumulator(t);
    let acknowledged = false;
    const window = Array.from({ length: 1000 }, () => ({ value: Buffer.alloc(1024) }));
    const done = producer.send({ topic: 'peer', messages: window }).then(() => (acknowledged = true));
    for (let i = 0; i < 50 && !acknowledged; i++) await Promise.resolve();
    expect(acknowledged).toBe(true);
    await done;
    const batches = t.requests.flatMap((r) => r.batches);
    expect(batches.reduce((n, b) => n + b.recordCount, 0)).toBe(1000);
    // Whole batches of the default size: about 1 MiB of records in a few, not a thousand.
    expect(batches.length).toBe(Math.ceil((1000 * (1024 + 24)) / PRODUCER_BATCH_BYTES_DEFAULT));
  });
});
