// Proves the HTML report reads right in a real browser (headless Chromium via playwright-core): "What this run shows" and the modelled-versus-real note are on the first screen, no chart's axis title, tick labels and legend overprint each other, every chart shows min-max whiskers, and unreliable figures are drawn pale. Saves screenshots (first screen and whole page) to the temp dir for a person to look at. Skipped, with the reason in its name, where Chromium is not installed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { markCaveats } from '../../bench/reliability.ts';
import { conclusions } from '../../bench/report/conclusions.ts';
import { renderHtml } from '../../bench/report/html.ts';
import { evaluateTargets } from '../../bench/targets.ts';
import { sampleReport } from './fixture.ts';

const CHROMIUM = process.env.COPYLESS_CHROMIUM ?? '/usr/bin/chromium';
const found = fs.existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 900 };
export const SCREENSHOT_DIR = process.env.COPYLESS_SCREENSHOT_DIR ?? os.tmpdir();

let dir: string;
let context: BrowserContext;
let page: Page;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
}

/** The little of the DOM the page-side callback uses (the test's tsconfig has no DOM types). */
interface El {
  id: string;
  textContent: string | null;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): Iterable<El> & { length: number };
}

/** Per chart: the bounding boxes of its axis title, x tick labels and legend labels, as rendered. */
function chartBoxes(p: Page): Promise<Array<{ id: string; xLabel: Box | null; ticks: Box[]; legend: Box[]; whiskers: number; pale: number }>> {
  return p.$$eval('.chart', (nodes) =>
    (nodes as unknown as El[]).map((chart) => {
      const box = (e: El) => {
        const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height, text: e.textContent ?? '' };
      };
      const x = chart.querySelector('.x-label');
      return {
        id: chart.id,
        xLabel: x ? box(x) : null,
        ticks: [...chart.querySelectorAll('.x-tick')].map(box),
        legend: [...chart.querySelectorAll('.legend')].map(box),
        whiskers: chart.querySelectorAll('.whisker').length,
        pale: chart.querySelectorAll('.unreliable').length,
      };
    }),
  );
}

const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function report() {
  const r = sampleReport();
  // One case measured too briefly: it must be drawn pale.
  const consume = r.scenarios.find((s) => s.name === 'consume')!;
  consume.cases.find((c) => c.id === 'wire/sendfile/warm/65536/1048576')!.metrics.spanSec = { median: 0.1, min: 0.1, max: 0.1, spreadPct: 0, samples: [0.1] };
  // Four catch-up series: a two-row legend, the layout that used to overprint the x-axis title.
  const catchUp = r.scenarios.find((s) => s.name === 'catch-up')!;
  for (const c of catchUp.cases) c.series = [...(c.series ?? []), { label: `${c.params.policy}, caught-up consumer`, unit: 'ratio', points: [[-1, 1], [0.5, 1], [2, 1]] }];
  // A full run's twelve producer cases: long group labels under narrow groups.
  const produce = r.scenarios.find((s) => s.name === 'produce')!;
  produce.cases = [];
  for (const producers of [1, 2]) {
    for (const acks of producers === 1 ? ['0', '1', 'all'] : ['1']) {
      for (const size of ['100B', '1KiB', '64KiB']) {
        const id = `${producers}p/acks=${acks}/${size}`;
        produce.cases.push({ id, label: id, params: { producers }, metrics: { recordsPerSec: { median: 1e6, min: 0.9e6, max: 1.1e6, spreadPct: 10, samples: [0.9e6, 1e6, 1.1e6] } } });
      }
    }
  }
  markCaveats(r);
  r.targets = evaluateTargets(r);
  r.conclusions = conclusions(r);
  return r;
}

describe.skipIf(!found)(`HTML report in headless Chromium${found ? '' : ` [skipped: no Chromium at ${CHROMIUM}; set COPYLESS_CHROMIUM or install it (apt-get install chromium)]`}`, () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copyless-report-'));
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, renderHtml(report()));
    // A fresh profile per run (launchPersistentContext owns --user-data-dir).
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: VIEWPORT });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`file://${file}`);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the conclusions and modelled vs real on the first screen', async () => {
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'copyless-report-first-screen.png') });
    for (const selector of ['#what-this-run-shows', '.modes']) {
      const b = await page.locator(selector).boundingBox();
      expect(b, selector).not.toBeNull();
      expect(b!.y + Math.min(b!.height, 40)).toBeLessThan(VIEWPORT.height);
    }
    const shows = await page.locator('#what-this-run-shows').innerText();
    expect(shows).toContain('What this run shows');
    expect(shows).toMatch(/fastest with the SDK consumer: native-sendfile/);
    expect(await page.locator('.modes').innerText()).toContain('Modelled vs real');
  });

  it('lays every chart out without overprinting, with whiskers and pale unreliable figures', async () => {
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'copyless-report-full.png'), fullPage: true });
    const charts = await chartBoxes(page);
    expect(charts.map((c) => c.id)).toContain('catch-up-hit-ratio');
    for (const c of charts) {
      const labels = [...(c.xLabel ? [c.xLabel] : []), ...c.ticks];
      for (const l of labels) for (const g of c.legend) expect(overlap(l, g), `${c.id}: "${l.text}" overprints legend "${g.text}"`).toBe(false);
      for (let i = 1; i < c.ticks.length; i++) expect(overlap(c.ticks[i - 1], c.ticks[i]), `${c.id}: ticks "${c.ticks[i - 1].text}" and "${c.ticks[i].text}"`).toBe(false);
    }
    const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
    // The checks above looked at real labels: the catch-up chart's title and two-row legend, the producer chart's twelve groups.
    expect(byId['catch-up-hit-ratio'].xLabel).not.toBeNull();
    expect(byId['catch-up-hit-ratio'].legend).toHaveLength(4);
    expect(byId['produce-throughput'].ticks).toHaveLength(12);
    for (const id of ['throughput-per-mode', 'cpu-per-gib', 'native-sweep-throughput', 'native-sweep-cpu', 'produce-throughput']) {
      expect(byId[id].whiskers, `${id} whiskers`).toBeGreaterThan(0);
    }
    expect(byId['throughput-per-mode'].pale).toBeGreaterThan(0);
  });
});
