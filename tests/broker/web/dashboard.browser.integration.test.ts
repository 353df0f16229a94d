// Proves the dashboard works as a person uses it, in headless Chromium against
// a real broker: every view loads with no console error; producing records
// moves the rate chart and the partition's end offset within 2 s; the heat map
// shows dirty pages after a produce and clean ones after a write-back; the
// fetch-path drawing follows the mode, changed from the page or with
// CopylessSetFetchMode; the inspector decodes a gzip batch with headers; and a
// broker with a token gets it from the page before anything else works.
// Skips (saying why) where no Chromium is installed, unless
// COPYLESS_REQUIRE_BROWSER=1, which CI sets once it has installed it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ApiKey } from '../../../src/protocol/index.ts';
import { encodeRecordBatch } from '../../../src/record/index.ts';
import { RawClient, startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { browserRequired, findChromium, launchChromium, type LaunchedBrowser } from '../../helpers/browser.ts';
import { kafkaCreateTopic, kafkaFetch, kafkaProduce } from '../http/http-helpers.ts';

const chromium = findChromium();
if (!chromium.path) console.warn(`dashboard browser tests skipped: ${chromium.why}`);

// CI installs Chromium and sets COPYLESS_REQUIRE_BROWSER=1: there a missing browser is a failed test, not a skip.
it.runIf(!chromium.path && browserRequired())('has Chromium to run the dashboard tests in', () => {
  throw new Error(`COPYLESS_REQUIRE_BROWSER=1 but ${chromium.why}`);
});

let tb: TestBroker;
let base: string;
let browser: LaunchedBrowser;

/** A page on the dashboard that records console errors and uncaught exceptions. */
async function open(hash: string, url = base): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  // A stuck step fails on its own, naming its locator, well before the test's timeout.
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await page.goto(`${url}/#${hash}`);
  return { page, errors };
}

async function live(page: Page): Promise<void> {
  await page.locator('[data-testid="link-status"]', { hasText: 'live' }).waitFor({ timeout: 10_000 });
}

async function post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const r = await fetch(base + path, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(r.status).toBeLessThan(300);
  return r.json();
}

async function produce(topic: string, count: number, partition = 0): Promise<void> {
  await post(`/topics/${topic}/records?partition=${partition}`, { records: Array.from({ length: count }, (_, i) => ({ value: `record ${i} `.repeat(40) })) });
}

/** The text of an element once it satisfies `ok`, within `ms`. */
async function waitForText(page: Page, selector: string, ok: (text: string) => boolean, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  await page.locator(selector).first().waitFor({ timeout: ms });
  let text = String(await page.locator(selector).first().textContent());
  while (!ok(text)) {
    if (Date.now() > deadline) throw new Error(`${selector} is "${text}" after ${ms} ms`);
    await page.waitForTimeout(50);
    text = String(await page.locator(selector).first().textContent());
  }
  return text;
}

describe.skipIf(!chromium.path)('dashboard in Chromium', () => {
  beforeAll(async () => {
    tb = await startTestBroker({ httpPort: 0, pageCacheMb: 16, fetchMode: 'sendfile' });
    base = `http://127.0.0.1:${tb.httpPort}`;
    browser = await launchChromium(chromium.path!);
  });

  afterAll(async () => {
    await browser?.close();
    await tb?.destroy();
  });

  it('loads every view with no console error', async () => {
    await post('/topics', { name: 'views', partitions: 2 });
    await produce('views', 20);
    const { page, errors } = await open('overview');
    await live(page);
    for (const view of ['overview', 'cache', 'path', 'inspect', 'groups']) {
      await page.evaluate(`location.hash = '#${view}'`);
      await page.locator(`.view[data-view="${view}"]`).waitFor({ state: 'visible' });
      await page.waitForTimeout(700);
    }
    expect(await page.locator('[data-testid="heat-map"]').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows produced records in the rate chart and the end offset within 2 s', async () => {
    await post('/topics', { name: 'rates', partitions: 1 });
    const { page, errors } = await open('overview');
    await live(page);
    const endOffset = '[data-testid="end-offset"][data-topic="rates"][data-partition="0"]';
    await waitForText(page, endOffset, (t) => t === '0', 5000);
    expect(Number(await page.locator('[data-testid="rate-chart"]').getAttribute('data-max'))).toBe(0);
    await produce('rates', 150);
    const produced = Date.now();
    await waitForText(page, endOffset, (t) => t === '150', 2000);
    await page.waitForFunction(`Number(document.querySelector('[data-testid="rate-chart"]')?.getAttribute('data-max')) > 0`, undefined, {
      timeout: Math.max(1, 2000 - (Date.now() - produced)),
      polling: 50,
    });
    expect(Date.now() - produced).toBeLessThan(2000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('colours pages dirty after a produce and clean after a write-back', async () => {
    const { page, errors } = await open('cache');
    await live(page);
    await post('/broker/page-cache/write-back');
    await waitForText(page, '[data-testid="cells-3"]', (t) => t === '0', 5000);
    await post('/topics', { name: 'heat', partitions: 1 });
    await produce('heat', 100);
    await waitForText(page, '[data-testid="cells-3"]', (t) => Number(t.replace(/,/g, '')) > 0, 3000);
    const inactiveBefore = Number((await page.locator('[data-testid="cells-1"]').textContent())!.replace(/,/g, ''));
    await page.click('[data-testid="write-back"]');
    await waitForText(page, '[data-testid="notice"]', (t) => t.startsWith('write back'), 3000);
    await waitForText(page, '[data-testid="cells-3"]', (t) => t === '0', 3000);
    const inactiveAfter = Number((await page.locator('[data-testid="cells-1"]').textContent())!.replace(/,/g, ''));
    expect(inactiveAfter).toBeGreaterThan(inactiveBefore);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('redraws the fetch path when the mode changes, from the page or with CopylessSetFetchMode', async () => {
    await post('/topics', { name: 'path', partitions: 1 });
    await produce('path', 30);
    const { page, errors } = await open('path');
    await live(page);
    const svg = page.locator('[data-testid="fetch-path"]');
    await expect.poll(() => svg.getAttribute('data-mode')).toBe('sendfile');

    // From the page: the broker's default mode, then one fetch in it.
    await page.selectOption('[data-testid="default-mode"]', 'copy');
    await expect.poll(() => svg.getAttribute('data-mode'), { timeout: 3000 }).toBe('copy');
    await page.selectOption('[data-try-partition]', 'path/0');
    await page.click('[data-action="try-fetch"]');
    await expect.poll(() => page.locator('g.syscall[data-name="pread"]').getAttribute('data-count'), { timeout: 3000 }).toBe('1');
    expect(await page.locator('g.arrow.cpu').count()).toBe(2);
    await page.selectOption('[data-testid="default-mode"]', 'sendfile');
    await expect.poll(() => svg.getAttribute('data-mode'), { timeout: 3000 }).toBe('sendfile'); // new connections get sendfile again

    // A Kafka connection switching modes with CopylessSetFetchMode.
    const kafka = await RawClient.connect(tb.port);
    await kafkaFetch(kafka, 'path', 0, 0);
    const id = tb.broker.activity.listConnections().listed.find((c) => c.clientId === 'raw-test')!.id;
    await expect.poll(async () => (await page.locator(`[data-testid="path-target"] option[value="conn:${id}"]`).count()) > 0, { timeout: 3000 }).toBe(true);
    await page.selectOption('[data-testid="path-target"]', `conn:${id}`);
    await expect.poll(() => page.locator('g.syscall[data-name="sendfile"]').getAttribute('data-count'), { timeout: 3000 }).toBe('1');
    const r = await kafka.request(ApiKey.CopylessSetFetchMode, 0, { json: JSON.stringify({ mode: 'splice' }) });
    expect(r.errorCode).toBe(0);
    await expect.poll(() => svg.getAttribute('data-mode'), { timeout: 3000 }).toBe('splice');
    await kafkaFetch(kafka, 'path', 0, 0);
    await expect.poll(() => page.locator('g.syscall[data-name="splice"]').getAttribute('data-count'), { timeout: 3000 }).toBe('2');
    expect(await page.locator('g.arrow.cpu').count()).toBe(0);
    kafka.close();
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('decodes a gzip batch with headers in the log inspector, as text or hex', async () => {
    const kafka = await RawClient.connect(tb.port);
    expect(await kafkaCreateTopic(kafka, 'inspect-me')).toBe(0);
    await kafkaProduce(kafka, 'inspect-me', 0, ['plain']);
    kafka.close();
    const batch = encodeRecordBatch([{ key: 'order-7', value: 'gzipped value', headers: { trace: 'abc123' } }], { compression: 'gzip' });
    const r = await fetch(`${base}/topics/inspect-me/records?partition=0`, { method: 'POST', headers: { 'content-type': 'application/vnd.kafka.recordbatch' }, body: batch });
    expect(r.status).toBe(200);
    const { page, errors } = await open('inspect');
    await page.click('button[data-action="topic"][data-name="inspect-me"]');
    const gz = page.locator('[data-testid="batch"][data-base-offset="1"]');
    await gz.waitFor({ timeout: 5000 });
    expect(await gz.locator('[data-testid="batch-compression"]').textContent()).toBe('gzip');
    expect(await gz.locator('[data-testid="crc-ok"]').count()).toBe(1);
    expect(await gz.locator('[data-testid="record-value"]').textContent()).toBe('gzipped value');
    expect(await gz.locator('[data-testid="record-header"]').textContent()).toBe('trace=abc123');
    await page.click('[data-action="bytes-as"][data-as="hex"]');
    await expect.poll(() => gz.locator('[data-testid="record-value"]').textContent()).toBe(Buffer.from('gzipped value').toString('hex').replace(/(..)(?!$)/g, '$1 '));
    expect(await page.locator('[data-testid="inspector-end-offset"][data-partition="0"]').textContent()).toBe('2');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('asks for the bearer token when the broker has one, then works with it', async () => {
    const guarded = await startTestBroker({ httpPort: 0, pageCacheMb: 16, httpToken: 'letmein' });
    try {
      const url = `http://127.0.0.1:${guarded.httpPort}`;
      const { page } = await open('overview', url);
      await page.locator('[data-testid="link-status"]', { hasText: 'token needed' }).waitFor({ timeout: 5000 });
      await page.fill('[data-testid="token"]', 'letmein');
      await page.press('[data-testid="token"]', 'Enter');
      await live(page);
      await page.click('[data-testid="drop-caches"]');
      await waitForText(page, '[data-testid="notice"]', (t) => t.startsWith('drop caches'), 3000);
      await page.close();
    } finally {
      await guarded.destroy();
    }
  });
});
