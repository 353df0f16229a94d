// Proves our RecordBatch v2 bytes are a real Kafka client's bytes: kafkajs's own encoder and ours produce identical batches (every codec; kafkajs's snappy, lz4 and zstd plugins are adapters over our codecs), and each side decodes the other's.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { COMPRESSION_NAMES, type CompressionName, decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../src/record/index.ts';
import { KAFKAJS_CODEC, registerKafkajsCodecs } from '../helpers/kafkajs-codecs.ts';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const Long = require('kafkajs/src/utils/long.js');

registerKafkajsCodecs();
const BASE_TS = 1_700_000_000_000;

const inputs: RecordInput[] = [
  { key: 'user-1', value: 'first', timestamp: BASE_TS, headers: { trace: 'abc', tenant: 'x' } },
  { key: null, value: Buffer.from([0, 1, 2, 250]), timestamp: BASE_TS + 5 },
  // kafkajs cannot encode a null header value (Buffer.byteLength(null) throws), so this one is empty.
  { key: 'k', value: null, timestamp: BASE_TS - 3, headers: { empty: '' } },
  { key: 'big', value: 'v'.repeat(5000), timestamp: BASE_TS + 70_000 },
];

async function kafkajsEncode(compression: number, baseOffset: number): Promise<Buffer> {
  const timestamps = inputs.map((r) => r.timestamp as number);
  const encoder = await RecordBatch({
    compression,
    firstOffset: Long.fromNumber(baseOffset),
    firstTimestamp: timestamps[0],
    maxTimestamp: Math.max(...timestamps),
    partitionLeaderEpoch: 3,
    lastOffsetDelta: inputs.length - 1,
    producerId: Long.fromNumber(12),
    producerEpoch: 2,
    firstSequence: 100,
    records: inputs.map((r, i) =>
      Record({ offsetDelta: i, timestampDelta: (r.timestamp as number) - timestamps[0], key: r.key, value: r.value, headers: r.headers }),
    ),
  });
  return encoder.buffer as Buffer;
}

function oursEncode(compression: CompressionName, baseOffset: number): Buffer {
  return encodeRecordBatch(inputs, { compression, baseOffset, partitionLeaderEpoch: 3, producerId: 12, producerEpoch: 2, baseSequence: 100 });
}

describe('kafkajs cross-encoding', () => {
  for (const [name, id] of COMPRESSION_NAMES.map((n) => [n, KAFKAJS_CODEC[n]] as const)) {
    it(`encodes the same bytes as kafkajs (${name})`, async () => {
      const theirs = await kafkajsEncode(id, 1000);
      expect(oursEncode(name, 1000).toString('hex')).toBe(theirs.toString('hex'));
    });

    it(`decodes a kafkajs batch (${name})`, async () => {
      const { header, records } = decodeRecordBatch(await kafkajsEncode(id, 1000));
      expect(header).toMatchObject({ baseOffset: 1000, lastOffset: 1003, compression: name, producerId: 12, producerEpoch: 2, baseSequence: 100, partitionLeaderEpoch: 3 });
      expect(records.map((r) => r.timestamp)).toEqual(inputs.map((r) => r.timestamp));
      expect(records[0].key?.toString()).toBe('user-1');
      expect(records[0].headers.map((h) => [h.key, h.value?.toString()])).toEqual([['trace', 'abc'], ['tenant', 'x']]);
      expect(records[1]).toMatchObject({ offset: 1001, key: null, value: Buffer.from([0, 1, 2, 250]) });
      expect(records[2]).toMatchObject({ value: null, headers: [{ key: 'empty', value: Buffer.alloc(0) }] });
      expect(records[3].value?.length).toBe(5000);
    });

    it(`is decoded by kafkajs (${name})`, async () => {
      const batch = await decodeKafkajsBatch(new Decoder(oursEncode(name, 2 ** 33)));
      expect(batch.firstOffset).toBe(String(2 ** 33));
      expect(batch.producerId).toBe('12');
      expect(batch.records.map((r: { offset: string }) => r.offset)).toEqual([0, 1, 2, 3].map((i) => String(2 ** 33 + i)));
      expect(batch.records.map((r: { timestamp: string }) => Number(r.timestamp))).toEqual(inputs.map((r) => r.timestamp));
      expect(batch.records[0].headers.trace.toString()).toBe('abc');
      expect(batch.records[1].key).toBeNull();
      expect(batch.records[2].value).toBeNull();
      expect(batch.records[3].value.toString()).toBe('v'.repeat(5000));
    });
  }
});
