// Proves the log manager's data-dir contract: the clean-shutdown marker (only on a clean close), recovery-point and log-start-offset checkpoints written on close and read (marker removed) on open, the timer's checkpoints written without a synchronous fsync, a brand-new data dir told apart, every partition reopened at start, unclean restarts recovered, deletion by rename then background removal with leftovers reported, flush.ms and retention passes, and names refused before they become paths.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOG_CONFIG_DEFAULTS } from '../../src/storage/log.ts';
import { CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_FILE, LogManager, RECOVERY_POINT_FILE } from '../../src/storage/log-manager.ts';
import { batch, MiB, newPageCache, tempDir } from './log-helpers.ts';

let dataDir: string;
const managers: LogManager[] = [];
beforeEach(() => {
  dataDir = tempDir('lm');
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => {});
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function manager(clock = { now: 1_000_000 }): LogManager {
  const m = new LogManager({ dataDir, pageCache: newPageCache(), defaults: { ...LOG_CONFIG_DEFAULTS, segmentBytes: MiB }, now: () => clock.now });
  managers.push(m);
  return m;
}

describe('LogManager', () => {
  it('writes the checkpoint and marker on close, and reads then removes the marker on open', async () => {
    const m1 = manager();
    expect(m1.open()).toMatchObject({ cleanShutdown: false, fresh: true });
    const log = m1.getOrCreate('orders', 2, { retentionMs: -1 });
    log.append(batch(3));
    m1.getOrCreate('my.topic-with-dash', 0).append(batch(1));
    expect(fs.existsSync(path.join(dataDir, 'orders-2', '00000000000000000000.log'))).toBe(true);
    await m1.close();
    managers.pop();
    expect(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    const checkpoint = fs.readFileSync(path.join(dataDir, RECOVERY_POINT_FILE), 'utf8').trim().split('\n');
    expect(checkpoint.slice(0, 2)).toEqual(['0', '2']);
    expect(checkpoint.slice(2).sort()).toEqual(['my.topic-with-dash 0 1', 'orders 2 3']);

    const m2 = manager();
    expect(m2.open()).toMatchObject({ cleanShutdown: true, fresh: false });
    expect(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    expect(m2.all().map((l) => `${l.topic}-${l.partition}:${l.logEndOffset}`).sort()).toEqual(['my.topic-with-dash-0:1', 'orders-2:3']);
    const again = m2.getOrCreate('orders', 2, { retentionMs: 5000 });
    expect(again.config.retentionMs).toBe(5000);
    expect(again.append(batch(1)).baseOffset).toBe(3);
  });

  it('drops checkpoint entries with a negative partition or offset when it reads them, so writing them back never trips an invariant', async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, RECOVERY_POINT_FILE), '0\n3\nghost 0 -5\nghost -1 7\nkept 1 4\n');
    const m = manager();
    m.open();
    m.checkpoint();
    const lines = fs.readFileSync(path.join(dataDir, RECOVERY_POINT_FILE), 'utf8').trim().split('\n');
    expect(lines).toEqual(['0', '1', 'kept 1 4']);
  });

  it("writes the timer's checkpoint off the event loop: no synchronous fsync while serving", async () => {
    const m = manager();
    m.open();
    const log = m.getOrCreate('t', 0);
    log.append(batch(4));
    await log.flush();
    const syncs = [vi.spyOn(fs, 'fdatasyncSync'), vi.spyOn(fs, 'fsyncSync'), vi.spyOn(fs, 'writeSync')];
    const running = m.checkpointInBackground();
    expect(m.checkpointInBackground()).toBe(running); // one at a time
    await running;
    for (const spy of syncs) expect(spy).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(fs.readFileSync(path.join(dataDir, RECOVERY_POINT_FILE), 'utf8')).toBe('0\n1\nt 0 4\n');
    expect(fs.readFileSync(path.join(dataDir, LOG_START_OFFSET_FILE), 'utf8')).toBe('0\n1\nt 0 0\n');
  });

  it('keeps a DeleteRecords log start offset across a restart, clean or not (log-start-offset checkpoint)', async () => {
    const m1 = manager();
    m1.open();
    const log = m1.getOrCreate('trim', 0);
    for (let i = 0; i < 4; i++) log.append(batch(3, { timestamps: [10 * i, 10 * i + 1, 10 * i + 2] }));
    expect(log.deleteRecordsBefore(7)).toBe(7);
    m1.checkpoint(); // what the DeleteRecords handler does right away
    expect(fs.readFileSync(path.join(dataDir, LOG_START_OFFSET_FILE), 'utf8')).toContain('trim 0 7');
    const m2 = manager(); // m1 never closed: an unclean restart
    m2.open();
    const again = m2.get('trim', 0)!;
    expect(again.logStartOffset).toBe(7);
    expect(() => again.read(6, MiB)).toThrow(expect.objectContaining({ errorName: 'OFFSET_OUT_OF_RANGE' }));
    expect(again.offsetForTimestamp(0)).toEqual({ offset: 7, timestamp: 21 });
  });

  it('recovers every partition after an unclean shutdown', async () => {
    const m1 = manager();
    m1.open();
    const log = m1.getOrCreate('t', 0);
    log.append(batch(2));
    await log.flush();
    m1.checkpoint();
    log.append(batch(2));
    // Crash: no close. Tear the last batch as a power loss might.
    const file = path.join(dataDir, 't-0', '00000000000000000000.log');
    fs.truncateSync(file, fs.statSync(file).size - 5);
    const m2 = manager();
    expect(m2.open()).toMatchObject({ cleanShutdown: false, fresh: false });
    expect(m2.get('t', 0)!.logEndOffset).toBe(2);
    managers.splice(0, 1); // m1's files were reopened by m2; m1 is the crashed process
  });

  it('deletes a partition by renaming it to a -delete name, removes it in the background, and reports leftovers at open', async () => {
    const m = manager();
    m.open();
    m.getOrCreate('gone', 0).append(batch(1));
    fs.mkdirSync(path.join(dataDir, 'old-0.123-delete'));
    m.markDeleted('gone', 0, 'id1');
    expect(m.get('gone', 0)).toBeUndefined();
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('gone'))).toEqual(['gone-0.id1-delete']);
    await m.purgeDeleted();
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('gone'))).toEqual([]);
    await m.close();
    managers.pop();
    fs.mkdirSync(path.join(dataDir, 'my.topic-3.f00d-beef-delete'));
    const m2 = manager();
    expect(m2.open().pendingDeletes.sort((a, b) => a.topic.localeCompare(b.topic))).toEqual([
      { topic: 'my.topic', partition: 3, tag: 'f00d-beef' },
      { topic: 'old', partition: 0, tag: '123' },
    ]);
    await m2.purgeDeleted();
    expect(fs.existsSync(path.join(dataDir, 'old-0.123-delete'))).toBe(false);
    expect(m2.get('old', 0)).toBeUndefined();
  });

  it('writes the clean-shutdown marker only on a clean close, and knows a brand-new data dir', async () => {
    const m1 = manager();
    expect(m1.open()).toMatchObject({ cleanShutdown: false, fresh: true });
    m1.getOrCreate('t', 0).append(batch(1));
    await m1.close({ cleanShutdown: false }); // a failed start
    managers.pop();
    expect(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    const m2 = manager();
    expect(m2.open()).toMatchObject({ cleanShutdown: false, fresh: false });
  });

  it('runs flush.ms and retention passes', async () => {
    const clock = { now: 1_000_000 };
    const m = manager(clock);
    m.open();
    const log = m.getOrCreate('t', 0, { flushIntervalMs: 100, retentionMs: 1000 });
    for (let i = 0; i < 30; i++) log.append(batch(1, { valueBytes: 100_000, timestamps: [clock.now] }));
    clock.now += 100;
    m.flushDue();
    await log.flush();
    expect(log.recoveryPoint).toBe(30);
    clock.now += 1000;
    expect(m.applyRetention()).toBeGreaterThan(0);
    expect(log.segments().length).toBe(1);
  });

  it('refuses topic names that are not Kafka names and partitions out of range', () => {
    const m = manager();
    m.open();
    expect(() => m.getOrCreate('../escape', 0)).toThrow(expect.objectContaining({ errorName: 'INVALID_TOPIC_EXCEPTION' }));
    expect(() => m.getOrCreate('ok', -1)).toThrow(expect.objectContaining({ errorName: 'INVALID_PARTITIONS' }));
    expect(() => m.getOrCreate('ok', 0, { segmentBytes: 5 })).toThrow(expect.objectContaining({ errorName: 'INVALID_CONFIG' }));
  });
});
