// Reading a partition back whole with the SDK, for the scenarios that check
// what survived: every value in log order.

import { Copyless } from '../../../client/index.ts';

export async function readPartition(address: string, topic: string, partition = 0): Promise<string[]> {
  const client = new Copyless({ brokers: [address], clientId: 'reliability-reader' });
  const admin = client.admin();
  await admin.connect();
  const [desc] = await admin.describeTopics([topic]);
  await admin.disconnect();
  const end = desc.partitions[partition].logEndOffset;
  const values: string[] = [];
  if (end === desc.partitions[partition].logStartOffset) return values;
  const consumer = client.consumer({ fetchMode: 'copy' });
  await consumer.connect();
  consumer.assign([{ topic, partition, offset: 'earliest' }]);
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ messages }) => {
          for (const m of messages) if (m.offset < end) values.push(m.value?.toString() ?? '');
          if (messages.length > 0 && messages[messages.length - 1].offset >= end - 1) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}
