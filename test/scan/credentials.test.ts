/**
 * Credential checks against real servers on 127.0.0.1: telnet (login refuses, attempts are
 * bounded), HTTP Basic on nginx and MQTT on mosquitto with a listed pair (found, stopping at
 * the first success), plus the bookkeeping rules (caps, masking, service selection).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPortCredentials, credentialServiceFor, maskPassword, type CredentialContext } from '../../src/scan/credentials.js';
import { Conversation } from '../../src/scan/conversation.js';
import { defaultCredentials, type CredentialPair } from '../../src/scan/knowledge.js';
import { scan } from '../../src/scan/scanner.js';
import type { PortResult } from '../../src/scan/types.js';
import { spawnSync } from 'node:child_process';
import { createThrowawayUser, startMosquitto, startNginx, startTelnetd, type TestServer } from '../helpers/servers.js';

function context(host: string, timeoutMs = 1500): CredentialContext & { attempts: number } {
  const ctx = {
    host,
    timeoutMs,
    attempts: 0,
    async open(port: number, opts?: { tls?: boolean }) {
      const o = await Conversation.open(host, port, timeoutMs, opts);
      return o.state === 'open' ? o.conversation : null;
    },
    beforeAttempt: async () => {},
    counted() {
      ctx.attempts++;
    },
  };
  return ctx;
}

function portResult(port: number, service: string, details: Record<string, unknown> = {}): PortResult {
  return { port, proto: 'tcp', state: 'open', service, product: '', version: '', banner: '', details };
}

const servers: Record<string, TestServer | string> = {};
const httpPair = defaultCredentials().find((c) => c.services.includes('http-basic') && c.username === 'admin' && c.password === 'admin')!;
const mqttPair = defaultCredentials().find((c) => c.services.includes('mqtt') && c.username === 'admin' && c.password === 'password')!;

before(async () => {
  [servers.telnet, servers.nginx, servers.mqtt] = await Promise.all([
    startTelnetd(),
    startNginx('<html><head><title>Camera admin</title></head><body>ok</body></html>', { basicAuth: { username: httpPair.username, password: httpPair.password } }),
    startMosquitto({ users: [{ username: mqttPair.username, password: mqttPair.password }] }),
  ]);
});

after(async () => {
  await Promise.all(Object.values(servers).map((s) => (typeof s === 'string' ? undefined : s.stop())));
});

void test('telnet: a refused login is a failure, attempts never exceed the cap', async (t) => {
  const s = servers.telnet;
  if (typeof s === 'string') return t.skip(s);
  const ctx = context(s.host);
  const pairs: CredentialPair[] = defaultCredentials().filter((c) => c.services.includes('telnet')).slice(0, 5);
  const r = await checkPortCredentials(ctx, portResult(s.port, 'telnet'), pairs, 1);
  assert.ok(r);
  assert.equal(r.service, 'telnet');
  assert.equal(r.attempts, 1);
  assert.equal(ctx.attempts, 1);
  assert.equal(r.found, null);
  assert.equal(r.errors, 0, 'the login prompt was reached and the password refused (not a connection error)');
});

void test('telnet: a listed pair that works on the real login(1) is found (shell prompt), after a refused one', async (t) => {
  const s = servers.telnet;
  if (typeof s === 'string') return t.skip(s);
  // From the end of the telnet list, so it never collides with the SSH test's user (taken from the front).
  const pair = defaultCredentials()
    .filter((c) => c.services.includes('telnet') && c.username !== 'root' && c.username !== 'admin' && c.password !== '' && /^[a-z][a-z0-9_-]*$/.test(c.username))
    .reverse()
    .find((c) => spawnSync('id', [c.username]).status !== 0);
  if (!pair) return t.skip('no free user name on the list');
  const remove = createThrowawayUser(pair.username, pair.password, '/bin/sh');
  if (typeof remove === 'string') return t.skip(remove);
  try {
    const wrong: CredentialPair = { ...pair, password: `${pair.password}-not-it` };
    const ctx = context(s.host);
    const r = await checkPortCredentials(ctx, portResult(s.port, 'telnet'), [wrong, pair], 5);
    assert.ok(r);
    assert.equal(r.attempts, 2);
    assert.equal(r.found, pair);
  } finally {
    remove();
  }
});

void test('HTTP Basic on nginx: identified as basic-auth, listed pair found at its position, finding raised', async (t) => {
  const s = servers.nginx;
  if (typeof s === 'string') return t.skip(s);
  const list = defaultCredentials().filter((c) => c.services.includes('http-basic'));
  const position = list.indexOf(httpPair) + 1;
  const r = await scan({ targets: ['127.0.0.1'], ports: [s.port], ssdp: false, checkCredentials: true, timeoutMs: 1500 });
  const h = r.hosts[0];
  assert.equal(h.ports[0].service, 'http');
  assert.equal(h.ports[0].details?.basicAuth, true);
  const f = h.findings.find((x) => x.id === 'default-credentials');
  assert.ok(f, JSON.stringify(h.findings));
  assert.equal(f.details?.username, 'admin');
  assert.equal(f.details?.attempts, position);
  assert.equal(r.stats.credentialAttempts, position);
  assert.ok(h.findings.some((x) => x.id === 'admin-http-cleartext'));
});

void test('MQTT with a password file: not anonymous, listed pair found, no mqtt-anonymous', async (t) => {
  const s = servers.mqtt;
  if (typeof s === 'string') return t.skip(s);
  const r = await scan({ targets: ['127.0.0.1'], ports: [s.port], ssdp: false, checkCredentials: true, timeoutMs: 1500 });
  const h = r.hosts[0];
  assert.equal(h.ports[0].service, 'mqtt');
  assert.equal(h.ports[0].details?.anonymous, false);
  assert.ok(!h.findings.some((x) => x.id === 'mqtt-anonymous'));
  const f = h.findings.find((x) => x.id === 'default-credentials');
  assert.ok(f, JSON.stringify(h.findings));
  assert.equal(f.details?.username, mqttPair.username);
  const list = defaultCredentials().filter((c) => c.services.includes('mqtt'));
  assert.equal(f.details?.attempts, list.indexOf(mqttPair) + 1);
});

void test('credential service selection and password masking', () => {
  assert.equal(credentialServiceFor(portResult(22, 'ssh')), 'ssh');
  assert.equal(credentialServiceFor(portResult(80, 'http', { basicAuth: false })), null);
  assert.equal(credentialServiceFor(portResult(80, 'http', { basicAuth: true })), 'http-basic');
  assert.equal(credentialServiceFor(portResult(6379, 'redis', { auth: 'none' })), null, 'no-auth Redis is its own finding');
  assert.equal(credentialServiceFor(portResult(6379, 'redis', { auth: 'required' })), 'redis');
  assert.equal(credentialServiceFor(portResult(1883, 'mqtt', { anonymous: true })), null);
  assert.equal(maskPassword(''), '(empty)');
  assert.equal(maskPassword('xc3511'), 'x****1');
  assert.equal(maskPassword('ab'), '**');
});

void test('attempts stop at the cap even when every attempt fails (closed port = errors stop early)', async () => {
  // A port nobody listens on: every attempt is a connection error; three in a row end the run.
  const ctx = context('127.0.0.1', 300);
  const probe = await Conversation.open('127.0.0.1', 1, 300);
  assert.notEqual(probe.state, 'open');
  const r = await checkPortCredentials(ctx, portResult(1, 'telnet'), defaultCredentials(), 50);
  assert.ok(r);
  assert.equal(r.attempts, 3);
  assert.equal(r.errors, 3);
});
