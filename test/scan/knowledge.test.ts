import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { adminUiFingerprints, compareVersions, defaultCredentials, firmwareVulnerabilities, vulnerabilitiesFor } from '../../src/scan/knowledge.js';
import { makeVulnerableFirmwareCheck } from '../../src/scan/checks/vulnerable-firmware.js';
import type { HostResult } from '../../src/scan/types.js';

void test('shipped knowledge base files validate and carry sources', () => {
  const kb = firmwareVulnerabilities();
  assert.ok(kb.length >= 2);
  for (const v of kb) assert.match(v.source, /^https:\/\//);
  const cves = kb.flatMap((v) => v.cve);
  assert.ok(cves.includes('CVE-2018-14847') && cves.includes('CVE-2018-1156'));
  const creds = defaultCredentials();
  for (const c of creds) assert.ok(c.source.length > 10, `${c.username}:${c.password} has no source`);
  const mirai = creds.filter((c) => c.source.startsWith('Mirai'));
  assert.equal(mirai.length, 61, "Mirai's scanner.c has 61 distinct pairs");
  assert.deepEqual([mirai[0].username, mirai[0].password], ['root', 'xc3511'], 'Mirai order kept');
  assert.ok(creds.some((c) => c.username === 'admin' && c.password === '' && /MikroTik/.test(c.source)));
  for (const f of adminUiFingerprints()) assert.doesNotThrow(() => new RegExp(f.match, 'i'));
});

void test('version comparison: numeric parts, release candidates, different lengths', () => {
  assert.equal(compareVersions('6.42.7', '6.42.10'), -1);
  assert.equal(compareVersions('6.42', '6.42.0'), 0);
  assert.equal(compareVersions('6.42rc1', '6.42'), -1);
  assert.equal(compareVersions('7.1', '6.49.10'), 1);
  fc.assert(
    fc.property(fc.array(fc.nat(99), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(99), { minLength: 1, maxLength: 4 }), (a, c) => {
      const x = a.join('.');
      const y = c.join('.');
      // 0 - r, not -r: equal versions give 0, and strict equality tells -0 from 0
      assert.equal(compareVersions(x, y), 0 - compareVersions(y, x));
      assert.equal(compareVersions(x, x), 0);
    }),
  );
});

void test('RouterOS version ranges: the boundaries of CVE-2018-14847 and CVE-2018-1156', () => {
  const cves = (v: string): string[] => vulnerabilitiesFor('MikroTik RouterOS', v).flatMap((x) => x.cve);
  assert.ok(cves('6.42').includes('CVE-2018-14847'));
  assert.ok(!cves('6.42.1').includes('CVE-2018-14847'));
  assert.ok(cves('6.40.7').includes('CVE-2018-14847'));
  assert.ok(!cves('6.40.8').includes('CVE-2018-14847'));
  assert.ok(!cves('6.28').includes('CVE-2018-14847'));
  assert.ok(cves('6.42.6').includes('CVE-2018-1156'));
  assert.ok(!cves('6.42.7').includes('CVE-2018-1156'));
  assert.ok(!cves('6.40.9').includes('CVE-2018-1156'));
  assert.deepEqual(cves('7.12'), []);
  assert.deepEqual(vulnerabilitiesFor('OpenSSH', '6.40.4'), [], 'product must match');
  assert.deepEqual(vulnerabilitiesFor('MikroTik RouterOS', ''), [], 'no version, no claim');
});

void test('vulnerable-firmware check: one finding per vulnerability per host, from any port that names the version', () => {
  const host: HostResult = {
    address: '192.168.88.1',
    state: 'up',
    discoveredBy: ['tcp'],
    findings: [],
    ports: [
      { port: 21, proto: 'tcp', state: 'open', service: 'ftp', product: 'MikroTik RouterOS', version: '6.41.3', banner: '' },
      { port: 22, proto: 'tcp', state: 'open', service: 'ssh', product: 'OpenSSH', version: '7.4', banner: '', details: { routerosVersion: '6.41.3' } },
    ],
  };
  const findings = makeVulnerableFirmwareCheck().run(host);
  const ids = findings.map((f) => f.details?.vulnerability);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.ok(findings.some((f) => (f.details?.cve as string[]).includes('CVE-2018-14847') && f.severity === 'critical'));
  for (const f of findings) assert.equal(f.id, 'vulnerable-firmware');
});
