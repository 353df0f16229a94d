// Proves that native sends fail cleanly: a peer reset mid-send rejects with CONNECTION_CLOSED without a crash or a leaked descriptor, destroy() waits for the send, a stalled peer and a short file get typed errors, and bad arguments are refused naming the field.

import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { native, sendSequence } from '../../../broker/native/index.ts';
import type { CopylessError } from '../../../src/errors.ts';
import { NATIVE_CALL_BYTES_MAX, NATIVE_SEQUENCE_ITEMS_MAX } from '../../../src/limits.ts';
import { MiB, nativeSuite, openDescriptorCount, openLoopback, readAll, tempFile } from './fixtures.ts';

/** Far more than loopback socket buffers hold, so the send is still in flight when the test acts. */
const BIG_BYTES = 48 * MiB;

async function rejection(promise: Promise<unknown>): Promise<CopylessError> {
  try {
    await promise;
  } catch (e) {
    return e as CopylessError;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!native.available)(nativeSuite('native send failures'), () => {
  it.each(['sendfile', 'copy'] as const)('%s: a reset mid-send rejects with CONNECTION_CLOSED, leaks no descriptor, and the file can be deleted', async (mode) => {
    const descriptorsBefore = openDescriptorCount();
    const pair = await openLoopback();
    const file = tempFile(BIG_BYTES);
    const sending = sendSequence(pair.server, [Buffer.from('hdr'), { fd: file.fd, position: 0, length: BIG_BYTES }], { mode });
    pair.client.once('data', () => pair.client.resetAndDestroy());
    pair.client.resume();
    const error = await rejection(sending);
    expect(error.errorName).toBe('CONNECTION_CLOSED');
    expect(error.message).toMatch(/EPIPE|ECONNRESET/);
    expect(pair.server.destroyed).toBe(true);
    await pair.close();
    file.remove();
    expect(fs.existsSync(file.path)).toBe(false);
    expect(openDescriptorCount()).toBe(descriptorsBefore);
  });

  it('defers a destroy() asked for during a send until the send completes', async () => {
    const pair = await openLoopback();
    const file = tempFile(16 * MiB);
    const reading = readAll(pair.client, Number.POSITIVE_INFINITY);
    const sending = sendSequence(pair.server, [{ fd: file.fd, position: 0, length: 16 * MiB }], { mode: 'sendfile' });
    const destroyedAtOnce = new Promise<boolean>((resolve) => pair.client.once('data', () => resolve(pair.server.destroy().destroyed)));
    expect(await destroyedAtOnce).toBe(false);
    expect((await sending).bytes).toBe(16 * MiB);
    expect(pair.server.destroyed).toBe(true);
    // The bytes were in the kernel before the close, which sends them before its FIN.
    expect((await reading).equals(file.data)).toBe(true);
    await pair.close();
    file.remove();
  });

  it('holds writes and end() made during a send until after it', async () => {
    const pair = await openLoopback();
    const file = tempFile(16 * MiB);
    const tail = Buffer.from('tail');
    const reading = readAll(pair.client, Number.POSITIVE_INFINITY);
    const sending = sendSequence(pair.server, [{ fd: file.fd, position: 0, length: 16 * MiB }], { mode: 'copy' });
    pair.client.once('data', () => pair.server.end(tail));
    await sending;
    expect((await reading).equals(Buffer.concat([file.data, tail]))).toBe(true);
    await pair.close();
    file.remove();
  });

  it('rejects with SLOW_CONSUMER when the peer reads nothing for stallMs, and closes the connection', async () => {
    const pair = await openLoopback();
    const file = tempFile(BIG_BYTES);
    const error = await rejection(sendSequence(pair.server, [{ fd: file.fd, position: 0, length: BIG_BYTES }], { mode: 'copy', stallMs: 100 }));
    expect(error.errorName).toBe('SLOW_CONSUMER');
    expect(error.details.limit).toBe('stallMs');
    expect((error.details.result as { eagain: number }).eagain).toBeGreaterThan(0);
    expect(pair.server.destroyed).toBe(true);
    await pair.close();
    file.remove();
  });

  it.each(['sendfile', 'copy'] as const)('%s: a range past the end of its file is a KAFKA_STORAGE_ERROR naming the item', async (mode) => {
    const pair = await openLoopback();
    const file = tempFile(1000);
    pair.client.resume();
    const error = await rejection(sendSequence(pair.server, [Buffer.from('h'), { fd: file.fd, position: 500, length: 600 }], { mode }));
    expect(error.errorName).toBe('KAFKA_STORAGE_ERROR');
    expect(error.message).toContain('items[1]');
    expect((error.details.result as { bytes: number }).bytes).toBe(1 + 500);
    await pair.close();
    file.remove();
  });

  it('refuses bad arguments and closed sockets with errors naming the field', async () => {
    const pair = await openLoopback();
    const range = { fd: 0, position: 0, length: 1 };
    const cases: Array<[Promise<unknown>, string, RegExp]> = [
      [sendSequence(pair.server, [range], { mode: 'zero' as 'copy' }), 'INVALID_REQUEST', /^mode /],
      [sendSequence(pair.server, [Buffer.from('x'), { fd: 0, position: -1, length: 1 }], { mode: 'copy' }), 'INVALID_REQUEST', /^items\[1\]\.position/],
      [sendSequence(pair.server, [{ fd: 1.5, position: 0, length: 1 }], { mode: 'copy' }), 'INVALID_REQUEST', /^items\[0\]\.fd/],
      [sendSequence(pair.server, [null as unknown as Buffer], { mode: 'copy' }), 'INVALID_REQUEST', /^items\[0\] /],
      [sendSequence(pair.server, [range], { mode: 'copy', callBytes: NATIVE_CALL_BYTES_MAX + 1 }), 'LIMIT_EXCEEDED', /nativeCallBytesMax/],
      [sendSequence(pair.server, [range], { mode: 'copy', stallMs: 0 }), 'INVALID_REQUEST', /^stallMs /],
      [sendSequence(pair.server, Array(NATIVE_SEQUENCE_ITEMS_MAX + 1).fill(range), { mode: 'copy' }), 'LIMIT_EXCEEDED', /nativeSequenceItemsMax/],
    ];
    for (const [promise, name, message] of cases) {
      const error = await rejection(promise);
      expect(error.errorName).toBe(name);
      expect(error.message).toMatch(message);
    }
    pair.server.destroy();
    const closed = await rejection(sendSequence(pair.server, [Buffer.from('x')], { mode: 'sendfile' }));
    expect(closed.errorName).toBe('CONNECTION_CLOSED');
    await pair.close();
  });
});
