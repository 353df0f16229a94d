// Proves the peer workload against a real broker: the producer sends its records in acknowledged windows of 1,000 (the last one shorter) and the consumer reads every one of them back once with eachMessage, each phase timing its own span and emitting its start and end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Copyless } from '../../../client/index.ts';
import type { SpanEvent } from '../../../bench/jobs/consume-job.ts';
import { PEER_WINDOW_MESSAGES, peerConsumeJob, peerProduceJob, type PeerJob } from '../../../bench/jobs/peer.ts';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker({ pageCacheMb: 32 });
  const admin = new Copyless({ brokers: [broker.address], clientId: 'test' }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'peer', numPartitions: 1 }] });
  await admin.disconnect();
});

afterAll(async () => {
  await broker?.destroy();
});

describe('peer workload jobs', () => {
  it('produces in acknowledged windows and reads every record back once', async () => {
    const job: PeerJob = { address: broker.address, topic: 'peer', recordBytes: 100, records: 2 * PEER_WINDOW_MESSAGES + 500 };
    const events: string[] = [];
    const produced = await peerProduceJob(job, (e: SpanEvent) => events.push(`produce ${e.span}`));
    expect(produced).toMatchObject({ records: 2500, valueBytes: 250_000 });
    const probe = new Copyless({ brokers: [broker.address], clientId: 'test' }).consumer({});
    await probe.connect();
    await probe.assign([{ topic: 'peer', partition: 0, offset: 'latest' }]);
    expect(probe.assignment()[0].offset).toBe(2500);
    await probe.disconnect();
    const consumed = await peerConsumeJob(job, (e: SpanEvent) => events.push(`consume ${e.span}`));
    expect(consumed).toMatchObject({ records: 2500, valueBytes: 250_000 });
    expect(events).toEqual(['produce start', 'produce end', 'consume start', 'consume end']);
    for (const p of [produced, consumed]) expect(p.endMs).toBeGreaterThan(p.startMs);
  });
});
