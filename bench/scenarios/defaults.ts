// `defaults`: what someone who sets nothing gets, on the workload copyless was
// compared with three peers on (jobs/peer.ts): one producer sending windows of
// 1,000 messages and waiting for their acknowledgements, then one consumer
// reading every message back, at 100 B and 1 KiB, every SDK setting at its
// default except acks=1. Each figure is set against the best peer figure of
// that comparison (median of 3, every client with its default settings, one
// machine) and the target of three times it.

import type { PeerJob, PeerPhase } from '../jobs/peer.ts';
import { PEER_WINDOW_MESSAGES } from '../jobs/peer.ts';
import { PEER_BEST, PEER_TARGET_MULTIPLE } from '../peer-figures.ts';
import { measure, type BenchContext, type Scenario } from '../runner.ts';
import { createTopic, deleteTopic } from '../sdk.ts';
import { summarizeRuns } from '../stats.ts';
import type { ScenarioResult } from '../types.ts';
import { KiB, sizeLabel, spanCpuFigures, spanned, withBroker } from './common.ts';

type Phase = 'produce' | 'consume';
const SIZES = [100, KiB] as const;

function records(quick: boolean, recordBytes: number): number {
  // Full: ~300 MB of 100 B and ~600 MB of 1 KiB records, so even the consumer reads for more than half a second.
  if (recordBytes === 100) return quick ? 500_000 : 3_000_000;
  return quick ? 100_000 : 600_000;
}

function phaseFigures(p: PeerPhase, cpu: Parameters<typeof spanCpuFigures>[0], phase: Phase, recordBytes: number): Record<string, number> {
  const seconds = (p.endMs - p.startMs) / 1000;
  const best = PEER_BEST[`${phase}/${recordBytes}` as keyof typeof PEER_BEST];
  const figures: Record<string, number> = { recordsPerSec: p.records / seconds, bytesPerSec: p.valueBytes / seconds, spanSec: seconds, ...spanCpuFigures(cpu, p.valueBytes, seconds) };
  figures.vsPeerBest = (best.unit === 'rec/s' ? figures.recordsPerSec : figures.bytesPerSec) / best.value;
  return figures;
}

async function run(ctx: BenchContext, out: ScenarioResult): Promise<void> {
  const [client] = await ctx.clients(1);
  await withBroker(ctx, {}, async (broker) => {
    let topicIndex = 0;
    for (const recordBytes of SIZES) {
      const runs: Record<Phase, Record<string, number>[]> = { produce: [], consume: [] };
      await measure(ctx, `peer workload ${sizeLabel(recordBytes)}`, async () => {
        const topic = ctx.topic(`defaults-${topicIndex++}`);
        await createTopic(broker.address, topic, 1);
        const job: PeerJob = { address: broker.address, topic, recordBytes, records: records(ctx.quick, recordBytes) };
        const produced = await spanned(broker, [(onEvent) => client.call<PeerPhase>('peerProduce', job, onEvent as (d: unknown) => void)]);
        runs.produce.push(phaseFigures(produced.results[0], produced.cpu, 'produce', recordBytes));
        const consumed = await spanned(broker, [(onEvent) => client.call<PeerPhase>('peerConsume', job, onEvent as (d: unknown) => void)]);
        runs.consume.push(phaseFigures(consumed.results[0], consumed.cpu, 'consume', recordBytes));
        await deleteTopic(broker.address, topic);
        return {};
      });
      for (const phase of ['produce', 'consume'] as const) {
        const best = PEER_BEST[`${phase}/${recordBytes}` as keyof typeof PEER_BEST];
        out.cases.push({
          id: `${phase}/${sizeLabel(recordBytes)}`,
          label: `${phase} ${sizeLabel(recordBytes)}, SDK defaults`,
          params: { phase, recordBytes, records: records(ctx.quick, recordBytes), windowMessages: PEER_WINDOW_MESSAGES, acks: 1, peerBest: best.value, peerBestUnit: best.unit, peer: best.peer, targetMultiple: PEER_TARGET_MULTIPLE },
          metrics: summarizeRuns(runs[phase]),
        });
      }
    }
  });
  out.notes.push(
    `The side-by-side workload: one producer sends windows of ${PEER_WINDOW_MESSAGES.toLocaleString('en-US')} messages (one send() per window, awaited until every message is acknowledged), then one consumer reads them all back from the start with eachMessage; one partition. Every SDK setting is its default except acks=1 (the peers acknowledge once a write reached the OS; the SDK's default, acks=all, waits for an fsync). "x best peer" is the figure over the best peer figure of the comparison: ${Object.entries(PEER_BEST).map(([k, v]) => `${k.replace('/1024', ' 1 KiB').replace('/100', ' 100 B')} ${v.unit === 'rec/s' ? `${v.value / 1000} k rec/s` : `${v.value / 1e6} MB/s`} (${v.peer})`).join(', ')}; the target is ${PEER_TARGET_MULTIPLE}x.`,
  );
}

export const defaultsScenario: Scenario = {
  name: 'defaults',
  title: 'SDK defaults on the peer workload: windows of 1,000 acknowledged messages, then one consumer reading them back',
  columns: [
    { key: 'recordsPerSec', label: 'records/s', unit: 'rec/s' },
    { key: 'bytesPerSec', label: 'throughput', unit: 'B/s' },
    { key: 'vsPeerBest', label: 'x best peer', unit: 'x' },
    { key: 'brokerCpuSecPerGiB', label: 'broker CPU/GiB', unit: 's/GiB' },
    { key: 'brokerCpuPct', label: 'broker CPU', unit: '%' },
    { key: 'clientCpuPct', label: 'client CPU', unit: '%' },
  ],
  steps: (ctx) => SIZES.length * ctx.repeats,
  run,
};
