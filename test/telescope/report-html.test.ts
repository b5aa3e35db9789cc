/**
 * The HTML report renders in headless Chromium: every chart draws a non-blank canvas; a
 * screenshot is saved (kept when MINEWATCH_KEEP_SCREENSHOT is set, for a human look). On the
 * shared darknet captures, the report is rendered and screenshotted into dist/e2e/
 * (MINEWATCH_E2E_OUT) as telescope-report-<capture>.png, and the first-look defects are
 * checked in the rendered page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generate } from '../../src/synth/index.js';
import { runTelescope } from '../../src/telescope/run.js';
import { buildReport } from '../../src/telescope/report.js';
import { renderHtmlReport } from '../../src/telescope/html.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

const CHROMIUM = '/usr/bin/chromium';

function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required under CI for the report screenshot test`);
  console.error(`!!! ${CHROMIUM} missing: skipping the HTML report screenshot test`);
  return 'chromium missing';
}

async function launch(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
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
    const browser = await launch();
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

const SHARED: { file: string; darknet: string }[] = [
  { file: 'darknet/spoofed-synflood-37k-sources.pcap', darknet: '10.10.10.10/32' },
  { file: 'darknet/synack-reflection-backscatter-7k-sources.pcap', darknet: '10.10.10.10/32' },
  { file: 'darknet/syn-ecn-cwr-flood-random-sources.pcap', darknet: '10.10.10.10/32' },
  { file: 'darknet/syn-synack-flood-60-sources.pcap', darknet: '10.10.10.10/32' },
  { file: 'darknet/nmap-syn-scan-1000-ports.pcap', darknet: '64.13.134.52/32' },
  { file: 'darknet/masscan-tcp-ports-0-1000.pcap', darknet: '198.124.152.15/32' },
  { file: 'darknet/icmp-ping-sweep-lan.pcap', darknet: '192.168.1.0/24' },
];

test('HTML report on the shared darknet captures: screenshots, and the first-look defects are gone', { skip: chromiumSkip() || needSharedData(), timeout: 180_000 }, async () => {
  const out = resolve(process.env.MINEWATCH_E2E_OUT ?? join('dist', 'e2e'));
  mkdirSync(out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'mw-telescope-shared-'));
  const browser = await launch();
  const shots: string[] = [];
  try {
    for (const c of SHARED) {
      const report = buildReport((await runTelescope({ inputs: [sharedFile(c.file)], darknets: [c.darknet], workers: 1 })).state);
      const file = join(dir, `${basename(c.file, '.pcap')}.html`);
      writeFileSync(file, renderHtmlReport(report));
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.route(/^(?!file:)/, (route) => route.abort());
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction('window.__chartsReady === 6', null, { timeout: 20_000 });
      const seen = await page.evaluate(`(() => {
        const table = (id) => { const h = document.getElementById('t-' + id); const n = h && h.nextElementSibling; return n; };
        const rows = (id) => { const t = table(id); return t && t.tagName === 'TABLE' ? [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent)) : []; };
        const after = (id) => { const t = table(id); const n = t && t.tagName === 'TABLE' ? t.nextElementSibling : t; return n && (n.className === 'note' || n.className === 'empty') ? n.textContent : ''; };
        return { talkers: rows('talkers'), surges: rows('surges'), victims: rows('victims'), victimsNote: after('victims'), alertsRows: rows('alerts').length,
          alertsNote: after('alerts'), glossary: !!document.getElementById('glossary') };
      })()`) as { talkers: string[][]; surges: string[][]; victims: string[][]; victimsNote: string; alertsRows: number; alertsNote: string; glossary: boolean };
      assert.deepEqual(errors, [], c.file);
      assert.ok(seen.talkers.every((r) => r[7] !== '-1'), `${c.file}: no -1 as a top port`);
      for (const r of seen.surges) if (Number(r[4]) === 0) assert.match(r[5], /^new/, `${c.file}: a surge from zero is "new"`);
      assert.ok(seen.victims.length <= 50, `${c.file}: victims table bounded`);
      const victimsTotal = report.victims_total;
      if (victimsTotal > 50) assert.match(seen.victimsNote, new RegExp(`of ${victimsTotal.toLocaleString('en')} victims`), c.file);
      if (seen.alertsRows === 0) assert.match(seen.alertsNote, /No alerts\. The telescope alerts only when/, c.file);
      assert.ok(seen.glossary, `${c.file}: glossary present`);
      const shot = join(out, `telescope-report-${basename(c.file, '.pcap')}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 20_000);
      shots.push(shot);
      await page.close();
    }
    console.log(`telescope report screenshots:\n${shots.join('\n')}`);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
