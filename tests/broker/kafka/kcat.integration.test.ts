// Proves a librdkafka client (kcat, unmodified) works against copyless: it
// negotiates versions (ApiVersions v3 probe, then the KIP-511 fallback),
// produces, reads back with the legacy simple consumer, lists
// metadata, and consumes in a balanced consumer group that commits its
// offsets. Compression is proved in compression.integration.test.ts.
// Skipped, with the reason in its name, where kcat is not installed
// (.ci/run installs Debian's kcat when it can).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { kcat as runKcat, kcatFound, kcatSkipReason } from '../../helpers/kcat.ts';

let broker: TestBroker;
const kcat = (args: string[], input?: string) => runKcat(broker.address, args, input);

const lines = (n: number) => Array.from({ length: n }, (_, i) => `k${i % 7}:value-${i}`).join('\n') + '\n';

describe.skipIf(!kcatFound)(`kcat (librdkafka)${kcatSkipReason}`, () => {
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker?.destroy();
  });

  it('produces keyed messages and reads them back in order', async () => {
    const p = await kcat(['-P', '-t', 'kc', '-K', ':'], lines(1000));
    expect(p.status, p.stderr).toBe(0);
    const c = await kcat(['-C', '-t', 'kc', '-o', 'beginning', '-e', '-q', '-K', ':']);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe(lines(1000));
  });

  it('lists this broker as leader and controller', async () => {
    const l = await kcat(['-L', '-t', 'kc']);
    expect(l.status, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/broker 0 at 127\.0\.0\.1:\d+ \(controller\)/);
    expect(l.stdout).toMatch(/partition 0, leader 0, replicas: 0, isrs: 0/);
  });

  it('consumes in a balanced consumer group and commits what it read', async () => {
    const g = await kcat(['-G', 'kcat-group', 'kc', '-o', 'beginning', '-e', '-q']);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout.trim().split('\n')).toHaveLength(1000);
    const described = broker.groups.describeGroup('kcat-group');
    expect(described.partitions.find((p) => p.topic === 'kc' && p.partition === 0)?.committedOffset).toBe(1000);
  });
});
