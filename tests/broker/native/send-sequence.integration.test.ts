// Proves that both native modes deliver a sequence of header buffers and file ranges byte for byte over real loopback TCP, in order with Node's own writes, through partial sends and EAGAIN, and with honest system-call counts.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type FileRange, native, sendSequence } from '../../../broker/native/index.ts';
import { type Loopback, MiB, type TempFile, nativeSuite, openLoopback, readAll, tempFile } from './fixtures.ts';

const FILE_BYTES = 24 * MiB;

describe.skipIf(!native.available)(nativeSuite('native sendSequence'), () => {
  let pair: Loopback;
  let file: TempFile;

  beforeEach(async () => {
    pair = await openLoopback();
    file = tempFile(FILE_BYTES);
  });

  afterEach(async () => {
    await pair.close();
    file.remove();
  });

  describe.each(['sendfile', 'copy'] as const)('mode %s', (mode) => {
    it('delivers a small sequence byte for byte', async () => {
      const header = Buffer.from('header:');
      const range: FileRange = { fd: file.fd, position: 1000, length: 3000 };
      const reading = readAll(pair.client, header.length + range.length);
      const result = await sendSequence(pair.server, [header, range], { mode });
      expect(await reading).toEqual(Buffer.concat([header, file.data.subarray(1000, 4000)]));
      // The header leaves with MSG_MORE and the range fits one call: no cork, no EAGAIN.
      const expected = mode === 'sendfile' ? { sendfileCalls: 1, writeCalls: 1, preadCalls: 0 } : { sendfileCalls: 0, writeCalls: 2, preadCalls: 1 };
      expect(result).toEqual({ bytes: header.length + range.length, syscalls: 2 + expected.preadCalls, pollCalls: 0, eagain: 0, ...expected });
    });

    it('delivers more than the socket buffers hold to a late reader, through partial sends and EAGAIN', async () => {
      const reading = readAll(pair.client, FILE_BYTES, { startAfterMs: 100 });
      const result = await sendSequence(pair.server, [{ fd: file.fd, position: 0, length: FILE_BYTES }], { mode });
      expect((await reading).equals(file.data)).toBe(true);
      expect(result.bytes).toBe(FILE_BYTES);
      expect(result.eagain).toBeGreaterThan(0);
      expect(result.pollCalls).toBeGreaterThanOrEqual(result.eagain);
      const calls = mode === 'sendfile' ? result.sendfileCalls : result.preadCalls;
      // 1 MiB per call at most (callBytes default), and more calls than that when sends are partial.
      expect(calls).toBeGreaterThanOrEqual(FILE_BYTES / MiB);
      expect(result.syscalls).toBe(result.sendfileCalls + result.writeCalls + result.preadCalls + result.pollCalls);
    });

    it('interleaves several header buffers and ranges in the order given', async () => {
      const items: Array<Buffer | FileRange> = [
        Buffer.from('A'),
        Buffer.from('BB'),
        { fd: file.fd, position: 5 * MiB, length: 3 * MiB },
        Buffer.from('CCC'),
        { fd: file.fd, position: 0, length: 10 },
        { fd: file.fd, position: 7, length: 2 * MiB + 1 },
        Buffer.alloc(0),
        { fd: file.fd, position: 9, length: 0 },
        Buffer.from('DDDD'),
      ];
      const expected = Buffer.concat(items.map((item) => (Buffer.isBuffer(item) ? item : file.data.subarray(item.position, item.position + item.length))));
      const reading = readAll(pair.client, expected.length, { startAfterMs: 20 });
      const result = await sendSequence(pair.server, items, { mode, callBytes: 256 * 1024 });
      expect((await reading).equals(expected)).toBe(true);
      expect(result.bytes).toBe(expected.length);
      // sendfile cannot pass MSG_MORE, so a range before other bytes makes the send cork and uncork: two setsockopt calls.
      const corkCalls = mode === 'sendfile' ? 2 : 0;
      expect(result.syscalls).toBe(result.sendfileCalls + result.writeCalls + result.preadCalls + result.pollCalls + corkCalls);
    });

    it('sends after what socket.write queued before it, and before what is written during it', async () => {
      const before = Buffer.alloc(8 * MiB, 'b');
      const after = Buffer.from('written while the native send was in flight');
      const range: FileRange = { fd: file.fd, position: 0, length: FILE_BYTES };
      const reading = readAll(pair.client, before.length + range.length + after.length, { startAfterMs: 50 });
      pair.server.write(before);
      expect(pair.server.writableLength).toBeGreaterThan(0);
      const sending = sendSequence(pair.server, [range], { mode });
      let settled = false;
      void sending.then(() => (settled = true));
      // Written once native bytes arrive: the kernel cannot hold the rest of the range, so the send is still in flight.
      let received = 0;
      const duringSend = new Promise<boolean>((resolve) => {
        const onData = (chunk: Buffer) => {
          received += chunk.length;
          if (received <= before.length) return;
          pair.client.off('data', onData);
          pair.server.write(after);
          resolve(!settled);
        };
        pair.client.on('data', onData);
      });
      await sending;
      expect(await duringSend).toBe(true);
      expect((await reading).equals(Buffer.concat([before, file.data, after]))).toBe(true);
    });

    it('runs sends on one socket one after another, in call order', async () => {
      const first = sendSequence(pair.server, [Buffer.from('1'), { fd: file.fd, position: 0, length: 4 * MiB }], { mode });
      const second = sendSequence(pair.server, [Buffer.from('2'), { fd: file.fd, position: 4 * MiB, length: 4 * MiB }], { mode });
      const reading = readAll(pair.client, 8 * MiB + 2, { startAfterMs: 20 });
      await Promise.all([first, second]);
      const got = await reading;
      expect(got.equals(Buffer.concat([Buffer.from('1'), file.data.subarray(0, 4 * MiB), Buffer.from('2'), file.data.subarray(4 * MiB, 8 * MiB)]))).toBe(true);
    });
  });
});
