// Proves a segment append that fails after its pwrite (page cache exhausted, or a failed fdatasync while the cache throttles the writer) leaves nothing behind: the file and the cache are back at the old size, and a restart recovers only the appends that succeeded.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CopylessError } from '../../src/errors.ts';
import { PAGE_BYTES, PAGE_CACHE_BYTES_MIN } from '../../src/limits.ts';
import { PartitionLog, validateLogConfig } from '../../src/storage/log.ts';
import { PageCache, type PageCacheOptions } from '../../src/storage/page-cache.ts';
import { batch, tempDir } from './log-helpers.ts';

let root: string;
let logs: PartitionLog[];
beforeEach(() => {
  root = tempDir('segment');
  logs = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const log of logs) log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function open(cache: Partial<PageCacheOptions>, cleanShutdown = true): { log: PartitionLog; pageCache: PageCache } {
  const pageCache = new PageCache({ capacityBytes: PAGE_CACHE_BYTES_MIN, ...cache });
  const log = PartitionLog.open({ dir: path.join(root, 't-0'), topic: 't', partition: 0, config: validateLogConfig({}), pageCache, recoveryPoint: 0, cleanShutdown });
  logs.push(log);
  return { log, pageCache };
}

function errorOf(fn: () => unknown): CopylessError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CopylessError);
    return e as CopylessError;
  }
  throw new Error('expected a CopylessError');
}

/** The failed append left the file, the cache and the log end where they were; a crash restart agrees. */
function expectNothingLeft(log: PartitionLog, pageCache: PageCache, before: { size: number; logEnd: number }): void {
  const seg = log.segments()[0];
  expect(fs.statSync(seg.path).size).toBe(before.size);
  expect(pageCache.fileSize(seg.fileId)).toBe(before.size);
  expect(log.sizeBytes).toBe(before.size);
  expect(log.logEndOffset).toBe(before.logEnd);
  const restarted = open({}, false).log; // as after a crash: the segment is re-scanned
  expect(restarted.logEndOffset).toBe(before.logEnd);
  expect(restarted.sizeBytes).toBe(before.size);
}

describe('a failed append', () => {
  it('is cut back out of the file and the cache when the page cache is exhausted', () => {
    const { log, pageCache } = open({});
    log.append(batch(1, { valueBytes: PAGE_CACHE_BYTES_MIN - 2 * PAGE_BYTES }));
    const before = { size: log.sizeBytes, logEnd: log.logEndOffset };
    const seg = log.segments()[0];
    const pinned = pageCache.read(seg.fileId, 0, seg.sizeBytes, { pin: true }); // a zero-copy send in flight holds every page
    expect(errorOf(() => log.append(batch(1, { valueBytes: 8 * PAGE_BYTES }))).errorName).toBe('PAGE_CACHE_EXHAUSTED');
    pageCache.release(pinned.pin!);
    expectNothingLeft(log, pageCache, before);
    expect(log.append(batch(1)).baseOffset).toBe(before.logEnd); // the next append lands where the failed one would have
  });

  it('is cut back out of the file and the cache when the pwrite fails half way', () => {
    const { log, pageCache } = open({});
    log.append(batch(1));
    const before = { size: log.sizeBytes, logEnd: log.logEndOffset };
    const real = fs.writeSync;
    vi.spyOn(fs, 'writeSync')
      .mockImplementationOnce(((fd: number, buf: Buffer, off: number, len: number, pos: number) => real(fd, buf, off, Math.floor(len / 2), pos)) as typeof fs.writeSync)
      .mockImplementationOnce(() => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      });
    const e = errorOf(() => log.append(batch(1, { valueBytes: 32 * PAGE_BYTES })));
    vi.restoreAllMocks();
    expect(e.errorName).toBe('KAFKA_STORAGE_ERROR');
    expect(e.message).toMatch(/ENOSPC/);
    expectNothingLeft(log, pageCache, before);
  });
});

describe('a throttled append', () => {
  it('writes back as bookkeeping and never fdatasyncs on the append path', () => {
    const { log, pageCache } = open({ dirtyRatio: 0.2, dirtyBackgroundRatio: 0.1 });
    const fdatasync = vi.spyOn(fs, 'fdatasyncSync');
    log.append(batch(1, { valueBytes: 32 * PAGE_BYTES })); // > dirtyRatio of 64 pages
    vi.restoreAllMocks();
    expect(fdatasync).not.toHaveBeenCalled();
    expect(pageCache.stats()).toMatchObject({ throttleEvents: 1, fsyncs: 0 });
    expect(pageCache.stats().dirtyPages).toBeLessThanOrEqual(pageCache.dirtyBackgroundPages);
  });
});
