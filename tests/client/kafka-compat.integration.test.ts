// Proves the SDK's behaviour against a plain Kafka broker (a fake one advertising Kafka 3.8's API versions and no copyless extensions): it is not taken for copyless, it consumes with plain Fetch v11 (no accounting), and a fetchMode is refused with FETCH_MODE_UNAVAILABLE.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Copyless } from '../../client/index.ts';
import { ApiKey, FrameDecoder, decodeRequest, decodeRequestHeader, encodeResponse, type RequestHeader } from '../../src/protocol/index.ts';
import type { FetchRequest } from '../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';

// Kafka 3.8's ranges for the APIs the client uses.
const KAFKA_VERSIONS = [
  [ApiKey.Produce, 0, 11],
  [ApiKey.Fetch, 0, 16],
  [ApiKey.ListOffsets, 0, 8],
  [ApiKey.Metadata, 0, 12],
  [ApiKey.ApiVersions, 0, 3],
  [ApiKey.CreateTopics, 0, 7],
  [ApiKey.DeleteTopics, 0, 6],
];
const BATCH = encodeRecordBatch([{ value: 'k0' }, { value: 'k1' }, { value: 'k2' }], { baseOffset: 0 });

const seen: RequestHeader[] = [];
let port = 0;
const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => {
  sockets.add(socket);
  const decoder = new FrameDecoder({ frameBytesMax: 1 << 20 });
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    for (const frame of decoder.push(chunk)) {
      const { header, bodyOffset } = decodeRequestHeader(frame);
      seen.push(header);
      const body = decodeRequest(header, frame, bodyOffset);
      for (const c of encodeResponse(header, answer(header, body))) socket.write(c as Buffer);
    }
  });
});

function answer(header: RequestHeader, body: unknown): unknown {
  switch (header.apiKey) {
    case ApiKey.ApiVersions:
      return { errorCode: 0, apiKeys: KAFKA_VERSIONS.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })), throttleTimeMs: 0 };
    case ApiKey.Metadata:
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
        clusterId: 'fake',
        controllerId: 1,
        topics: [{ errorCode: 0, name: 't', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
      };
    case ApiKey.ListOffsets:
      return { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 0 }] }] };
    case ApiKey.Fetch: {
      const offset = (body as FetchRequest).topics[0].partitions[0].fetchOffset;
      const records = offset === 0 ? BATCH : Buffer.alloc(0);
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 3, lastStableOffset: 3, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records }] }],
      };
    }
    default:
      throw new Error(`fake Kafka got api ${header.apiKey}`);
  }
}

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it('consumes from Kafka with Fetch v11 and refuses a fetch mode with a typed error', async () => {
  const client = new Copyless({ brokers: [`127.0.0.1:${port}`], retry: { retries: 1, initialRetryTimeMs: 10, maxRetryTimeMs: 20 } });
  const withMode = client.consumer({ fetchMode: 'sendfile' });
  await expect(withMode.connect()).rejects.toMatchObject({ errorName: 'FETCH_MODE_UNAVAILABLE', details: { field: 'fetchMode' } });
  await withMode.disconnect();
  expect(client.isCopyless()).toBe(false);

  const consumer = client.consumer({ maxWaitMs: 50 });
  await consumer.connect();
  await consumer.assign([{ topic: 't', offset: 'earliest' }]);
  const accountings: unknown[] = [];
  const values: string[] = [];
  await consumer.run({
    eachBatch: (b) => {
      accountings.push(b.accounting);
      values.push(...b.messages.map((m) => m.value!.toString()));
    },
    // Positions advance once eachBatch resolves, so the end is checked after the fetch.
    afterFetch: () => {
      if (consumer.atEnd()) void consumer.stop();
    },
  });
  await consumer.disconnect();
  expect(values).toEqual(['k0', 'k1', 'k2']);
  expect(accountings).toEqual([undefined]);
  const fetches = seen.filter((h) => h.apiKey === ApiKey.Fetch || h.apiKey === ApiKey.CopylessFetch);
  expect(fetches.map((h) => [h.apiKey, h.apiVersion])).toEqual([[ApiKey.Fetch, 11]]);
  expect(seen.find((h) => h.apiKey === ApiKey.Metadata)?.apiVersion).toBe(6);
  expect(seen.some((h) => h.apiKey >= 10_000)).toBe(false);
});
