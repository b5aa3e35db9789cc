/**
 * `minewatch admin` end to end (the command, its exit codes, the token printed once), and
 * `minewatch server` over TLS: the session cookie is Secure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findBinary, missing } from '../helpers/servers.js';
import { startServer } from '../../src/server/start.js';
import { openStore } from '../../src/store/open.js';
import { authenticateToken, createUser } from '../../src/store/identity.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');

test('minewatch admin: org, user (password from stdin), token printed once, revoke; mistakes exit 2 with one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-admin-'));
  const db = `sqlite:${join(dir, 'a.db')}`;
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [MAIN, 'admin', '--db', db, ...args], { input, encoding: 'utf8', env: { ...process.env, XDG_DATA_HOME: dir } });
  try {
    const org = run(['org', 'add', 'cert-th', '--countries', 'th,VN', '--asn', 'AS4621,131445', '--prefix', '203.0.113.0/24,2001:db8::/32']);
    assert.equal(org.status, 0, org.stderr);
    assert.match(org.stdout, /countries TH,VN; AS 4621,131445; prefixes 203\.0\.113\.0\/24,2001:db8::\/32/);
    const user = run(['user', 'add', 'ana', '--role', 'analyst', '--org', 'cert-th', '--password-stdin'], 'a password from a pipe\n');
    assert.equal(user.status, 0, user.stderr);
    const list = run(['user', 'list']);
    assert.match(list.stdout, /^ana\tanalyst\tcert-th$/m);
    const tok = run(['token', 'create', '--sensor', 'router-7', '--org', 'cert-th']);
    assert.equal(tok.status, 0, tok.stderr);
    const token = tok.stdout.trim();
    assert.match(token, /^mwt_[A-Za-z0-9_-]{32}$/);
    const tokens = run(['token', 'list']);
    assert.ok(!tokens.stdout.includes(token), 'token list shows the whole token');
    const store = await openStore(db);
    try {
      assert.equal((await authenticateToken(store, token))?.sensorName, 'router-7');
    } finally {
      await store.close();
    }
    assert.equal(run(['token', 'revoke', token.slice(0, 12)]).status, 0);
    assert.match(run(['token', 'list']).stdout, /REVOKED/);
    for (const bad of [['org', 'add', 'x', '--countries', 'THX'], ['user', 'add', 'bo', '--role', 'root', '--password-stdin'], ['token', 'revoke', 'nope'], ['org', 'add', 'cert-th']]) {
      const r = run(bad, 'a long enough password');
      assert.equal(r.status, 2, `${bad.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const weak = run(['user', 'add', 'weak', '--role', 'viewer', '--password-stdin'], 'short');
    assert.equal(weak.status, 2);
    assert.match(weak.stderr, /at least 12 characters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('over TLS the session cookie is Secure and HSTS is sent', async (t) => {
  const openssl = findBinary('openssl');
  if (!openssl) return t.skip(missing('openssl (to make a test certificate)'));
  const dir = mkdtempSync(join(tmpdir(), 'mw-tls-'));
  try {
    const made = spawnSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    assert.equal(made.status, 0, made.stderr.toString());
    const s = await startServer({ db: `sqlite:${join(dir, 't.db')}`, listen: '127.0.0.1:0', noGeo: true, tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem'), notice: () => {} });
    try {
      assert.match(s.url, /^https:/);
      await createUser(s.store, { name: 'tls-user', role: 'viewer', password: 'a long tls password' });
      const body = JSON.stringify({ name: 'tls-user', password: 'a long tls password' });
      const res = await new Promise<{ status: number; headers: Record<string, unknown> }>((ok, fail) => {
        const u = new URL(`${s.url}/api/v1/auth/login`);
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (r) => {
          r.resume();
          r.on('end', () => ok({ status: r.statusCode ?? 0, headers: r.headers }));
        });
        req.on('error', fail);
        req.end(body);
      });
      assert.equal(res.status, 200);
      const cookie = String(res.headers['set-cookie']);
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.ok(res.headers['strict-transport-security']);
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
