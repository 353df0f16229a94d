// Rebalance time of SDK consumer groups on a running broker: how long until
// partitions are reassigned when a member joins a one-member group and when
// one of two members leaves (4-partition topic). Members learn of a rebalance
// from their next heartbeat, so the figure is bounded by heartbeatIntervalMs.
//   node --import tsx bench/group-rebalance.ts 127.0.0.1:9092 [heartbeatMs=3000] [trials=5]
import { Copyless } from '../client/index.ts';
const broker = process.argv[2];
const heartbeatIntervalMs = Number(process.argv[3] ?? 3000);
const trials = Number(process.argv[4] ?? 5);
const client = new Copyless({ brokers: [broker], clientId: 'timing' });
const topic = `timing-${Date.now()}`;
const admin = client.admin(); await admin.connect(); await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] }); await admin.disconnect();
function member(groupId: string) {
  const st = { gens: 0, at: 0, parts: 0 };
  const c = client.consumer({ groupId, heartbeatIntervalMs, maxWaitMs: 100, onPartitionsAssigned: (e) => { st.gens++; st.at = performance.now(); st.parts = e.partitions.length; } });
  return { c, st, async start() { await c.connect(); c.subscribe({ topics: [topic] }); void c.run({ eachMessage: () => {} }); } };
}
const wait = async (cond: () => boolean) => { while (!cond()) await new Promise((r) => setTimeout(r, 2)); };
const joins: number[] = [], leaves: number[] = [], firstJoins: number[] = [];
for (let t = 0; t < trials; t++) {
  const g = `timing-g-${t}-${Date.now()}`;
  const a = member(g); const t0 = performance.now(); await a.start(); await wait(() => a.st.parts === 4); firstJoins.push(a.st.at - t0);
  await new Promise((r) => setTimeout(r, Math.random() * heartbeatIntervalMs));
  const b = member(g); const aGens = a.st.gens; const t1 = performance.now(); await b.start();
  await wait(() => a.st.gens > aGens && b.st.gens > 0 && a.st.parts + b.st.parts === 4); joins.push(Math.max(a.st.at, b.st.at) - t1);
  await new Promise((r) => setTimeout(r, Math.random() * heartbeatIntervalMs));
  const aGens2 = a.st.gens; const t2 = performance.now(); await b.c.disconnect(); await wait(() => a.st.gens > aGens2 && a.st.parts === 4); leaves.push(a.st.at - t2);
  await a.c.disconnect();
}
const fmt = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return `min ${s[0].toFixed(0)} median ${s[Math.floor(s.length / 2)].toFixed(0)} max ${s.at(-1)!.toFixed(0)} ms`; };
console.log(JSON.stringify({ heartbeatIntervalMs, trials }));
console.log(`first member alone : ${fmt(firstJoins)}`);
console.log(`member joins       : ${fmt(joins)}`);
console.log(`member leaves      : ${fmt(leaves)}`);
