/**
 * The scanner against REAL servers started by this test on 127.0.0.1 (issue 6): Redis with
 * and without a password, OpenSSH with a throwaway user whose password is on the default
 * list, a telnet daemon, nginx serving a router-like admin page, and Mosquitto allowing
 * anonymous clients. Only 127.0.0.1 is ever scanned, on the private servers' ports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { scan } from '../../src/scan/scanner.js';
import { defaultCredentials } from '../../src/scan/knowledge.js';
import type { HostResult, ScanResult } from '../../src/scan/types.js';
import { startMosquitto, startNginx, startRedis, startSshd, startTelnetd, type TestServer } from '../helpers/servers.js';

export const ROUTER_PAGE = `<!DOCTYPE html>
<html><head><title>RouterOS router configuration page</title></head>
<body><div class="top">mikrotik routeros 6.40.4 configuration page</div>
<h1>RouterOS v6.40.4</h1>
<p>You have connected to a router. Administrative access only.</p>
<form action="/webfig/" method="post"><input name="user"><input type="password" name="password"></form>
</body></html>
`;

const servers: Record<string, TestServer | string> = {};
let passive: ScanResult | null = null;

function up(name: string): TestServer | null {
  const s = servers[name];
  return s && typeof s !== 'string' ? s : null;
}

/** The first SSH pair on the shipped list whose user does not exist here (never root). */
function throwawaySshPair(): { username: string; password: string; index: number } | null {
  const ssh = defaultCredentials().filter((c) => c.services.includes('ssh'));
  for (let i = 0; i < ssh.length; i++) {
    const { username, password } = ssh[i];
    if (username === 'root' || password === '' || !/^[a-z][a-z0-9_-]*$/.test(username)) continue;
    if (spawnSync('id', [username]).status !== 0) return { username, password, index: i };
  }
  return null;
}

const sshPair = throwawaySshPair();

before(async () => {
  const redisPassword = randomBytes(18).toString('base64url');
  const started = await Promise.all([
    startRedis(),
    startRedis({ password: redisPassword }),
    startMosquitto(),
    startNginx(ROUTER_PAGE),
    startNginx(ROUTER_PAGE, { tls: true }),
    startTelnetd(),
    sshPair ? startSshd(sshPair) : Promise.resolve('no free throwaway user name from the default list'),
  ]);
  [servers.redis, servers.redisAuth, servers.mqtt, servers.nginx, servers.nginxTls, servers.telnet, servers.ssh] = started;
});

after(async () => {
  await Promise.all(Object.values(servers).map((s) => (typeof s === 'string' ? undefined : s.stop())));
});

function hostOf(r: ScanResult): HostResult {
  assert.equal(r.hosts.length, 1);
  assert.equal(r.hosts[0].address, '127.0.0.1');
  return r.hosts[0];
}

async function passiveScan(): Promise<ScanResult> {
  const ports = Object.values(servers).flatMap((s) => (typeof s === 'string' ? [] : [s.port]));
  passive ??= await scan({ targets: ['127.0.0.1'], ports, ssdp: false, timeoutMs: 1500, concurrency: 16 });
  return passive;
}

void test('redis without a password: redis-no-auth, with CONFIG SET state; with a password: no finding', async (t) => {
  const open = up('redis');
  const auth = up('redisAuth');
  if (!open || !auth) return t.skip(String(servers.redis));
  const h = hostOf(await passiveScan());
  const p = h.ports.find((x) => x.port === open.port)!;
  assert.equal(p.service, 'redis');
  assert.equal(p.product, 'Redis');
  assert.match(p.version, /^\d+\.\d+\.\d+$/);
  assert.equal(p.details?.auth, 'none');
  assert.ok(['allowed', 'protected-config', 'disabled', 'denied'].includes(String(p.details?.configSet)));
  const f = h.findings.filter((x) => x.id === 'redis-no-auth');
  assert.equal(f.length, 1);
  assert.equal(f[0].port, open.port);
  assert.ok(f[0].severity === 'critical' || f[0].severity === 'high');
  assert.match(f[0].remediation, /requirepass/);

  const pa = h.ports.find((x) => x.port === auth.port)!;
  assert.equal(pa.service, 'redis');
  assert.equal(pa.details?.auth, 'required');
  assert.equal(h.findings.filter((x) => x.port === auth.port).length, 0);
});

void test('mosquitto with anonymous access: mqtt-anonymous, broker named from $SYS', async (t) => {
  const s = up('mqtt');
  if (!s) return t.skip(String(servers.mqtt));
  const h = hostOf(await passiveScan());
  const p = h.ports.find((x) => x.port === s.port)!;
  assert.equal(p.service, 'mqtt');
  assert.equal(p.details?.anonymous, true);
  if (!s.external) assert.equal(p.product, 'Mosquitto');
  assert.deepEqual(h.findings.filter((x) => x.port === s.port).map((x) => x.id), ['mqtt-anonymous']);
});

void test('telnet daemon: identified through IAC negotiation, telnet-exposed', async (t) => {
  const s = up('telnet');
  if (!s) return t.skip(String(servers.telnet));
  const h = hostOf(await passiveScan());
  const p = h.ports.find((x) => x.port === s.port)!;
  assert.equal(p.service, 'telnet');
  assert.equal(p.details?.loginPrompt, true, `no login prompt in ${String(p.details?.text)}`);
  const f = h.findings.filter((x) => x.port === s.port);
  assert.deepEqual(f.map((x) => x.id), ['telnet-exposed']);
  assert.equal(f[0].severity, 'high');
});

void test('nginx with a router admin page: WebFig fingerprint, admin-http-cleartext and vulnerable-firmware', async (t) => {
  const s = up('nginx');
  if (!s) return t.skip(String(servers.nginx));
  const h = hostOf(await passiveScan());
  const p = h.ports.find((x) => x.port === s.port)!;
  assert.equal(p.service, 'http');
  assert.equal(p.product, 'MikroTik RouterOS');
  assert.equal(p.version, '6.40.4');
  assert.match(String(p.details?.server), /^nginx/);
  assert.equal((p.details?.adminUi as { name: string }).name, 'MikroTik WebFig');
  const ids = h.findings.filter((x) => x.port === s.port).map((x) => x.id);
  assert.ok(ids.includes('admin-http-cleartext'));
  const cves = h.findings.filter((x) => x.id === 'vulnerable-firmware').flatMap((x) => x.details?.cve as string[]);
  assert.ok(cves.includes('CVE-2018-14847'), cves.join());
  assert.ok(cves.includes('CVE-2018-1156'), cves.join());
  const winboxFlaw = h.findings.find((x) => (x.details?.cve as string[] | undefined)?.includes('CVE-2018-14847'))!;
  assert.equal(winboxFlaw.severity, 'critical');
  assert.match(winboxFlaw.remediation, /Upgrade RouterOS/);
});

void test('nginx over TLS: named https (not the plain-HTTP 400), no cleartext finding, version still read', async (t) => {
  const s = up('nginxTls');
  if (!s) return t.skip(String(servers.nginxTls));
  const h = hostOf(await passiveScan());
  const p = h.ports.find((x) => x.port === s.port)!;
  assert.deepEqual([p.service, p.tls, p.product, p.version], ['https', true, 'MikroTik RouterOS', '6.40.4']);
  const ids = h.findings.filter((x) => x.port === s.port).map((x) => x.id);
  assert.ok(!ids.includes('admin-http-cleartext'));
});

void test('every finding has the output-contract fields; nothing but our servers is open', async (t) => {
  if (Object.values(servers).every((s) => typeof s === 'string')) return t.skip('no servers');
  const r = await passiveScan();
  const h = hostOf(r);
  assert.equal(h.state, 'up');
  const ours = new Set(Object.values(servers).flatMap((s) => (typeof s === 'string' ? [] : [s.port])));
  assert.deepEqual(h.ports.map((p) => p.port).sort((a, b) => a - b), [...ours].sort((a, b) => a - b));
  for (const p of h.ports) assert.notEqual(p.service, 'unknown', `port ${p.port} not identified`);
  for (const f of h.findings) {
    for (const k of ['id', 'severity', 'title', 'evidence', 'remediation'] as const) assert.ok(typeof f[k] === 'string' && f[k].length > 0, `${f.id}.${k}`);
  }
  assert.equal(r.stats.credentialAttempts, 0, 'no credential attempts without --check-credentials');
});

void test('--check-credentials: SSH throwaway user found after exactly its list position; strong Redis password not found', async (t) => {
  const ssh = up('ssh');
  const redisAuth = up('redisAuth');
  if (!ssh || !sshPair) return t.skip(String(servers.ssh));
  const ports = [ssh.port, ...(redisAuth ? [redisAuth.port] : [])];
  const r = await scan({ targets: ['127.0.0.1'], ports, ssdp: false, timeoutMs: 1500, checkCredentials: true, maxCredentialAttempts: sshPair.index + 2 });
  const h = hostOf(r);
  const p = h.ports.find((x) => x.port === ssh.port)!;
  assert.equal(p.service, 'ssh');
  assert.equal(p.product, 'OpenSSH');
  const f = h.findings.filter((x) => x.id === 'default-credentials');
  assert.equal(f.length, 1, JSON.stringify(h.findings));
  assert.equal(f[0].port, ssh.port);
  assert.equal(f[0].details?.username, sshPair.username);
  assert.equal(f[0].details?.attempts, sshPair.index + 1, 'stops at the first success');
  assert.notEqual(f[0].details?.password, sshPair.password, 'password is masked');
  assert.ok(!f[0].evidence.includes(`password ${sshPair.password} `), 'password is masked in the evidence');
  // Redis: every listed Redis password (non-empty) was tried, none worked; never more than the cap.
  if (redisAuth) {
    const redisList = defaultCredentials().filter((c) => c.services.includes('redis') && c.password !== '');
    assert.equal(h.findings.filter((x) => x.port === redisAuth.port).length, 0);
    assert.ok(r.stats.credentialAttempts <= sshPair.index + 1 + Math.min(redisList.length + 1, sshPair.index + 2));
  }
});
