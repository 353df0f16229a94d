// Proves the prefetch prediction: each partition is prefetched from the offset after the response's last whole batch (or from where a seek moved it), and nothing is prefetched after an error, a partial batch, or when no partition has data beyond the prefetch offsets (that fetch would only long-poll).
import { describe, expect, it } from 'vitest';
import type { FetchedPartition } from '../../client/fetcher.ts';
import { prefetchOffsets } from '../../client/prefetch.ts';

function fetched(partition: number, o: Partial<FetchedPartition>): FetchedPartition {
  return {
    topic: 't',
    partition,
    fetchOffset: 0,
    errorCode: 0,
    highWatermark: 100,
    logStartOffset: 0,
    messages: [],
    records: null,
    nextOffset: 0,
    recordsBytes: 0,
    wholeBatchBytes: 0,
    ...o,
  };
}

const at = (partition: number, offset: number | null) => ({ topic: 't', partition, offset });

describe('prefetchOffsets', () => {
  it('prefetches every partition from the offset after the last whole batch', () => {
    const p0 = at(0, 10);
    const p1 = at(1, 50);
    const out = prefetchOffsets([p0, p1], [fetched(0, { fetchOffset: 10, nextOffset: 20, recordsBytes: 900 }), fetched(1, { fetchOffset: 50, nextOffset: 50 })]);
    expect(out).toEqual(new Map([[p0, 20], [p1, 50]]));
  });

  it('sends nothing when every partition would be at its high watermark (a long-poll)', () => {
    expect(prefetchOffsets([at(0, 10)], [fetched(0, { fetchOffset: 10, nextOffset: 100, recordsBytes: 900, highWatermark: 100 })])).toBeNull();
    expect(prefetchOffsets([at(0, 100)], [fetched(0, { fetchOffset: 100, nextOffset: 100, highWatermark: 100 })])).toBeNull();
  });

  it('sends nothing after a partition error or a batch larger than maxBytes', () => {
    expect(prefetchOffsets([at(0, 10)], [fetched(0, { fetchOffset: 10, errorCode: 1 })])).toBeNull();
    expect(prefetchOffsets([at(0, 10)], [fetched(0, { fetchOffset: 10, nextOffset: 10, recordsBytes: 512 })])).toBeNull();
  });

  it('prefetches a partition that was seeked from its new position, and skips unresolved ones', () => {
    const seeked = at(0, 3);
    const flowing = at(1, 10);
    const out = prefetchOffsets(
      [seeked, flowing, at(2, null)],
      [fetched(0, { fetchOffset: 40, nextOffset: 60, recordsBytes: 900 }), fetched(1, { fetchOffset: 10, nextOffset: 30, recordsBytes: 900 })],
    );
    expect(out).toEqual(new Map([[seeked, 3], [flowing, 30]]));
  });
});
