/**
 * Trend reports from stored telescope intervals: a generated 48-hour darknet capture (Sunday
 * and Monday, so two ISO weeks; the generator's Redis/6379 campaign starts on Monday) goes
 * through `minewatch telescope --db` (a second run stores nothing twice); `report trends --by
 * week` gives packets equal to the generator's truth, unique sources per period from the
 * merged interval sketches against the exact per-day count of an in-process run, the 6379
 * surge in the second week, source countries; the HTML output is self-contained, opens in
 * headless Chromium without errors, draws four SVG charts and its tables hold the JSON's numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generate, type DarknetTruth } from '../../src/synth/index.js';
import { runTelescope } from '../../src/telescope/run.js';
import { openStore } from '../../src/store/open.js';
import { trendReport, type TrendReport } from '../../src/campaigns/trends.js';
import { trendHtml } from '../../src/campaigns/trends-html.js';
import { missing } from '../helpers/servers.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const CHROMIUM = process.env.MINEWATCH_CHROMIUM ?? '/usr/bin/chromium';
const DARKNETS = '198.18.0.0/16,2001:db8:ffff::/48';
const START = Date.parse('2026-01-11T00:00:00Z'); // a Sunday: hours 0–23 in 2026-W02, 24–47 in 2026-W03

test('report trends from telescope intervals stored by telescope --db: packets, unique sources, 6379 surge, HTML in Chromium', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-trends-html-'));
  const db = `sqlite:${join(dir, 'mw.db')}`;
  try {
    const pcap = join(dir, 'darknet.pcap');
    await generate('darknet', { seed: 21, packets: 40_000, darknet: '198.18.0.0/16', hours: 48, startMs: START, truthFile: join(dir, 'truth.json') }, pcap);
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as DarknetTruth;

    const tel = ['telescope', pcap, '--darknet', DARKNETS, '--interval', '1h', '--db', db, '--sensor', 'tel-test', '--workers', '1', '--no-geo'];
    const first = await run(process.execPath, [CLI, ...tel, '-q']);
    assert.equal(first.stderr, '');
    const again = await run(process.execPath, [CLI, ...tel]);
    assert.match(again.stderr, /stored 0 events \(48 intervals\) .* \(\d+ already there\)/);

    const store = await openStore(db);
    let rep: TrendReport;
    try {
      assert.equal(Number((await store.db.selectFrom('telescope_intervals').where('kind', '=', 'interval').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 48);
      // and the run's summary for the dashboard, which the trends never add to the intervals
      assert.equal(Number((await store.db.selectFrom('telescope_intervals').where('kind', '=', 'run').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 1);
      rep = await trendReport(store, { from: START, to: START + 2 * 86_400_000, by: 'week' });
    } finally {
      await store.close();
    }
    assert.deepEqual(rep.periods.map((p) => [p.period, p.darknetIntervals]), [['2026-W02', 24], ['2026-W03', 24]]);
    assert.equal(rep.periods[0].darknetPackets + rep.periods[1].darknetPackets, truth.totals.packetsToDarknet);
    assert.equal(rep.periods[0].darknetPackets, truth.perHour.slice(0, 24).reduce((a, h) => a + h.packets, 0));

    // unique sources per period from the merged hourly sketches vs the exact count of a one-day-interval run
    const daily = await runTelescope({ inputs: [pcap], darknets: DARKNETS.split(','), intervalS: 86_400, workers: 1, noGeo: true });
    const days = [...daily.state.intervals.values()].sort((a, b) => a.start - b.start).map((s) => s.sources.count());
    assert.equal(days.length, 2);
    for (const [i, exact] of days.entries()) {
      const u = rep.periods[i].darknetUniqueSources!;
      assert.ok(Math.abs(u - exact) / exact < 0.03, `period ${i}: ${u} unique sources from sketches vs ${exact} exact`);
      assert.ok(rep.periods[i].darknetSources >= u, 'the per-interval sum is an upper bound');
    }
    // the Redis campaign: 6379 surges in the second week and not in the first
    assert.ok(rep.surges.some((s) => s.period === '2026-W03' && s.port === '6379/tcp'), JSON.stringify(rep.surges));
    assert.ok(!rep.surges.some((s) => s.period === '2026-W02'));
    const p6379 = rep.periods[1].topPorts.find((x) => x.port === '6379/tcp')!;
    assert.ok(p6379.surge && (p6379.change === null || p6379.change > 1), JSON.stringify(p6379));
    assert.ok(rep.caveats.some((c) => /Spoofing/.test(c)));

    // the CLI outputs: JSON equals the library's report; HTML holds its numbers
    const jsonOut = join(dir, 'trends.json');
    const htmlOut = join(dir, 'trends.html');
    const args = ['report', 'trends', '--db', db, '--from', '2026-01-11', '--to', '2026-01-13', '--by', 'week'];
    await run(process.execPath, [CLI, ...args, '--format', 'json', '-o', jsonOut]);
    await run(process.execPath, [CLI, ...args, '--format', 'html', '-o', htmlOut]);
    const json = JSON.parse(readFileSync(jsonOut, 'utf8')) as TrendReport;
    assert.deepEqual(json, JSON.parse(JSON.stringify(rep)));
    const html = readFileSync(htmlOut, 'utf8');
    assert.ok(!/<script/i.test(html), 'no scripts');
    assert.ok(!/(src|href)=["']?(https?:)?\/\//i.test(html), 'nothing external');
    assert.doesNotThrow(() => trendHtml({ ...rep, periods: [], surges: [] }));

    if (!existsSync(CHROMIUM)) {
      t.diagnostic(missing(`chromium (${CHROMIUM}): the HTML was not opened in a browser`));
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.route(/^(?!file:)/, (route) => {
        requests.push(route.request().url());
        return route.abort();
      });
      writeFileSync(htmlOut, html);
      await page.goto(pathToFileURL(htmlOut).href);
      const seen = await page.evaluate(`({
        svgs: document.querySelectorAll('figure > svg').length,
        drawn: [...document.querySelectorAll('figure > svg')].map((s) => s.querySelectorAll('path').length),
        rows: [...document.querySelectorAll('table')[0].querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
        surges: [...document.querySelectorAll('table')[1].querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
      })`) as { svgs: number; drawn: number[]; rows: string[][]; surges: string[][] };
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      assert.equal(seen.svgs, 4);
      for (const n of seen.drawn) assert.ok(n > 3, `a chart has ${n} paths`);
      assert.deepEqual(seen.rows.map((r) => [r[0], Number(r[5]), Number(r[6]), Number(r[7])]), json.periods.map((p) => [p.period, p.darknetPackets, p.darknetUniqueSources, p.darknetSources]));
      assert.ok(seen.surges.some((r) => r[0] === '2026-W03' && r[1] === '6379/tcp' && Number(r[3]) === p6379.packets));
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
