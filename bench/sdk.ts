// The benchmark's few direct uses of the client SDK in the runner's own
// process (admin work; load runs in client processes, see client-process.ts).

import { Copyless } from '../client/index.ts';
import { externalBroker, type BrokerHandle } from './broker-handle.ts';

/** An existing broker: read its info (config, native availability) once; drop caches through CopylessDropCaches. */
export async function externalBrokerHandle(address: string): Promise<BrokerHandle> {
  const client = new Copyless({ brokers: [address], clientId: 'copyless-bench' });
  const admin = client.admin();
  await admin.connect();
  try {
    const info = client.isCopyless() ? ((await admin.brokerInfo()) as unknown as Parameters<typeof externalBroker>[1]) : null;
    const copyless = client.isCopyless();
    return externalBroker(
      address,
      info,
      () => withAdmin(address, async (a) => (await a.dropCaches()).droppedPages),
      async () => (copyless ? withAdmin(address, (a) => a.stats()) : null),
    );
  } finally {
    await admin.disconnect();
  }
}

/** Run `fn` with a connected admin client of `address`. */
export async function withAdmin<T>(address: string, fn: (admin: ReturnType<Copyless['admin']>) => Promise<T>): Promise<T> {
  const admin = new Copyless({ brokers: [address], clientId: 'copyless-bench-admin' }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Create a topic (one broker: replication factor 1). */
export function createTopic(address: string, topic: string, partitions: number): Promise<void> {
  return withAdmin(address, async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  });
}

export function deleteTopic(address: string, topic: string): Promise<void> {
  return withAdmin(address, (admin) => admin.deleteTopics([topic]));
}
