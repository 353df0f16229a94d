// Builds the optional native addon (build/Release/copyless_native.node) with
// node-gyp; `npm install` runs this as the root package's install script.
//
// It never fails the install: the addon only adds the native-sendfile and
// native-copy fetch modes, and every other mode works without it. On any
// failure it prints one line naming the reason and writes that reason to
// build/native-unavailable.txt, which broker/native/ reads to say why the
// modes are unavailable. The full node-gyp output goes to
// build/native-build.log either way.
//
// Offline by design: node-gyp is npm's bundled copy, and the Node headers come
// from the local install (npm's `nodedir` config, or <node prefix>/include/node)
// so node-gyp never tries to download them.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ADDON_PATH = 'build/Release/copyless_native.node';
export const UNAVAILABLE_PATH = 'build/native-unavailable.txt';
const BUILD_LOG_PATH = 'build/native-build.log';
/** Longest a build may take; a cold compile of the three C files takes a few seconds. */
const BUILD_TIMEOUT_MS = 5 * 60_000;
const NODE_GYP_BIN = 'node-gyp/bin/node-gyp.js';

/** Why the addon must not be built at all, or null when it may be. */
function refusal(env) {
  if (env.COPYLESS_NATIVE_DISABLE === '1') return 'disabled by COPYLESS_NATIVE_DISABLE=1';
  if (process.platform !== 'linux') return `the addon needs Linux sendfile(2) and TCP_CORK, this is ${process.platform}`;
  return null;
}

function resolveFrom(dir, request) {
  try {
    return createRequire(path.join(dir, 'noop.js')).resolve(request);
  } catch {
    return null;
  }
}

/** npm's own node-gyp first (npm names it in npm_config_node_gyp), then any on the path, then npx. */
function findNodeGyp(env, root) {
  const npmCli = env.npm_execpath;
  const candidates = [
    env.npm_config_node_gyp,
    npmCli ? resolveFrom(path.dirname(npmCli), NODE_GYP_BIN) : null,
    resolveFrom(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'), NODE_GYP_BIN),
    resolveFrom(root, NODE_GYP_BIN),
  ];
  const script = candidates.find((file) => file && file.endsWith('.js') && fs.existsSync(file));
  if (script) return { command: process.execPath, args: [script] };
  return { command: 'npx', args: ['--no-install', 'node-gyp'] };
}

/** `--nodedir` pointing at locally installed headers, unless npm already configured one. */
function nodedirArgs(env) {
  if (env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

/** The line of node-gyp's output that says what went wrong: a compiler error, a Python exception, else gyp's own. */
export function failureLine(output) {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const gypNoise = /^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/;
  return (
    lines.find((line) => /\b(fatal )?error\b:/i.test(line) && !line.startsWith('gyp')) ??
    lines.find((line) => /^\w+(Error|Exception): /.test(line)) ??
    lines.find((line) => line.startsWith('gyp ERR!') && !gypNoise.test(line)) ??
    lines.at(-1) ??
    'no output'
  );
}

function runNodeGyp(root, env) {
  const gyp = findNodeGyp(env, root);
  const args = [...gyp.args, 'rebuild', ...nodedirArgs(env)];
  const run = spawnSync(gyp.command, args, {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `$ ${gyp.command} ${args.join(' ')}\n${run.stdout ?? ''}${run.stderr ?? ''}`;
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  fs.writeFileSync(path.join(root, BUILD_LOG_PATH), output);
  if (run.error) return `could not run node-gyp (${run.error.message}); log in ${BUILD_LOG_PATH}`;
  if (run.status !== 0) return `node-gyp rebuild failed: ${failureLine(output)} (full log in ${BUILD_LOG_PATH})`;
  return null;
}

function loadError(root) {
  try {
    createRequire(path.join(root, 'noop.js'))(path.join(root, ADDON_PATH));
    return null;
  } catch (e) {
    return `the addon was built but does not load: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * Builds the addon under `root` and records the outcome. Never throws.
 * @param {{ root: string, env?: NodeJS.ProcessEnv, log?: (line: string) => void }} o
 * @returns {{ ok: boolean, reason: string | null }}
 */
export function buildNative({ root, env = process.env, log = console.log }) {
  const reasonFile = path.join(root, UNAVAILABLE_PATH);
  let reason;
  try {
    reason = refusal(env) ?? runNodeGyp(root, env) ?? loadError(root);
  } catch (e) {
    reason = `unexpected build error: ${e instanceof Error ? e.message : String(e)}`;
  }
  try {
    if (reason === null) {
      fs.rmSync(reasonFile, { force: true });
      log(`copyless: native addon built (${ADDON_PATH}); native-sendfile and native-copy are available`);
      return { ok: true, reason: null };
    }
    // A stale addon from an earlier build would contradict the reason recorded here.
    fs.rmSync(path.join(root, ADDON_PATH), { force: true });
    fs.mkdirSync(path.dirname(reasonFile), { recursive: true });
    fs.writeFileSync(reasonFile, `${reason}\n`);
  } catch {
    // The reason file is a courtesy; the one line below still tells the person installing.
  }
  log(`copyless: native fetch modes (native-sendfile, native-copy) are unavailable: ${reason}`);
  return { ok: false, reason };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildNative({ root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..') });
  process.exitCode = 0;
}
