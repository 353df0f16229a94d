// Proves (small, for CI) that a full disk is refused with a clean
// KAFKA_STORAGE_ERROR, the broker stays up, and every acknowledged record is
// there after a restart. Needs root for the tmpfs; skipped elsewhere.

import { expect, it } from 'vitest';
import { mountTmpfs, runDiskFull } from './scenarios/disk-full.ts';

const probe = mountTmpfs(1);
const canMount = typeof probe !== 'string';
if (typeof probe !== 'string') probe.unmount();

it.skipIf(!canMount)(`refuses a full disk cleanly and loses nothing acknowledged${canMount ? '' : ' [skipped: cannot mount a tmpfs]'}`, async () => {
  const r = await runDiskFull({ sizeMb: 10, valueBytes: 50_000 });
  expect(r.skipped).toBeNull();
  expect(r.acknowledged).toBeGreaterThan(0);
  expect(Object.keys(r.refusals)).toEqual(['KAFKA_STORAGE_ERROR']);
  expect(r.brokerAliveAfter).toBe(true);
  expect(r.lost).toBe(0);
  expect(r.inOrder).toBe(true);
}, 120_000);
