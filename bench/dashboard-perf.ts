/**
 * Dashboard performance (issue 20): fills a fresh SQLite store with generated alerts (batched
 * through the EventWriter, spread over the last 30 days, all kept: raw-event retention 31 days), serves it with `minewatch server`'s
 * own startServer, and loads the overview and the inbox's first alerts page in headless
 * Chromium, each load in a new browser context (no cache: cold page weight). Prints, per
 * size: page weight (bytes transferred) and time to interactive (navigation start to the view
 * drawn: main[aria-busy=false] plus its chart or table rows), p50 and p95 over --loads.
 * Page weight: bytes on the wire of every response of the first load (headers and encoded bodies).
 * CPU per load: CPU time of this process (server and driver) and Chromium's processes from a
 * new context to its close, median over --loads (steadier than wall time on a loaded machine).
 * Targets: overview < 1 s, inbox first page < 500 ms at p95.
 *
 *   npm run build && node dist/bench/dashboard-perf.js [--sizes 100000,10000000] [--loads 20] [--fill-seconds 900] [--batch 5000] [--store-dir DIR] [--json]
 *
 * A size whose fill does not finish within --fill-seconds is measured at the size reached
 * (printed as "reached N of M"). With --store-dir, each size's store is kept there and a later
 * run reuses it (its fill column then says 0 s): before/after comparisons on the same data.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startServer } from '../src/server/start.js';
import { findWebRoot } from '../src/server/web.js';
import { eventWriter } from '../src/store/events.js';
import { createToken, createUser } from '../src/store/identity.js';
import type { StoredEvent } from '../src/store/contract.js';
import { alertEvent } from '../test/helpers/collector.js';
import { percentile } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const { value, flag } = readArgs();
const SIZES = value('--sizes', '100000,10000000').split(',').map(Number);
const LOADS = Number(value('--loads', '20'));
const FILL_S = Number(value('--fill-seconds', '900'));
const BATCH = Number(value('--batch', '5000'));
/** Keep each size's store in this directory (outside the repository) and reuse it on the next run: measure again without filling again. */
const STORE_DIR = value('--store-dir', '');
const CHROMIUM = process.env.MINEWATCH_CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'a benchmark password';
const DAY = 86_400_000;
/** The generated alerts are spread over this many days before now. */
const SPAN_DAYS = 30;

interface ViewResult { weightBytes: number; p50: number; p95: number; max: number; cpuMsP50: number }
interface SizeResult { target: number; stored: number; fillSeconds: number; overview: ViewResult; inbox: ViewResult }

async function fill(store: Parameters<typeof eventWriter>[0], orgId: number, sensorId: number, n: number): Promise<{ stored: number; seconds: number }> {
  const w = eventWriter(store, { enrich: () => null });
  const now = Date.now();
  const t0 = performance.now();
  let stored = 0;
  for (let i = 0; i < n; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => {
      const j = i + k;
      // spread over 30 days, newest first: a fill cut short by --fill-seconds still covers the last hours
      return alertEvent(j, now - 60_000 - Math.floor((j / n) * SPAN_DAYS * DAY));
    });
    const r = await w.writeEvents({ batchId: `bench-${i}`, orgId: String(orgId), sensorId: String(sensorId), events: events as unknown as StoredEvent[] });
    stored += r.accepted;
    if ((performance.now() - t0) / 1000 > FILL_S) break;
  }
  return { stored, seconds: (performance.now() - t0) / 1000 };
}

type StorageState = Awaited<ReturnType<import('playwright-core').BrowserContext['storageState']>>;

/** Signs in once (logins are rate-limited); every load then starts from that session cookie alone. */
async function session(browser: Browser, url: string): Promise<StorageState> {
  const ctx = await browser.newContext();
  try {
    const login = await ctx.request.post(`${url}/api/v1/auth/login`, { data: { name: 'bench', password: PASSWORD } });
    if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
    return await ctx.storageState();
  } finally {
    await ctx.close();
  }
}

/**
 * CPU seconds used so far by this process (the server and the browser driver) and every
 * process below it (Chromium's browser, zygote, GPU and renderer processes; a reaped renderer's
 * time counts in its parent's cutime/cstime): on a shared, loaded machine the CPU a load costs
 * is steadier than its wall time.
 */
function treeCpuSeconds(): number {
  const tick = 100; // USER_HZ on Linux
  const self = process.cpuUsage();
  let total = (self.user + self.system) / 1e6;
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  let names: string[] = [];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return total;
  }
  for (const n of names) {
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      const ppid = Number(f[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(n)]);
      cpu.set(Number(n), (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / tick); // utime stime cutime cstime
    } catch {
      // the process ended while we read
    }
  }
  const todo = [...(children.get(process.pid) ?? [])];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    total += cpu.get(pid) ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return total;
}

async function measure(browser: Browser, url: string, state: StorageState, hash: string, ready: string): Promise<ViewResult> {
  const times: number[] = [];
  const cpuMs: number[] = [];
  let weight = 0;
  for (let i = 0; i < LOADS; i++) {
    const cpu0 = treeCpuSeconds();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, storageState: state });
    try {
      const page = await ctx.newPage();
      let bytes = 0;
      // bytes on the wire: encoded bodies (compressed where the server compresses) and headers
      page.on('requestfinished', (rq) => { void rq.sizes().then((z) => { bytes += z.responseBodySize + z.responseHeadersSize; }, () => {}); });
      const t0 = performance.now();
      await page.goto(`${url}/${hash}`);
      await page.waitForSelector('main[aria-busy="false"]', { timeout: 60_000 });
      await page.waitForSelector(ready, { state: 'attached', timeout: 60_000 });
      times.push(performance.now() - t0);
      await page.waitForLoadState('networkidle');
      if (i === 0) weight = bytes;
    } finally {
      await ctx.close();
    }
    cpuMs.push((treeCpuSeconds() - cpu0) * 1000);
  }
  return { weightBytes: weight, p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times), cpuMsP50: percentile(cpuMs, 50) };
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  if (!findWebRoot()) throw new Error('dist/web is missing: npm run build');
  const { chromium } = await import('playwright-core');
  const results: SizeResult[] = [];
  for (const target of SIZES) {
    const kept = STORE_DIR ? join(STORE_DIR, `dashboard-perf-${target}.db`) : null;
    const reuse = kept !== null && existsSync(kept);
    const dir = kept ? null : mkdtempSync(join(tmpdir(), 'mw-dashperf-'));
    // the alerts span 30 days: keep raw events that long, or the server's retention (14 days by
    // default, every minute and at once while behind) deletes about half of them during the
    // fill and the loads, so fewer alerts are stored than printed and the deletes share the CPU
    const server = await startServer({ db: `sqlite:${kept ?? join(dir!, 'mw.db')}`, listen: '127.0.0.1:0', notice: () => {}, retention: { eventsMaxAgeDays: SPAN_DAYS + 1 } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'] });
    try {
      let f: { stored: number; seconds: number };
      if (reuse) {
        const n = await server.store.read.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('event_type', '=', 'alert').executeTakeFirstOrThrow();
        f = { stored: Number(n.n), seconds: 0 };
        process.stderr.write(`reusing ${kept}: ${f.stored.toLocaleString('en-US')} alerts\n`);
      } else {
        await createUser(server.store, { name: 'bench', role: 'admin', org: null, password: PASSWORD });
        await createToken(server.store, 'home-router-1', null);
        const s = await server.store.db.selectFrom('sensors').select(['id', 'org_id']).where('name', '=', 'home-router-1').executeTakeFirstOrThrow();
        f = await fill(server.store, Number(s.org_id), Number(s.id), target);
        process.stderr.write(`filled ${f.stored.toLocaleString('en-US')} of ${target.toLocaleString('en-US')} alerts in ${f.seconds.toFixed(0)} s\n`);
      }
      const state = await session(browser, server.url);
      const overview = await measure(browser, server.url, state, '#/overview', '.chart svg path');
      const inbox = await measure(browser, server.url, state, '#/inbox?tab=alerts', 'table tbody tr');
      results.push({ target, stored: f.stored, fillSeconds: f.seconds, overview, inbox });
    } finally {
      await browser.close();
      await server.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  if (flag('--json')) {
    process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
    return;
  }
  const kb = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
  const ms = (x: number): string => `${x.toFixed(0)} ms`;
  process.stdout.write(`| stored alerts | fill | view | page weight | TTI p50 | TTI p95 | CPU per load p50 | target p95 |\n|---|---|---|---|---|---|---|---|\n`);
  for (const r of results) {
    const stored = r.stored === r.target ? r.stored.toLocaleString('en-US') : `reached ${r.stored.toLocaleString('en-US')} of ${r.target.toLocaleString('en-US')}`;
    process.stdout.write(`| ${stored} | ${r.fillSeconds.toFixed(0)} s | overview | ${kb(r.overview.weightBytes)} | ${ms(r.overview.p50)} | ${ms(r.overview.p95)} | ${ms(r.overview.cpuMsP50)} | < 1000 ms ${r.overview.p95 < 1000 ? 'met' : 'MISSED'} |\n`);
    process.stdout.write(`| ${stored} | | inbox first page | ${kb(r.inbox.weightBytes)} | ${ms(r.inbox.p50)} | ${ms(r.inbox.p95)} | ${ms(r.inbox.cpuMsP50)} | < 500 ms ${r.inbox.p95 < 500 ? 'met' : 'MISSED'} |\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`dashboard-perf: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
