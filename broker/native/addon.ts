// Loads the copyless native addon (native/*.c, built by native/build.mjs) once,
// at import time, and says why when it cannot.
//
// The addon is optional: without it only the native-sendfile and native-copy
// fetch modes are missing, so a failed load is recorded as a reason string
// for the broker to report, never thrown.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What one send did: the bytes written and every system call made, by kind (syscalls includes TCP_CORK toggles). */
export interface RawSendCounts {
  bytes: number;
  syscalls: number;
  sendfileCalls: number;
  writeCalls: number;
  preadCalls: number;
  pollCalls: number;
  eagain: number;
}

/** The counts and outcome the addon's send resolves with (see native/copyless_native.c). */
export interface RawSendResult extends RawSendCounts {
  failure: RawSendFailure | null;
}

export interface RawSendFailure {
  /** `errno`: a system call failed; `stall`: poll(POLLOUT) timed out; `eof`: a range ran past its file's end. */
  kind: 'errno' | 'stall' | 'eof';
  errno: number;
  syscall: string;
  /** Index of the item being sent. */
  item: number;
}

export type RawItem = Buffer | Uint8Array | { fd: number; position: number; length: number };

/** Mode numbers of native/send_sequence.h `enum send_mode`. */
export const RawMode = { sendfile: 0, copy: 1 } as const;

export interface Addon {
  send(socketFd: number, items: readonly RawItem[], mode: number, callBytes: number, stallMs: number): Promise<RawSendResult>;
  /** Returns 0 or an errno. */
  dropFileCache(fd: number): number;
  fileResidency(fd: number): { errno: number; pages: number; residentPages: number };
  /** The device's scatter/gather feature bit (ETHTOOL_GSG); errno is 0 or why it could not be read. */
  netdevScatterGather(ifname: string): { errno: number; enabled: boolean };
  /** Whether SIGPIPE was ignored when the addon loaded (Node ignores it at startup). */
  readonly sigpipeIgnored: boolean;
}

export interface LoadedAddon {
  addon: Addon | null;
  reason: string | null;
}

// Same paths as native/build.mjs writes, relative to the repository root.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ADDON_PATH = 'build/Release/copyless_native.node';
const UNAVAILABLE_PATH = 'build/native-unavailable.txt';

function notBuiltReason(): string {
  try {
    const recorded = fs.readFileSync(path.join(ROOT, UNAVAILABLE_PATH), 'utf8').trim();
    if (recorded) return recorded;
  } catch {
    // No record: the build never ran.
  }
  return `the addon is not built (${ADDON_PATH} is missing; run npm install)`;
}

/** `COPYLESS_NATIVE_DISABLE=1` pretends the addon is missing, for tests and for comparison runs. */
export function loadAddon(env: NodeJS.ProcessEnv = process.env): LoadedAddon {
  if (env.COPYLESS_NATIVE_DISABLE === '1') return { addon: null, reason: 'disabled by COPYLESS_NATIVE_DISABLE=1' };
  const file = path.join(ROOT, ADDON_PATH);
  if (!fs.existsSync(file)) return { addon: null, reason: notBuiltReason() };
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(file) as Addon;
  } catch (e) {
    return { addon: null, reason: `the addon does not load: ${e instanceof Error ? e.message : String(e)}` };
  }
  // sendfile(2) has no MSG_NOSIGNAL: with SIGPIPE not ignored, a consumer that resets mid-send would kill the process.
  if (!addon.sigpipeIgnored) return { addon: null, reason: 'SIGPIPE is not ignored in this process, so sendfile(2) to a reset peer would kill it' };
  return { addon, reason: null };
}
