// Headless Chromium for the browser tests and `npm run screenshots`, driven by
// playwright-core (no browser download: it uses the system's Chromium, Debian's
// `chromium` package). Where no Chromium is found the browser tests skip and
// say why, unless COPYLESS_REQUIRE_BROWSER=1 (set by .ci/run once it has
// installed Chromium), which turns the skip into a failure.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';

/** Where Chromium is looked for, first found wins; COPYLESS_CHROMIUM, when set, is the only place looked at. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Flags for a quiet, sandbox-free headless run in a container; no network beyond the page's own broker. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function findChromium(): { path: string | null; why: string } {
  const env = process.env.COPYLESS_CHROMIUM;
  const list = env ? [env] : CANDIDATES;
  for (const p of list) {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return { path: p, why: `using ${p}` };
    } catch {
      // next
    }
  }
  return { path: null, why: `no Chromium found (looked for ${list.join(', ')}); install Debian's chromium package or set COPYLESS_CHROMIUM` };
}

/** True when CI demands the browser tests run (a missing browser is then a failure, not a skip). */
export function browserRequired(): boolean {
  return process.env.COPYLESS_REQUIRE_BROWSER === '1';
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh Chromium profile in a temp dir, removed on close. */
export async function launchChromium(executablePath: string, viewport = { width: 1400, height: 900 }): Promise<LaunchedBrowser> {
  const { chromium } = await import('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export type { Browser };
