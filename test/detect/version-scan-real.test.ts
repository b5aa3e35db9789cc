/**
 * Nmap's version detection against three real services on loopback (Redis, nginx, Mosquitto),
 * captured by the test and analyzed by the whole pipeline: far below the scan detector's port
 * thresholds, recognised by Nmap's probe strings. Plus what must not match: ordinary clients
 * of the same services, and a request ending with a lone "\r\n\r\n" segment mid-stream.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { analyze } from '../../src/pipeline/analyze.js';
import { nmapProbe } from '../../src/detect/version-scan.js';
import { startCapture } from '../helpers/capture.js';
import { findBinary, missing, startMosquitto, startNginx, startRedis, type TestServer } from '../helpers/servers.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

type Alert = { src_ip: string; alert: { signature_id: number }; minewatch: { evidence: Record<string, unknown> } };
async function alertsOf(file: string, detectors: string[]): Promise<Alert[]> {
  const r = await analyze({ inputs: [file], workers: 1, progress: false, keepAlerts: 100, analyzers: { detect: true, detectors } });
  assert.ok(r.summary.packets > 0, 'the capture has packets');
  return r.alerts as Alert[];
}

async function services(): Promise<TestServer[] | string> {
  const all = await Promise.all([startRedis(), startNginx('<html><body>hello</body></html>'), startMosquitto()]);
  for (const s of all) if (typeof s !== 'string') cleanups.push(() => s.stop());
  const skip = all.find((s) => typeof s === 'string');
  return typeof skip === 'string' ? skip : (all as TestServer[]);
}

void test('version-scan: nmap -sV on 3 local services → one Nmap version scan alert (probe strings on ≥ 2 ports); the scan detector says nothing', { timeout: 180_000 }, async (t) => {
  const nmap = findBinary('nmap');
  if (!nmap) return t.skip(missing('nmap'));
  const svc = await services();
  if (typeof svc === 'string') return t.skip(svc);
  const ports = svc.map((s) => s.port);
  const cap = await startCapture(ports.map((p) => `tcp port ${p}`).join(' or '));
  if (typeof cap === 'string') return t.skip(cap);
  cleanups.push(() => cap.remove());
  const r = spawnSync(nmap, ['-sV', '-Pn', '-n', '--host-timeout', '90s', '-p', ports.join(','), '127.0.0.1'], { timeout: 120_000, encoding: 'utf8' });
  await cap.stop();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /open/);
  const alerts = await alertsOf(cap.file, ['version-scan', 'scan']);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  assert.equal(alerts[0].alert.signature_id, 9101000);
  assert.equal(alerts[0].src_ip, '127.0.0.1');
  const ev = alerts[0].minewatch.evidence;
  assert.ok((ev.portsWithNmapOnlyProbes as number) >= 2, JSON.stringify(ev));
  for (const p of ev.ports as { port: number }[]) assert.ok(ports.includes(p.port), String(p.port));
});

void test('version-scan: ordinary clients of the same services (redis-cli, curl, a request whose blank line is its own segment) raise nothing', { timeout: 60_000 }, async (t) => {
  const svc = await services();
  if (typeof svc === 'string') return t.skip(svc);
  const [redis, nginx] = svc;
  const cap = await startCapture(`tcp port ${redis.port} or tcp port ${nginx.port}`);
  if (typeof cap === 'string') return t.skip(cap);
  cleanups.push(() => cap.remove());
  const cli = findBinary('redis-cli');
  const curl = findBinary('curl');
  for (let i = 0; i < 3; i++) {
    if (cli) spawnSync(cli, ['-p', String(redis.port), 'PING'], { timeout: 5000 });
    if (curl) spawnSync(curl, ['-s', '-o', '/dev/null', `http://127.0.0.1:${nginx.port}/`], { timeout: 5000 });
    // Headers, then the blank line alone: "\r\n" + "\r\n" arrive as a 4th client packet at the earliest.
    await new Promise<void>((resolve) => {
      const c = connect(nginx.port, '127.0.0.1', () => {
        c.setNoDelay(true);
        c.write('GET / HTTP/1.1\r\nHost: x');
        setTimeout(() => c.write('\r\n\r\n'), 50);
      });
      c.on('data', () => c.end());
      c.on('close', () => resolve());
      c.on('error', () => resolve());
    });
  }
  await cap.stop();
  assert.deepEqual(await alertsOf(cap.file, ['version-scan']), []);
});

void test('version-scan: the probe table matches Nmap probes exactly and nothing close', () => {
  const b = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const m = (s: string) => nmapProbe(b(s), 0, s.length)?.name ?? null;
  assert.equal(m('\r\n\r\n'), 'GenericLines');
  assert.equal(m('GET / HTTP/1.0\r\n\r\n'), 'GetRequest');
  assert.equal(m('GET /nice%20ports%2C/Tri%6Eity.txt%2ebak HTTP/1.0\r\n\r\n'), 'FourOhFourRequest');
  assert.equal(m('GET / HTTP/1.1\r\n\r\n'), null);
  assert.equal(m('\r\n\r\r'), null);
  assert.equal(m('HELP\r\n'), 'Help');
});
