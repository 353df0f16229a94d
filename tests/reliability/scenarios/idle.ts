// Many connections, then idle ones: `connections` clients connect and each
// asks ApiVersions (the broker holds them all), then all fall silent. The
// broker must close every one of them after connectionsMaxIdleMs (Kafka's
// connections.max.idle.ms), come back to its listening sockets alone, and
// serve a new client.

import net from 'node:net';
import { ApiKey, encodeRequest } from '../../../src/protocol/index.ts';
import { latencyProbe, procSample, startChildBroker, tempDir, waitFor } from '../harness.ts';

export interface IdleOptions {
  connections: number;
  idleMs: number;
}

export interface IdleResult {
  connections: number;
  answered: number;
  socketsBefore: number;
  socketsHeld: number;
  socketsAfter: number;
  closedByBroker: number;
  closeAfterMs: number;
  newClientOk: boolean;
}

export async function runIdle(o: IdleOptions): Promise<IdleResult> {
  const dataDir = tempDir('copyless-idle-');
  const broker = await startChildBroker({ dataDir, connectionsMaxIdleMs: o.idleMs, connectionsMax: Math.max(1024, o.connections + 16) });
  const before = procSample(broker.pid);
  const sockets: net.Socket[] = [];
  let answered = 0;
  let closedByBroker = 0;
  for (let i = 0; i < o.connections; i++) {
    const s = net.connect(broker.port, '127.0.0.1');
    s.on('error', () => {});
    s.once('data', () => answered++);
    s.once('close', () => closedByBroker++);
    s.write(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 2, correlationId: i, clientId: 'idle' }, {}));
    sockets.push(s);
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  await waitFor('every connection to be answered', () => answered === o.connections, 30_000);
  const held = procSample(broker.pid).sockets;
  const idleSince = Date.now();
  await waitFor('the broker to close the idle connections', () => closedByBroker === o.connections, o.idleMs + 30_000);
  const closeAfterMs = Date.now() - idleSince;
  let after = procSample(broker.pid);
  await waitFor('the broker sockets to go back', () => (after = procSample(broker.pid)).sockets <= before.sockets, 10_000).catch(() => {});
  const probe = await latencyProbe(broker.port);
  await new Promise((r) => setTimeout(r, 200));
  const rtt = await probe.stop();
  for (const s of sockets) s.destroy();
  await broker.stop();
  const { rmSync } = await import('node:fs');
  rmSync(dataDir, { recursive: true, force: true });
  return {
    connections: o.connections,
    answered,
    socketsBefore: before.sockets,
    socketsHeld: held,
    socketsAfter: after.sockets,
    closedByBroker,
    closeAfterMs,
    newClientOk: rtt.count > 0 && rtt.failures === 0,
  };
}
