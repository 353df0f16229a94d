// `npm run screenshots [-- --out DIR]`: start a broker (temp data dir, free
// ports) with some traffic on it (producers, consumers in several fetch modes,
// a consumer group, a gzip batch with headers), open the dashboard in
// headless Chromium and save one screenshot per view into a temp directory
// (printed at the end). docs/dashboard.png in the repository is one of them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker } from '../broker/server.ts';
import { native } from '../broker/native/index.ts';
import { Copyless } from '../client/index.ts';
import { findChromium, launchChromium } from '../tests/helpers/browser.ts';

const VIEWS = ['overview', 'cache', 'path', 'inspect', 'groups'] as const;

function outDir(): string {
  const i = process.argv.indexOf('--out');
  if (i >= 0 && process.argv[i + 1]) {
    fs.mkdirSync(process.argv[i + 1], { recursive: true });
    return process.argv[i + 1];
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-screenshots-'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const chromium = findChromium();
  if (!chromium.path) throw new Error(chromium.why);
  const out = outDir();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-screens-data-'));
  const broker = await startBroker({ dataDir, port: 0, httpPort: 0, pageCacheMb: 24, segmentBytes: 1024 * 1024 }, { logLevel: 'warn' });
  const base = `http://127.0.0.1:${broker.httpPort}`;
  const client = new Copyless({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'screenshots' });
  const stops: Array<() => Promise<void>> = [];
  try {
    await traffic(client, `127.0.0.1:${broker.port}`, base, stops);
    const browser = await launchChromium(chromium.path, { width: 1400, height: 1000 });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${base}/#overview`);
      await sleep(6000); // a few seconds of rates for the charts
      for (const view of VIEWS) {
        await page.evaluate(`location.hash = '#${view}'`);
        await sleep(view === 'inspect' || view === 'groups' ? 2500 : 1500);
        if (view === 'inspect') {
          await page.click('button[data-name="orders"]');
          await sleep(1500);
        }
        if (view === 'cache') {
          const box = await page.locator('[data-testid="heat-map"]').boundingBox();
          if (box) await page.mouse.click(box.x + 400, box.y + 45); // a segment of orders-0
          await sleep(1500);
        }
        const file = path.join(out, `${view}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(file);
      }
      // The fetch path of each mode that fetched (the consumers above, and the raw mmap fetch).
      await page.evaluate(`location.hash = '#path'`);
      for (const mode of ['copy', 'mmap', 'splice', 'native-sendfile']) {
        await page.selectOption('[data-testid="path-target"]', `mode:${mode}`);
        await sleep(1200);
        const file = path.join(out, `path-${mode}.png`);
        await page.locator('[data-testid="fetch-path"]').screenshot({ path: file });
        console.log(file);
      }
    } finally {
      await browser.close();
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`screenshots in ${out}`);
}

/** Topics, a backlog, steady producers, consumers in three modes, a group, and one gzip batch with headers. */
async function traffic(client: Copyless, address: string, base: string, stops: Array<() => Promise<void>>): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'clicks', numPartitions: 2 }] });
  await admin.disconnect();
  const producer = client.producer({ acks: 1, lingerMs: 5 });
  await producer.connect();
  const gzip = client.producer({ acks: 1, compression: 'gzip' });
  await gzip.connect();
  await gzip.send({ topic: 'orders', messages: [{ partition: 0, key: 'order-1', value: JSON.stringify({ id: 1, total: 42.5 }), headers: { trace: 'abc123', source: 'web' } }] });
  await gzip.disconnect();
  const value = (i: number) => JSON.stringify({ id: i, customer: `c${i % 97}`, items: ['tea', 'cups', 'spoons'].slice(0, 1 + (i % 3)), note: 'x'.repeat(180) });
  for (let i = 0; i < 12_000; i += 500) {
    await producer.send({ topic: 'orders', messages: Array.from({ length: 500 }, (_, j) => ({ key: `k${(i + j) % 50}`, value: value(i + j) })) });
  }
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      await producer.send({ topic: 'orders', messages: Array.from({ length: 40 }, () => ({ key: `k${n % 50}`, value: value(n++) })) });
      await producer.send({ topic: 'clicks', messages: Array.from({ length: 25 }, () => ({ value: `click ${n++} on /products/${n % 31}` })) });
      await sleep(100);
    }
  })();
  stops.push(async () => {
    stopped = true;
    await loop;
    await producer.disconnect();
  });
  // A cold cache, so the slow 'audit' reader replays from disk with read-ahead while the others catch up.
  await fetch(`${base}/broker/page-cache/write-back`, { method: 'POST' });
  await fetch(`${base}/broker/page-cache/drop`, { method: 'POST' });
  const modes = [
    { mode: 'sendfile', topic: 'orders', group: 'billing' },
    { mode: 'copy', topic: 'clicks', group: 'analytics' },
    { mode: 'mmap', topic: 'orders', group: 'audit' },
    ...(native.available ? [{ mode: 'native-sendfile', topic: 'orders', group: 'archive' }] : []),
  ];
  for (const m of modes) {
    const consumer = new Copyless({ brokers: [address], clientId: `${m.group}-${m.mode}` }).consumer({ groupId: m.group, fetchMode: m.mode });
    await consumer.connect();
    consumer.subscribe({ topics: [m.topic], fromBeginning: true });
    let slow = m.group === 'audit';
    void consumer.run({
      eachBatch: async () => {
        if (slow) await sleep(700); // a lagging reader, so the groups view has lag and the cache a replay to show
      },
    });
    stops.push(async () => {
      slow = false;
      await consumer.disconnect();
    });
  }
  await fetch(`${base}/topics/orders/partitions/0/records?offset=0&fetchMode=splice&maxBytes=262144`, { headers: { accept: 'application/octet-stream' } });
}

await main();
