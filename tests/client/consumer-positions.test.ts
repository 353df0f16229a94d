// Proves a consumer's positions without a broker: assign resolves 'earliest' and 'latest' with ListOffsets to each partition's
// leader and learns every partition's end, and bumps epochs so a fetch that raced with it is recognised; seek moves one position;
// bad specs are typed errors; a position out of range is reset as autoOffsetReset says, and with 'none' it stays and the error
// names the offset and the log's range.
import { describe, expect, it } from 'vitest';
import { resolveConsumerOptions } from '../../client/consumer-options.ts';
import { Positions } from '../../client/consumer-positions.ts';
import type { FetchedPartition } from '../../client/fetcher.ts';
import { CopylessError, ErrorCode } from '../../src/errors.ts';
import { FakeCluster } from './fake-cluster.ts';

function setup(autoOffsetReset: 'earliest' | 'latest' | 'none' = 'earliest') {
  const cluster = new FakeCluster();
  cluster.logs.set('t', [
    { leader: 1, start: 2, end: 10 },
    { leader: 2, start: 0, end: 5 },
  ]);
  return { cluster, positions: new Positions(cluster, resolveConsumerOptions({ autoOffsetReset })) };
}

function outOfRange(p: { topic: string; partition: number; offset: number | null }, o: Partial<FetchedPartition> = {}): FetchedPartition {
  return {
    topic: p.topic,
    partition: p.partition,
    fetchOffset: p.offset!,
    errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
    highWatermark: -1,
    logStartOffset: -1,
    messages: [],
    records: null,
    nextOffset: p.offset!,
    recordsBytes: 0,
    wholeBatchBytes: 0,
    ...o,
  };
}

async function errorOf(fn: () => unknown): Promise<CopylessError> {
  try {
    await fn();
  } catch (e) {
    return e as CopylessError;
  }
  throw new Error('expected an error');
}

describe('assign', () => {
  it("resolves 'earliest' and 'latest' with ListOffsets to each leader and learns every partition's end", async () => {
    const { cluster, positions } = setup();
    await positions.assign([{ topic: 't', partition: 0, offset: 'earliest' }, { topic: 't', partition: 1 }]);
    expect(positions.snapshot()).toEqual([
      { topic: 't', partition: 0, offset: 2, highWatermark: 10 },
      { topic: 't', partition: 1, offset: 5, highWatermark: 5 },
    ]);
    expect(cluster.listOffsets.sort((a, b) => a.leader - b.leader || a.timestamp - b.timestamp)).toEqual([
      { leader: 1, timestamp: -2, partitions: ['t/0'] },
      { leader: 1, timestamp: -1, partitions: ['t/0'] },
      { leader: 2, timestamp: -1, partitions: ['t/1'] },
    ]);
    expect(positions.allAtEnd()).toBe(false);
    expect(positions.processed()).toEqual([
      { topic: 't', partition: 0, offset: 2 },
      { topic: 't', partition: 1, offset: 5 },
    ]);
  });

  it('a whole topic from an explicit offset; a new assignment replaces the positions and bumps their epochs', async () => {
    const { positions } = setup();
    await positions.assign([{ topic: 't', offset: 7 }]);
    const first = positions.get('t', 0)!;
    expect(positions.snapshot().map((p) => p.offset)).toEqual([7, 7]);
    await positions.assign([{ topic: 't', partition: 0, offset: 10 }]);
    const second = positions.get('t', 0)!;
    expect(second.epoch).toBe(first.epoch + 1);
    expect([positions.holds(first), positions.holds(second)]).toEqual([false, true]);
    expect(positions.get('t', 1)).toBeUndefined();
    expect(positions.allAtEnd()).toBe(true);
    expect([...positions.leaders()]).toEqual([1]);
    expect(positions.ledBy(1)).toEqual([second]);
  });

  it('refuses a missing partition, a bad offset and a non-array with typed errors', async () => {
    const { positions } = setup();
    expect(await errorOf(() => positions.assign([{ topic: 't', partition: 5 }]))).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION', details: { topic: 't', partition: 5 } });
    expect(await errorOf(() => positions.assign([{ topic: 't', partition: 0, offset: -1 }]))).toMatchObject({ errorName: 'INVALID_REQUEST', details: { field: 'offset' } });
    expect(await errorOf(() => positions.assign('t' as never))).toMatchObject({ errorName: 'INVALID_REQUEST', details: { field: 'assign' } });
  });
});

describe('seek', () => {
  it('moves one position and bumps its epoch; an unassigned partition is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { positions } = setup();
    await positions.assign([{ topic: 't', partition: 0, offset: 9 }]);
    const p = positions.get('t', 0)!;
    const epoch = p.epoch;
    positions.seek({ topic: 't', partition: 0, offset: 'earliest' });
    expect([p.offset, p.reset, p.epoch]).toEqual([null, 'earliest', epoch + 1]);
    await positions.resolve(false);
    expect([p.offset, p.reset]).toEqual([2, null]);
    expect(await errorOf(() => positions.seek({ topic: 't', partition: 1, offset: 0 }))).toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(await errorOf(() => positions.seek({ topic: 't', partition: 0, offset: 1.5 }))).toMatchObject({ errorName: 'INVALID_REQUEST' });
  });
});

describe('out of range', () => {
  it("autoOffsetReset 'latest' (or 'earliest') resets the position to be resolved again", async () => {
    const { positions } = setup('latest');
    await positions.assign([{ topic: 't', partition: 0, offset: 99 }]);
    const p = positions.get('t', 0)!;
    expect(positions.resetOutOfRange(p)).toBe(true);
    expect([p.offset, p.reset]).toEqual([null, 'latest']);
    await positions.resolve(false);
    expect(p.offset).toBe(10);
  });

  it("autoOffsetReset 'none' keeps the position; the error names the offset and the log's range as ListOffsets reports it", async () => {
    const { cluster, positions } = setup('none');
    cluster.logs.get('t')!.push({ leader: 1, start: 4, end: 4 });
    await positions.assign([{ topic: 't', partition: 0, offset: 99 }, { topic: 't', partition: 2, offset: 0 }]);
    const [p0, p2] = [positions.get('t', 0)!, positions.get('t', 2)!];
    expect(positions.resetOutOfRange(p0)).toBe(false);
    expect([p0.offset, p0.reset]).toEqual([99, null]);
    const e = await positions.outOfRangeError(p0, outOfRange(p0));
    expect(e).toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE', details: { topic: 't', partition: 0, offset: 99, logStartOffset: 2, logEndOffset: 10 } });
    expect(e.message).toBe("offset 99 of t/0 is out of range: the log holds offsets 2..9 (log start 2, log end 10); autoOffsetReset is 'none'");
    expect((await positions.outOfRangeError(p2, outOfRange(p2))).message).toContain('the log is empty (log start = log end = 4)');
    cluster.failListOffsets = true; // then the fetch response's own fields, where it had any
    expect((await positions.outOfRangeError(p0, outOfRange(p0))).message).toContain('the log range is unknown');
    expect((await positions.outOfRangeError(p0, outOfRange(p0, { logStartOffset: 3, highWatermark: 8 }))).details).toMatchObject({ logStartOffset: 3, logEndOffset: 8 });
  });
});
