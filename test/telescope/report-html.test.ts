/**
 * The HTML report renders in headless Chromium: every chart draws a non-blank canvas; a
 * screenshot is saved (kept when MINEWATCH_KEEP_SCREENSHOT is set, for a human look).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generate } from '../../src/synth/index.js';
import { runTelescope } from '../../src/telescope/run.js';
import { buildReport } from '../../src/telescope/report.js';
import { renderHtmlReport } from '../../src/telescope/html.js';

const CHROMIUM = '/usr/bin/chromium';

function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required under CI for the report screenshot test`);
  console.error(`!!! ${CHROMIUM} missing: skipping the HTML report screenshot test`);
  return 'chromium missing';
}

test('HTML report is self-contained and renders all charts in headless Chromium', { skip: chromiumSkip(), timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-telescope-html-'));
  try {
    const pcap = join(dir, 'd.pcap');
    await generate('darknet', { seed: 5, packets: 30_000, darknet: '198.18.0.0/16', hours: 8 }, pcap);
    const run = await runTelescope({ inputs: [pcap], darknets: ['198.18.0.0/16'], workers: 1 });
    const html = renderHtmlReport(buildReport(run.state));
    assert.ok(!/<script[^>]+src=/i.test(html), 'no external scripts');
    assert.ok(!/<link[^>]+href=/i.test(html), 'no external stylesheets');
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      // the report is a local file: refuse any network request it might try
      await page.route(/^(?!file:)/, (route) => route.abort());
      await page.goto(pathToFileURL(file).href);
      // page code as strings: the test is compiled without DOM typings
      await page.waitForFunction('window.__chartsReady === 6', null, { timeout: 20_000 });
      const inked = await page.evaluate(`[...document.querySelectorAll('.chart canvas')].map((cv) => {
        const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
        return n / (cv.width * cv.height);
      })`) as number[];
      assert.deepEqual(errors, []);
      assert.equal(inked.length, 6, 'six chart canvases');
      for (const f of inked) assert.ok(f > 0.01, `a chart canvas is blank (${f})`);
      const shot = join(process.env.MINEWATCH_KEEP_SCREENSHOT ?? dir, 'telescope-report.png');
      await page.screenshot({ path: shot, fullPage: false });
      assert.ok(statSync(shot).size > 20_000);
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
