/**
 * `minewatch dashboard` (what `npm start` runs), as a user runs it (the bundle): it prints
 * the address and a first sign-in that works, serves the dashboard at / and the sample's
 * alerts, the generated telescope run and campaign through the API, and stops cleanly on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { BUNDLE, bundleSkip } from '../helpers/bundle.js';

test('minewatch dashboard: sample loaded, address and first sign-in printed, dashboard served, clean stop', { skip: bundleSkip(), timeout: 180_000 }, async () => {
  const child = spawn(process.execPath, [BUNDLE!, 'dashboard', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let dir: string | undefined;
  try {
    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address printed in 150 s; stderr: ${err}`)), 150_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /minewatch dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\n {2}first sign-in: user "admin", one-time password (\S+) [^\n]*\n {2}data: (\S+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      });
      void exited.then((code) => reject(new Error(`exited ${code} before printing the address; stderr: ${err}`)));
    });
    const [, url, password] = ready;
    dir = ready[3];
    assert.match(err, /events \(\d+ alerts\) stored through the ingest API/);
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password }) });
    assert.equal(login.status, 200);
    const body = await login.json() as { user: { must_change_password: boolean }; csrf: string };
    assert.equal(body.user.must_change_password, true, 'the printed password is the one-time password');
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const newPassword = 'a dashboard test password';
    const change = await fetch(`${url}/api/v1/auth/password`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': body.csrf }, body: JSON.stringify({ current: password, password: newPassword }) });
    assert.equal(change.status, 200);
    const again = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password: newPassword }) });
    const cookie2 = again.headers.get('set-cookie')!.split(';')[0];
    const alerts = await (await fetch(`${url}/api/v1/alerts?limit=1000`, { headers: { cookie: cookie2 } })).json() as { items: unknown[]; total: number };
    // the sample capture's alerts and the generated campaign's: more than one page
    assert.ok(alerts.items.length > 0 && alerts.total >= alerts.items.length, `alerts: ${alerts.items.length}, total ${alerts.total}`);
    // the generated darknet (one telescope run) and campaign are there for their views
    assert.match(err, /telescope sample: [\d,]+ packets from [\d,]+ sources/);
    assert.match(err, /campaign sample: [\d,]+ infected hosts/);
    const tel = await (await fetch(`${url}/api/v1/telescope/summary?from=0&to=${Date.now() + 60_000}`, { headers: { cookie: cookie2 } })).json() as { runs: number; data: { totals: { packets: number } } | null };
    assert.equal(tel.runs, 1);
    assert.ok(tel.data && tel.data.totals.packets > 10_000);
    const camps = await (await fetch(`${url}/api/v1/campaigns`, { headers: { cookie: cookie2 } })).json() as { items: Array<{ id: number }> };
    assert.equal(camps.items.length, 1);
    const rep = await fetch(`${url}/api/v1/campaigns/${camps.items[0].id}/report`, { headers: { cookie: cookie2 } });
    assert.equal(rep.status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `stderr: ${err}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
});
