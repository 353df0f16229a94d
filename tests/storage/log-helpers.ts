// Shared fixtures for the storage tests: temp dirs, a page cache, payloads and slice reads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PAGE_BYTES } from '../../src/limits.ts';
import { crc32c } from '@node-rs/crc32';
import { type CompressionName, decodeRecords, encodeRecordBatch, type RecordInput } from '../../src/record/index.ts';
import { type LogConfig, type LogSlice, PartitionLog, validateLogConfig } from '../../src/storage/log.ts';
import { PageCache } from '../../src/storage/page-cache.ts';

export const MiB = 1024 * 1024;

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `copyless-${prefix}-`));
}

export function newPageCache(o: { pages?: number; now?: () => number } = {}): PageCache {
  return new PageCache({ capacityBytes: (o.pages ?? 4096) * PAGE_BYTES, now: o.now });
}

/**
 * A batch of `count` records whose values say where they came from;
 * `timestamps` overrides each record's time; `sentMaxTimestamp` is what the
 * header claims (as an older client sends -1), CRC resealed.
 */
export function batch(
  count: number,
  o: { valueBytes?: number; tag?: string; timestamps?: number[]; compression?: CompressionName; sentMaxTimestamp?: number } = {},
): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < count; i++) {
    const label = `${o.tag ?? 'r'}-${i}`;
    const value = o.valueBytes ? Buffer.concat([Buffer.from(label), Buffer.alloc(Math.max(0, o.valueBytes - label.length), 120)]) : label;
    records.push({ key: `k${i}`, value, timestamp: o.timestamps?.[i] ?? 1_000_000 + i });
  }
  const out = encodeRecordBatch(records, { compression: o.compression });
  if (o.sentMaxTimestamp !== undefined) {
    out.writeBigInt64BE(BigInt(o.sentMaxTimestamp), 35);
    out.writeUInt32BE(crc32c(out.subarray(21)) >>> 0, 17);
  }
  return out;
}

export interface TestLog {
  log: PartitionLog;
  dir: string;
  pageCache: PageCache;
  reopen(o?: { cleanShutdown?: boolean; recoveryPoint?: number; config?: Partial<LogConfig>; cachePages?: number }): PartitionLog;
}

/** A partition log in `root`/t-0 with a fake clock the test may move. */
export function openLog(root: string, config: Partial<LogConfig> = {}, clock = { now: 1_000_000 }): TestLog {
  const dir = path.join(root, 't-0');
  const now = (): number => clock.now;
  const t: TestLog = {
    dir,
    pageCache: newPageCache({ now }),
    log: undefined as unknown as PartitionLog,
    reopen(o = {}) {
      t.pageCache = newPageCache({ now, pages: o.cachePages });
      t.log = PartitionLog.open({
        dir,
        topic: 't',
        partition: 0,
        config: validateLogConfig({ ...config, ...o.config }),
        pageCache: t.pageCache,
        recoveryPoint: o.recoveryPoint ?? 0,
        cleanShutdown: o.cleanShutdown ?? true,
        now,
      });
      return t.log;
    },
  };
  t.reopen();
  return t;
}

/** Bytes per page-cache read: small enough for the smallest cache, whose pages a read pins while it runs. */
const READ_CHUNK_BYTES = 32 * PAGE_BYTES;

/** The slice's bytes, read through the page cache in chunks and copied (as a copy fetch mode would). */
export function sliceBytes(pageCache: PageCache, s: LogSlice): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < s.length; at += READ_CHUNK_BYTES) {
    const r = pageCache.read(s.fileId, s.position + at, Math.min(READ_CHUNK_BYTES, s.length - at));
    parts.push(Buffer.concat(r.views));
  }
  return Buffer.concat(parts);
}

/** Every record value of the log, read from its start with `maxBytes` per read. */
export function readAllValues(t: TestLog, maxBytes = MiB): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  let offset = t.log.logStartOffset;
  for (;;) {
    const s = t.log.read(offset, maxBytes);
    if (!s) return out;
    const bytes = sliceBytes(t.pageCache, s);
    s.release();
    for (const r of decodeRecords(bytes)) {
      if (r.offset < offset) continue;
      out.push({ offset: r.offset, value: r.value?.toString('latin1').replace(/x+$/, '') ?? '' });
      offset = r.offset + 1;
    }
  }
}
