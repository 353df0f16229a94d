// Proves that without the addon the wrapper says so (available false, with a reason) and refuses every call with FETCH_MODE_UNAVAILABLE naming that reason.

import net from 'node:net';

import { describe, expect, it, vi } from 'vitest';

import { loadAddon } from '../../../broker/native/addon.ts';

describe('native addon unavailable', () => {
  it('COPYLESS_NATIVE_DISABLE=1 at import time makes the wrapper refuse every call', async () => {
    vi.stubEnv('COPYLESS_NATIVE_DISABLE', '1');
    vi.resetModules();
    const wrapper = await import('../../../broker/native/index.ts');
    vi.unstubAllEnvs();
    const reason = 'disabled by COPYLESS_NATIVE_DISABLE=1';
    expect(wrapper.native).toEqual({ available: false, reason });
    await expect(wrapper.sendSequence(new net.Socket(), [Buffer.from('x')], { mode: 'sendfile' })).rejects.toMatchObject({
      errorName: 'FETCH_MODE_UNAVAILABLE',
      message: `native-sendfile is unavailable: ${reason}`,
    });
    await expect(wrapper.sendSequence(new net.Socket(), [], { mode: 'copy' })).rejects.toMatchObject({ message: expect.stringContaining('native-copy') });
    expect(() => wrapper.dropFileCache(0)).toThrow(expect.objectContaining({ errorName: 'FETCH_MODE_UNAVAILABLE' }));
    expect(() => wrapper.fileResidency(0)).toThrow(/unavailable: disabled by COPYLESS_NATIVE_DISABLE=1/);
    expect(wrapper.netdevScatterGather('lo')).toEqual({ reason: `the native addon is unavailable (${reason})` });
  });

  it('a load reports a reason exactly when it has no addon', () => {
    const loaded = loadAddon({});
    expect(loaded.addon === null).toBe(loaded.reason !== null);
    // Node ignores SIGPIPE, so sendfile(2) to a reset peer returns EPIPE instead of killing the process.
    if (loaded.addon) expect(loaded.addon.sigpipeIgnored).toBe(true);
  });
});
