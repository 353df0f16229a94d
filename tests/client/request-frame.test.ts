// Proves the client's vectored request frames carry exactly the codec's bytes: a Produce request's large batches are spliced in as the very Buffers given (not copied), small fields and small batches are packed, and an unsupported version fails as the codec does.
import { describe, expect, it } from 'vitest';
import { encodeRequestChunks } from '../../client/request-frame.ts';
import { ApiKey, encodeRequest } from '../../src/protocol/index.ts';
import type { ProduceRequest } from '../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../src/record/index.ts';

const header = (apiKey: number, apiVersion: number) => ({ apiKey, apiVersion, correlationId: 42, clientId: 'frame-test' });

describe('encodeRequestChunks', () => {
  it('writes the same bytes as encodeRequest, splicing large batches in uncopied', () => {
    const big = encodeRecordBatch(Array.from({ length: 200 }, (_, i) => ({ value: Buffer.alloc(100, i) })));
    const small = encodeRecordBatch([{ value: 'x' }]);
    const body: ProduceRequest = {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [
        { name: 'a', partitionData: [{ index: 0, records: big }, { index: 1, records: small }] },
        { name: 'b', partitionData: [{ index: 3, records: big }] },
      ],
    };
    for (const version of [3, 7]) {
      const chunks = encodeRequestChunks(header(ApiKey.Produce, version), body);
      expect(Buffer.concat(chunks).equals(encodeRequest(header(ApiKey.Produce, version), body))).toBe(true);
      expect(chunks.filter((c) => c === big)).toHaveLength(2);
      expect(chunks.some((c) => c === small)).toBe(false);
    }
  });

  it('encodes a request without records as the codec does', () => {
    const body = { topics: [{ name: 't' }], allowAutoTopicCreation: true };
    expect(Buffer.concat(encodeRequestChunks(header(ApiKey.Metadata, 4), body)).equals(encodeRequest(header(ApiKey.Metadata, 4), body))).toBe(true);
  });

  it('fails an unsupported version with the codec error', () => {
    expect(() => encodeRequestChunks(header(ApiKey.Produce, 99), {})).toThrow(expect.objectContaining({ errorName: 'UNSUPPORTED_VERSION' }));
  });
});
