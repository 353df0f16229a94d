// Proves that native/build.mjs never fails an install: a disabled build and a compiler error each end with one line naming the reason, recorded in build/native-unavailable.txt, while a good build (offline, with local Node headers) records none.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { native } from '../../../broker/native/index.ts';
import { ADDON_PATH, UNAVAILABLE_PATH, buildNative, failureLine } from '../../../native/build.mjs';
import { nativeSuite } from './fixtures.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** The environment without the switch that refuses every build. */
const { COPYLESS_NATIVE_DISABLE: _disable, ...BUILD_ENV } = process.env;
const roots: string[] = [];

/** A package root holding the real binding.gyp and native sources, with `broken` appended to one C file. */
function packageRoot(broken = ''): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-build-'));
  roots.push(root);
  fs.copyFileSync(path.join(REPO, 'binding.gyp'), path.join(root, 'binding.gyp'));
  fs.mkdirSync(path.join(root, 'native'));
  for (const name of fs.readdirSync(path.join(REPO, 'native')).filter((n) => /\.[ch]$/.test(n))) {
    fs.copyFileSync(path.join(REPO, 'native', name), path.join(root, 'native', name));
  }
  fs.appendFileSync(path.join(root, 'native', 'file_cache.c'), broken);
  return root;
}

function build(root: string, env: NodeJS.ProcessEnv = BUILD_ENV) {
  const lines: string[] = [];
  const outcome = buildNative({ root, env, log: (line) => lines.push(line) });
  const reasonFile = path.join(root, UNAVAILABLE_PATH);
  const recorded = fs.existsSync(reasonFile) ? fs.readFileSync(reasonFile, 'utf8').trim() : null;
  return { ...outcome, lines, recorded, built: fs.existsSync(path.join(root, ADDON_PATH)) };
}

afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

describe('native/build.mjs', () => {
  it('records the reason and removes a stale addon when disabled', () => {
    const root = packageRoot();
    fs.mkdirSync(path.dirname(path.join(root, ADDON_PATH)), { recursive: true });
    fs.writeFileSync(path.join(root, ADDON_PATH), 'stale');
    const result = build(root, { ...BUILD_ENV, COPYLESS_NATIVE_DISABLE: '1' });
    const reason = 'disabled by COPYLESS_NATIVE_DISABLE=1';
    expect(result).toMatchObject({ ok: false, reason, recorded: reason, built: false });
    expect(result.lines).toEqual([`copyless: native fetch modes (native-sendfile, native-copy) are unavailable: ${reason}`]);
  });

  it('picks the line of node-gyp output that names the failure', () => {
    expect(failureLine('gyp info ok\n../native/a.c:3:2: error: #error boom\nmake: *** Error 1\ngyp ERR! build error')).toBe('../native/a.c:3:2: error: #error boom');
    expect(failureLine("Traceback\nFileNotFoundError: [Errno 2] No such file or directory: 'cc'\ngyp ERR! configure error")).toMatch(/^FileNotFoundError/);
    expect(failureLine('gyp ERR! stack x\ngyp ERR! configure error')).toBe('gyp ERR! configure error');
  });

  // Both need the toolchain that built the repository's own addon.
  describe.skipIf(!native.available)(nativeSuite('with a compiler'), () => {
    it('turns a compiler error into a recorded reason instead of a failed install', () => {
      const result = build(packageRoot('\n#error simulated compiler failure\n'));
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(/^node-gyp rebuild failed: .*error: #error simulated compiler failure/);
      expect(result.recorded).toBe(result.reason);
      expect(result.built).toBe(false);
      expect(result.lines).toHaveLength(1);
    });

    it('builds and loads the real addon offline, and clears an earlier reason', () => {
      const root = packageRoot();
      fs.mkdirSync(path.join(root, 'build'));
      fs.writeFileSync(path.join(root, UNAVAILABLE_PATH), 'an earlier failure');
      const result = build(root);
      expect(result).toMatchObject({ ok: true, reason: null, recorded: null, built: true });
      expect(result.lines).toHaveLength(1);
    });
  });
});
