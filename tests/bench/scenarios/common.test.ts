// Proves that a measurement's broker CPU covers exactly the jobs' timed span: it is read when the first job says its span started and when the last one says its span ended, so connect and disconnect (outside the span, as the time is) are never charged; and that CPU figures are per GiB and per second of that span.
import { describe, expect, it } from 'vitest';
import type { BrokerHandle } from '../../../bench/broker-handle.ts';
import type { SpanEvent } from '../../../bench/jobs/consume-job.ts';
import { GiB, spanCpuFigures, spanned } from '../../../bench/scenarios/common.ts';

/** A broker whose CPU clock the test advances by hand. */
function fakeBroker() {
  const clock = { userSec: 0, systemSec: 0 };
  const broker = { cpu: () => ({ ...clock }) } as unknown as BrokerHandle;
  return { broker, burn: (sec: number) => (clock.userSec += sec) };
}

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('spanned', () => {
  it('charges the broker only the CPU between the span events, not connect or disconnect', async () => {
    const { broker, burn } = fakeBroker();
    const job = async (onEvent: (e: SpanEvent) => void) => {
      burn(5); // connect, metadata, assign: outside the span
      await tick();
      onEvent({ span: 'start' });
      burn(2); // the measured reading
      await tick();
      onEvent({ span: 'end' });
      burn(7); // disconnect
      return { startMs: 0, endMs: 1000, cpu: { userSec: 0.5, systemSec: 0.25 } };
    };
    const { cpu } = await spanned(broker, [job]);
    expect(cpu.broker).toEqual({ userSec: 2, systemSec: 0 });
    expect(cpu.clients).toEqual([{ userSec: 0.5, systemSec: 0.25 }]);
  });

  it('spans from the first start to the last end of several jobs', async () => {
    const { broker, burn } = fakeBroker();
    const job = (startAfter: number, endAfter: number) => async (onEvent: (e: SpanEvent) => void) => {
      for (let i = 0; i < startAfter; i++) await tick();
      onEvent({ span: 'start' });
      for (let i = 0; i < endAfter; i++) await tick();
      onEvent({ span: 'end' });
      return { startMs: 0, endMs: 1, cpu: { userSec: 0, systemSec: 0 } };
    };
    const running = spanned(broker, [job(1, 10), job(3, 2)]);
    for (let i = 0; i < 30; i++) {
      burn(1);
      await tick();
    }
    const { cpu } = await running;
    // Burned once per tick while the spans overlapped: more than either job's own span alone.
    expect(cpu.broker!.userSec).toBeGreaterThanOrEqual(10);
    expect(cpu.broker!.userSec).toBeLessThan(30);
  });

  it('gives no broker figure when a job never emitted its span', async () => {
    const { broker } = fakeBroker();
    const { cpu } = await spanned(broker, [async () => ({ startMs: 0, endMs: 0, cpu: { userSec: 0, systemSec: 0 } })]);
    expect(cpu.broker).toBeNull();
  });
});

describe('spanCpuFigures', () => {
  it('divides broker CPU by the GiB moved and both sides by the span', () => {
    const f = spanCpuFigures({ broker: { userSec: 0.25, systemSec: 0.75 }, clients: [{ userSec: 1, systemSec: 0 }, { userSec: 0.5, systemSec: 0 }] }, 2 * GiB, 2);
    expect(f).toEqual({ brokerUserSecPerGiB: 0.125, brokerSysSecPerGiB: 0.375, brokerCpuSecPerGiB: 0.5, brokerCpuSec: 1, brokerCpuPct: 50, clientCpuPct: 50 });
  });
});
