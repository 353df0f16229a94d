// The one boundary where file-system failures become typed errors (as Kafka's
// LocalLog.maybeHandleIOException does): every storage file operation that can
// fail on a full or broken disk goes through these helpers and surfaces as
// KAFKA_STORAGE_ERROR naming the file and the operation.

import fs from 'node:fs';
import path from 'node:path';
import { CopylessError } from '../errors.ts';

export function storageError(op: string, file: string, e: unknown): CopylessError {
  if (e instanceof CopylessError) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new CopylessError('KAFKA_STORAGE_ERROR', `${op} ${file} failed: ${why}`, { field: 'file', file });
}

/** Runs `fn`, translating any throw into a storage error for `op` on `file`. */
export function io<T>(op: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw storageError(op, file, e);
  }
}

/** pwrite(2) until all of `buf` is written at `position`. */
export function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

/** pread(2) until `length` bytes are read into `buf` at `offset` or the file ends; returns bytes read. */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** fdatasync(2) off the event loop; resolves when the file's data is durable. */
export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * fsync(2) of a directory: a file's own fsync does not make its directory
 * entry durable (fsync(2), NOTES), so after creating, renaming or removing a
 * file that must survive a power loss, its directory is fsynced too. Only on
 * rare events (a new segment or partition, the checkpoint, the marker), never
 * per append.
 */
export function fsyncDir(dir: string): void {
  io('fsync', dir, () => {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * fsyncDir off the event loop (libuv's threadpool): for a segment created by a
 * roll, on the produce path; a flush waits for it before reporting the
 * segment durable. Rejects with the storage error.
 */
export function fsyncDirAsync(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (e: unknown) => reject(storageError('fsync', dir, e));
    fs.open(dir, 'r', (e, fd) => {
      if (e) return fail(e);
      fs.fsync(fd, (syncError) => fs.close(fd, (closeError) => (syncError || closeError ? fail(syncError ?? closeError) : resolve())));
    });
  });
}

/** `mkdir -p` that fsyncs the parent of every directory it created; an existing `dir` costs one mkdir call. */
export function mkdirDurable(dir: string): void {
  const first = io('create', dir, () => fs.mkdirSync(dir, { recursive: true }));
  if (first === undefined) return;
  const top = path.resolve(first);
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    fsyncDir(path.dirname(d));
    if (d === top || d === path.dirname(d)) break;
  }
}
