// Proves directory entries are made durable on the rare events that create or remove them (a new partition directory, a first or rolled segment, the clean-shutdown marker's removal and creation, the checkpoint's rename), each by an fsync of the parent directory after the change, never on a plain append, and, for a roll on the produce path, off the event loop, with an acks=all flush waiting for it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEAN_SHUTDOWN_FILE, LogManager, RECOVERY_POINT_FILE } from '../../src/storage/log-manager.ts';
import { LOG_CONFIG_DEFAULTS } from '../../src/storage/log.ts';
import { batch, newPageCache, openLog, tempDir, type TestLog } from './log-helpers.ts';

let root: string;
let t: TestLog | null;
let events: string[];

beforeEach(() => {
  root = tempDir('dir-fsync');
  t = null;
  events = [];
});
afterEach(() => {
  vi.restoreAllMocks();
  t?.log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/**
 * Records, in order, `create <path>` (a file opened with an exclusive or
 * truncating flag), `mkdir <path>`, `rm <path>`, `rename <to>`,
 * `fsync <path>` for synchronous fsyncs of directories and `fsync-async
 * <path>` for directory fsyncs on the threadpool once they are done, and
 * `fdatasync <path>` for synchronous fdatasyncs of any file. Every call still
 * runs for real.
 */
function record(): void {
  const paths = new Map<number, string>();
  const realOpen = fs.openSync;
  vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode | null) => {
    const fd = realOpen(p, flags ?? 'r', mode);
    paths.set(fd, String(p));
    if (flags === 'wx+' || flags === 'w+' || flags === 'w') events.push(`create ${String(p)}`);
    return fd;
  }) as typeof fs.openSync);
  const realFsync = fs.fsyncSync;
  vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
    const p = paths.get(fd);
    if (p !== undefined && fs.statSync(p).isDirectory()) events.push(`fsync ${p}`);
    realFsync(fd);
  });
  const realFdatasync = fs.fdatasyncSync;
  vi.spyOn(fs, 'fdatasyncSync').mockImplementation((fd: number) => {
    events.push(`fdatasync ${paths.get(fd) ?? fd}`);
    realFdatasync(fd);
  });
  const realOpenAsync = fs.open;
  vi.spyOn(fs, 'open').mockImplementation(((p: fs.PathLike, flags: fs.OpenMode, cb: (e: NodeJS.ErrnoException | null, fd: number) => void) =>
    realOpenAsync(p, flags, (e, fd) => {
      if (!e) paths.set(fd, String(p));
      cb(e, fd);
    })) as unknown as typeof fs.open);
  const realFsyncAsync = fs.fsync;
  vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) =>
    realFsyncAsync(fd, (e) => {
      const p = paths.get(fd);
      if (!e && p !== undefined && fs.statSync(p).isDirectory()) events.push(`fsync-async ${p}`);
      cb(e);
    })) as typeof fs.fsync);
  const realMkdir = fs.mkdirSync;
  vi.spyOn(fs, 'mkdirSync').mockImplementation(((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
    const created = realMkdir(p, o);
    if (created !== undefined) events.push(`mkdir ${String(p)}`);
    return created;
  }) as typeof fs.mkdirSync);
  const realRm = fs.rmSync;
  vi.spyOn(fs, 'rmSync').mockImplementation((p: fs.PathLike, o?: fs.RmOptions) => {
    events.push(`rm ${String(p)}`);
    realRm(p, o);
  });
  const realRename = fs.renameSync;
  vi.spyOn(fs, 'renameSync').mockImplementation((from: fs.PathLike, to: fs.PathLike) => {
    realRename(from, to);
    events.push(`rename ${String(to)}`);
  });
}

/** `event` happened, and `fsync dir` came after it. */
function expectFsyncedAfter(event: string, dir: string): void {
  const at = events.indexOf(event);
  expect(at, `${event} in ${JSON.stringify(events)}`).toBeGreaterThanOrEqual(0);
  expect(events.indexOf(`fsync ${dir}`, at + 1), `fsync ${dir} after ${event} in ${JSON.stringify(events)}`).toBeGreaterThan(at);
}

describe('directory fsyncs', () => {
  it('fsyncs the data dir after creating a partition directory, and the partition dir after its first segment', () => {
    const dataDir = path.join(root, 'data');
    const manager = new LogManager({ dataDir, pageCache: newPageCache(), defaults: LOG_CONFIG_DEFAULTS });
    manager.open();
    record();
    manager.getOrCreate('t', 0);
    const dir = path.join(dataDir, 't-0');
    expectFsyncedAfter(`mkdir ${dir}`, dataDir);
    expectFsyncedAfter(`create ${path.join(dir, '00000000000000000000.log')}`, dir);
    vi.restoreAllMocks();
    return manager.close();
  });

  it('fsyncs the partition dir after every rolled segment, off the event loop, before an acks=all flush of it resolves; never on an append that does not roll', async () => {
    t = openLog(root, { indexIntervalBytes: 0, indexBytesMax: 24 });
    for (let i = 0; i < 3; i++) t.log.append(batch(1, { timestamps: [100 + i] })); // fills the time index: the next append rolls
    record();
    t.log.append(batch(1, { timestamps: [200] }));
    expect(t.log.segments().map((s) => s.baseOffset)).toEqual([0, 3]);
    const rolled = [...events];
    expect(rolled.filter((e) => e.startsWith('fsync') || e.startsWith('fdatasync')), 'nothing synchronous during the roll').toEqual([]);
    await t.log.flush();
    const created = events.indexOf(`create ${path.join(t.dir, '00000000000000000003.log')}`);
    expect(created).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(`fsync-async ${t.dir}`, created + 1), JSON.stringify(events)).toBeGreaterThan(created);
    vi.restoreAllMocks();

    t.log.close();
    t.reopen({ config: { indexIntervalBytes: LOG_CONFIG_DEFAULTS.indexIntervalBytes, indexBytesMax: LOG_CONFIG_DEFAULTS.indexBytesMax } });
    events = [];
    record();
    for (let i = 0; i < 50; i++) t.log.append(batch(1, { tag: `a${i}` })); // default index limits: no roll
    expect(t.log.segments()).toHaveLength(2);
    expect(events.filter((e) => e.startsWith('fsync')), JSON.stringify(events)).toEqual([]);
  });

  it('fsyncs the data dir after removing the marker on open, and after writing the checkpoint and the marker on close', async () => {
    const dataDir = path.join(root, 'data');
    const first = new LogManager({ dataDir, pageCache: newPageCache(), defaults: LOG_CONFIG_DEFAULTS });
    first.getOrCreate('t', 0).append(batch(2));
    record();
    await first.close();
    expectFsyncedAfter(`rename ${path.join(dataDir, RECOVERY_POINT_FILE)}`, dataDir);
    expectFsyncedAfter(`rename ${path.join(dataDir, CLEAN_SHUTDOWN_FILE)}`, dataDir);
    events = [];

    const second = new LogManager({ dataDir, pageCache: newPageCache(), defaults: LOG_CONFIG_DEFAULTS });
    expect(second.open().cleanShutdown).toBe(true);
    expectFsyncedAfter(`rm ${path.join(dataDir, CLEAN_SHUTDOWN_FILE)}`, dataDir);
    vi.restoreAllMocks();
    await second.close();
  });
});
