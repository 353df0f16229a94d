// Proves broker configuration precedence (flag > env > file > default), that a
// bad value is refused with INVALID_CONFIG naming the flag and env var, and
// that the README's configuration table lists every option.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS, defaultConfig, envName, exposureWarnings, kebab, publicConfig, resolveConfig } from '../../broker/config.ts';
import { CopylessError } from '../../src/errors.ts';
import { tempDir } from '../helpers/broker.ts';

describe('broker config', () => {
  it('applies defaults < config file < env < explicit values', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ port: 1111, pageCacheMb: 64, fetchMode: 'copy' }));
    const cfg = resolveConfig({
      configFile: file,
      env: { COPYLESS_PORT: '2222', COPYLESS_SG_DMA: 'true' },
      overrides: { port: 3333 },
    });
    expect(cfg.port).toBe(3333);
    expect(cfg.sgDma).toBe(true);
    expect(cfg.pageCacheMb).toBe(64);
    expect(cfg.fetchMode).toBe('copy');
    expect(cfg.dataDir).toBe(defaultConfig().dataDir);
    fs.rmSync(dir, { recursive: true });
  });

  it('parses never/Infinity for flush intervals', () => {
    expect(resolveConfig({ env: { COPYLESS_FLUSH_INTERVAL_MS: 'never' } }).flushIntervalMs).toBe(Infinity);
    expect(resolveConfig({ overrides: { flushIntervalMessages: '100' } }).flushIntervalMessages).toBe(100);
  });

  it.each([
    [{ port: 70000 }, /port \(--port, COPYLESS_PORT\): 70000 is above the maximum 65535/],
    [{ fetchMode: 'zero' }, /fetchMode .* expected one of copy, mmap, sendfile, splice, native-sendfile, native-copy/],
    [{ segmentBytes: 1000 }, /segmentBytes .* below the minimum 1048576/],
    [{ autoCreateTopics: 'maybe' }, /expected true or false/],
    [{ pageCachePolicy: 'fifo' }, /expected two-list or lru/],
    [{ nope: 1 }, /unknown option nope/],
    [{ pageCacheMb: 2 }, /messageBytesMax=1048588 must fit in a fetch's share of the page cache/],
    [{ queuedRequestBytesMax: 1048576 }, /queuedRequestBytesMax=1048576 must hold at least one frame of frameBytesMax=67108864/],
    [{ saslUsers: 'alice' }, /saslUsers .* expected user:password/],
    [{ saslUsers: 'alice:' }, /user "alice" needs a non-empty name and password/],
  ])('refuses %j with INVALID_CONFIG naming the option', (overrides, message) => {
    try {
      resolveConfig({ overrides: overrides as never });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CopylessError);
      expect((e as CopylessError).errorName).toBe('INVALID_CONFIG');
      expect((e as Error).message).toMatch(message);
    }
  });

  it('reads SASL users from a flag string or a config-file object, and never shows their passwords', () => {
    expect(resolveConfig({ overrides: { saslUsers: 'alice:a:b,bob:pw' } }).saslUsers).toEqual({ alice: 'a:b', bob: 'pw' });
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ saslUsers: { carol: 'secret' } }));
    const cfg = resolveConfig({ configFile: file });
    expect(cfg.saslUsers).toEqual({ carol: 'secret' });
    expect(JSON.stringify(publicConfig(cfg))).not.toContain('secret');
    expect(publicConfig(cfg).saslUsers).toEqual({ carol: '***' });
    fs.rmSync(dir, { recursive: true });
  });

  it('warns about every port open without credentials when bound beyond loopback', () => {
    const base = defaultConfig();
    expect(exposureWarnings({ ...base, host: '127.0.0.1' })).toEqual([]);
    expect(exposureWarnings({ ...base, host: '::1' })).toEqual([]);
    const open = exposureWarnings({ ...base, host: '0.0.0.0' });
    expect(open).toHaveLength(2);
    expect(open[0]).toMatch(/Kafka port .* no authentication/);
    expect(open[1]).toMatch(/HTTP\/WebSocket port .* no --http-token/);
    expect(exposureWarnings({ ...base, host: '10.1.2.3', saslUsers: { a: 'b' }, httpToken: 't' })).toEqual([]);
    expect(exposureWarnings({ ...base, host: '10.1.2.3', saslUsers: { a: 'b' }, httpPort: -1 })).toEqual([]);
  });

  it('refuses unknown keys in the config file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(() => resolveConfig({ configFile: file })).toThrow(/unknown option prot/);
    fs.rmSync(dir, { recursive: true });
  });

  it('documents every option in the README configuration table', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const name of Object.keys(OPTIONS)) {
      expect(readme).toContain(`\`--${kebab(name)}\``);
      expect(readme).toContain(`\`${envName(name)}\``);
    }
  });
});
