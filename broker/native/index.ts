// The native fetch modes: a Fetch response (small header buffers and file
// ranges) written to a consumer's socket by real system calls.
//
// - `sendfile`: buffers with sendmsg, ranges with sendfile(2), page cache to
//   socket buffer inside the kernel, no user-space copy.
// - `copy`: the same sequence, ranges with pread(2) into a reused native
//   buffer and then send: the read + write baseline the first is measured against.
//
// Both read the real OS page cache, not the simulated one, and count every
// system call they make. A send waits until Node's own write queue on the
// socket is empty, then holds the socket (see socket-hold.ts) while a
// threadpool thread sends, so Node's bytes and native bytes never interleave.
// Sends on one socket run one after another, in call order.
//
// File descriptors in the ranges belong to the caller, who must keep them
// open until the returned promise settles; nothing here dups or closes them.

import type { Socket } from 'node:net';
import os from 'node:os';

import { CopylessError, limitError } from '../../src/errors.ts';
import {
  NATIVE_CALL_BYTES_DEFAULT,
  NATIVE_CALL_BYTES_MAX,
  NATIVE_SEQUENCE_ITEMS_MAX,
  NATIVE_STALL_MS_DEFAULT,
} from '../../src/limits.ts';
import { type Addon, type RawItem, RawMode, type RawSendCounts, type RawSendFailure, type RawSendResult, loadAddon } from './addon.ts';
import { holdSocket } from './socket-hold.ts';
import { ThreadSlots, nativeSendSlots } from './thread-slots.ts';

export interface FileRange {
  fd: number;
  position: number;
  length: number;
}

/** What one send did: the addon's counts without its failure (see RawSendCounts). */
export type NativeSendResult = RawSendCounts;

export type NativeSendMode = 'sendfile' | 'copy';

export interface NativeSendOptions {
  mode: NativeSendMode;
  /** Most bytes per sendfile or pread call, and native-copy's buffer size; default NATIVE_CALL_BYTES_DEFAULT. */
  callBytes?: number;
  /** How long to wait for a consumer that reads nothing before failing with SLOW_CONSUMER; default NATIVE_STALL_MS_DEFAULT. */
  stallMs?: number;
}

const loaded = loadAddon();

/** Whether the native modes can run here, and if not, why (for the broker to report at startup). */
export const native: { readonly available: boolean; readonly reason: string | null } = Object.freeze({
  available: loaded.addon !== null,
  reason: loaded.reason,
});

const slots = new ThreadSlots(nativeSendSlots());
/** The last send queued on each socket; the next one starts after it settles. */
const socketTails = new WeakMap<Socket, Promise<unknown>>();
const EMPTY = Buffer.alloc(0);
const INT32_MAX = 2 ** 31 - 1;
/** errno values meaning the peer or the network closed the connection. */
const CONNECTION_ERRNOS = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED', 'ESHUTDOWN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);
const errnoNames = new Map(Object.entries(os.constants.errno).map(([name, value]) => [value, name]));

function requireAddon(what: string): Addon {
  if (loaded.addon) return loaded.addon;
  throw new CopylessError('FETCH_MODE_UNAVAILABLE', `${what} is unavailable: ${loaded.reason}`, { reason: loaded.reason });
}

function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/**
 * Sends `items` in order on `socket`. Resolves with the counts once every byte
 * is in the kernel's socket buffer. Rejects with CONNECTION_CLOSED when the
 * peer resets or the socket is already closed, SLOW_CONSUMER when the peer
 * reads nothing for `stallMs`, KAFKA_STORAGE_ERROR when a range cannot be read,
 * FETCH_MODE_UNAVAILABLE when the addon is not built; after a failure mid-send
 * the socket is destroyed, since a partial response cannot be continued.
 */
export async function sendSequence(socket: Socket, items: Array<Buffer | FileRange>, o: NativeSendOptions): Promise<NativeSendResult> {
  const addon = requireAddon(o?.mode === 'copy' ? 'native-copy' : 'native-sendfile');
  const options = checkOptions(o);
  checkItems(items);
  checkSocket(socket);
  // The items as checked now, whatever the caller does to its array while earlier sends run.
  const checked = items.slice();
  const previous = socketTails.get(socket) ?? Promise.resolve();
  const run = previous.then(() => sendWhenDrained(addon, socket, checked, options));
  socketTails.set(socket, run.catch(() => undefined));
  return run;
}

async function sendWhenDrained(addon: Addon, socket: Socket, items: RawItem[], o: Required<NativeSendOptions>): Promise<NativeSendResult> {
  // Drained once without a slot, so a consumer far behind on Node's own queue holds no thread.
  while (socket.writableLength > 0) await writeQueueFlushed(socket);
  const release = await slots.acquire();
  try {
    while (socket.writableLength > 0) await writeQueueFlushed(socket);
    // No await from the check above to the hold: nothing can write in between.
    ensureWritable(socket);
    const fd = socketFd(socket);
    const hold = holdSocket(socket);
    let raw: RawSendResult;
    try {
      raw = await addon.send(fd, items, RawMode[o.mode], o.callBytes, o.stallMs);
    } catch (e) {
      hold.release(false);
      throw e;
    }
    hold.release(raw.failure !== null);
    if (raw.failure) throw failureError(raw, items, o);
    return counts(raw);
  } finally {
    release();
  }
}

/** Resolves when every write queued before it has reached the kernel (writes complete in order). */
function writeQueueFlushed(socket: Socket): Promise<void> {
  ensureWritable(socket);
  return new Promise((resolve, reject) => {
    socket.write(EMPTY, (error) => (error ? reject(closedError(socket, error.message)) : resolve()));
  });
}

function ensureWritable(socket: Socket): void {
  if (socket.destroyed || socket.writableEnded) throw closedError(socket, 'the socket is already closed or ending');
}

function closedError(socket: Socket, why: string): CopylessError {
  return new CopylessError('CONNECTION_CLOSED', `native send to ${socket.remoteAddress ?? 'a closed socket'}:${socket.remotePort ?? ''} failed: ${why}`);
}

/** libuv's descriptor: undocumented `_handle.fd`, an integer on Unix; never closed, dup'ed or re-flagged here. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) throw closedError(socket, 'the socket has no file descriptor');
  return fd;
}

function counts(raw: RawSendResult): NativeSendResult {
  const { bytes, syscalls, sendfileCalls, writeCalls, preadCalls, pollCalls, eagain } = raw;
  return { bytes, syscalls, sendfileCalls, writeCalls, preadCalls, pollCalls, eagain };
}

function failureError(raw: RawSendResult, items: RawItem[], o: Required<NativeSendOptions>): CopylessError {
  const f = raw.failure as RawSendFailure;
  const mode = `native-${o.mode}`;
  const details = { field: `items[${f.item}]`, result: counts(raw) };
  const item = items[f.item];
  const range = item && !(item instanceof Uint8Array) ? ` (fd ${item.fd}, position ${item.position}, length ${item.length})` : '';
  if (f.kind === 'stall') {
    return new CopylessError('SLOW_CONSUMER', `${mode}: the consumer read nothing for stallMs=${o.stallMs} ms; connection closed`, {
      ...details, limit: 'stallMs', max: o.stallMs,
    });
  }
  if (f.kind === 'eof') {
    return new CopylessError('KAFKA_STORAGE_ERROR', `${mode}: items[${f.item}]${range} reaches past the end of its file`, details);
  }
  const code = errnoName(f.errno);
  if (CONNECTION_ERRNOS.has(code)) {
    return new CopylessError('CONNECTION_CLOSED', `${mode}: the connection closed during the send (${f.syscall}: ${code})`, details);
  }
  return new CopylessError('KAFKA_STORAGE_ERROR', `${mode}: ${f.syscall} failed with ${code} on items[${f.item}]${range}`, details);
}

function invalid(field: string, why: string, actual: unknown): CopylessError {
  return new CopylessError('INVALID_REQUEST', `${field} ${why}, got ${String(actual)}`, { field });
}

function checkOptions(o: NativeSendOptions): Required<NativeSendOptions> {
  if (o?.mode !== 'sendfile' && o?.mode !== 'copy') throw invalid('mode', "must be 'sendfile' or 'copy'", o?.mode);
  const callBytes = o.callBytes ?? NATIVE_CALL_BYTES_DEFAULT;
  const stallMs = o.stallMs ?? NATIVE_STALL_MS_DEFAULT;
  if (!Number.isInteger(callBytes) || callBytes < 1) throw invalid('callBytes', 'must be a positive integer', callBytes);
  if (callBytes > NATIVE_CALL_BYTES_MAX) throw limitError('LIMIT_EXCEEDED', 'nativeCallBytesMax', NATIVE_CALL_BYTES_MAX, callBytes, 'callBytes');
  if (!Number.isInteger(stallMs) || stallMs < 1 || stallMs > INT32_MAX) throw invalid('stallMs', `must be an integer from 1 to ${INT32_MAX}`, stallMs);
  return { mode: o.mode, callBytes, stallMs };
}

function checkItems(items: unknown): asserts items is RawItem[] {
  if (!Array.isArray(items)) throw invalid('items', 'must be an array of Buffers and file ranges', items);
  if (items.length > NATIVE_SEQUENCE_ITEMS_MAX) {
    throw new CopylessError('LIMIT_EXCEEDED', `items has ${items.length} entries, over nativeSequenceItemsMax=${NATIVE_SEQUENCE_ITEMS_MAX}`, {
      limit: 'nativeSequenceItemsMax', max: NATIVE_SEQUENCE_ITEMS_MAX, actual: items.length,
    });
  }
  items.forEach((item: unknown, index) => {
    if (item instanceof Uint8Array) return;
    const range = item as Partial<FileRange> | null;
    if (range === null || typeof range !== 'object') throw invalid(`items[${index}]`, 'must be a Buffer or {fd, position, length}', item);
    checkFd(range.fd, `items[${index}].fd`);
    for (const key of ['position', 'length'] as const) {
      const value = range[key];
      if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(`items[${index}].${key}`, 'must be a non-negative safe integer', value);
    }
  });
}

function checkFd(fd: unknown, field: string): asserts fd is number {
  if (!Number.isInteger(fd) || (fd as number) < 0 || (fd as number) > INT32_MAX) throw invalid(field, 'must be a file descriptor', fd);
}

function checkSocket(socket: Socket): void {
  if ((socket as { encrypted?: boolean }).encrypted) {
    throw new CopylessError('FETCH_MODE_UNAVAILABLE', 'native fetch modes need a plain TCP socket: TLS encrypts in user space, so the file bytes must pass through it (Kafka turns sendfile off under TLS too)');
  }
  if (socket.connecting) throw invalid('socket', 'must be connected', 'a connecting socket');
}

function fileError(call: string, fd: number, errno: number): CopylessError {
  const code = errnoName(errno);
  if (code === 'EBADF') return invalid('fd', 'must be an open file descriptor (EBADF)', fd);
  return new CopylessError('KAFKA_STORAGE_ERROR', `${call} on fd ${fd} failed with ${code}`, { field: 'fd' });
}

/**
 * Writes the file's dirty pages back (fdatasync), then drops its pages from
 * the OS page cache (posix_fadvise POSIX_FADV_DONTNEED), for cold-cache runs.
 * Needs no root.
 */
export function dropFileCache(fd: number): void {
  const addon = requireAddon('dropFileCache');
  checkFd(fd, 'fd');
  const errno = addon.dropFileCache(fd);
  if (errno !== 0) throw fileError('posix_fadvise', fd, errno);
}

/** How many of the file's pages are in the OS page cache (mmap + mincore; nothing is faulted in). */
export function fileResidency(fd: number): { pages: number; residentPages: number } {
  const addon = requireAddon('fileResidency');
  checkFd(fd, 'fd');
  const { errno, pages, residentPages } = addon.fileResidency(fd);
  if (errno !== 0) throw fileError('mincore', fd, errno);
  return { pages, residentPages };
}

/**
 * Whether the network device `ifname` does scatter/gather DMA (its NETIF_F_SG
 * bit, `ethtool -k` "scatter-gather"), or why that could not be read.
 */
export function netdevScatterGather(ifname: string): { enabled: boolean } | { reason: string } {
  if (!loaded.addon) return { reason: `the native addon is unavailable (${loaded.reason})` };
  const { errno, enabled } = loaded.addon.netdevScatterGather(ifname);
  return errno === 0 ? { enabled } : { reason: `ETHTOOL_GSG on ${ifname} failed with ${errnoName(errno)}` };
}
