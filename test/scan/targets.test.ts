import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError } from '../../src/util/errors.js';
import { expandTargets, localSubnets, parseIpv4Range } from '../../src/scan/targets.js';
import { formatIpv4 as intToIpv4, isPublicIp, parseIpv4 as ipv4ToInt } from '../../src/util/ip.js';

void test('CIDR, range and single-address syntax expand to the right hosts', () => {
  assert.deepEqual(parseIpv4Range('192.168.1.0/24'), [ipv4ToInt('192.168.1.1'), ipv4ToInt('192.168.1.254')]);
  assert.deepEqual(parseIpv4Range('10.0.0.7/32'), [ipv4ToInt('10.0.0.7'), ipv4ToInt('10.0.0.7')]);
  assert.deepEqual(parseIpv4Range('10.0.0.6/31'), [ipv4ToInt('10.0.0.6'), ipv4ToInt('10.0.0.7')]);
  assert.deepEqual(parseIpv4Range('192.168.1.10-20'), [ipv4ToInt('192.168.1.10'), ipv4ToInt('192.168.1.20')]);
  assert.deepEqual(parseIpv4Range('10.0.0.250-10.0.1.5'), [ipv4ToInt('10.0.0.250'), ipv4ToInt('10.0.1.5')]);
  assert.equal(parseIpv4Range('192.168.1.20-10'), null);
  assert.equal(parseIpv4Range('192.168.1.0/33'), null);
  assert.equal(parseIpv4Range('300.1.1.1'), null);
});

void test('private/reserved classification', () => {
  for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '192.0.2.5', '::1', 'fd00::2', 'fe80::1', '::ffff:192.168.1.1'])
    assert.equal(isPublicIp(a), false, a);
  for (const a of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '100.128.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])
    assert.equal(isPublicIp(a), true, a);
});

void test('public addresses are refused without --i-own-these-addresses, accepted with it', async () => {
  await assert.rejects(expandTargets(['8.8.8.8'], { allowPublic: false }), (e: unknown) => e instanceof UsageError && /i-own-these-addresses/.test(e.message));
  assert.deepEqual(await expandTargets(['8.8.8.8'], { allowPublic: true }), [{ address: '8.8.8.8' }]);
  // A hostname resolving to a public address is refused too.
  await assert.rejects(expandTargets(['router.example'], { allowPublic: false, resolve: async () => ['203.0.114.1'] }), UsageError);
  assert.deepEqual(await expandTargets(['router.example'], { allowPublic: false, resolve: async () => ['192.168.1.1'] }), [{ address: '192.168.1.1', hostname: 'router.example' }]);
});

void test('bad specs and oversize scans are usage errors; duplicates collapse', async () => {
  await assert.rejects(expandTargets(['192.168.1.1/40'], { allowPublic: false }), UsageError);
  await assert.rejects(expandTargets(['not a host!'], { allowPublic: false }), UsageError);
  await assert.rejects(expandTargets(['10.0.0.0/8'], { allowPublic: false }), (e: unknown) => e instanceof UsageError && /max-hosts/.test(e.message));
  await assert.rejects(expandTargets(['fd00::/64'], { allowPublic: false }), UsageError);
  const r = await expandTargets(['192.168.1.1', '192.168.1.0/30', '192.168.1.2'], { allowPublic: false });
  assert.deepEqual(r.map((x) => x.address), ['192.168.1.1', '192.168.1.2']);
});

void test('property: every address of a CIDR expansion is inside the prefix, and the count is right', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 16, max: 32 }), (n, bits) => {
      const spec = `${intToIpv4(n)}/${bits}`;
      const r = parseIpv4Range(spec);
      assert.ok(r);
      const [first, last] = r;
      const mask = (0xffffffff << (32 - bits)) >>> 0;
      const net = (n & mask) >>> 0;
      const expected = bits >= 31 ? 2 ** (32 - bits) : 2 ** (32 - bits) - 2;
      assert.equal(last - first + 1, expected);
      assert.equal((first & mask) >>> 0, net);
      assert.equal((last & mask) >>> 0, net);
    }),
  );
});

void test('property: random strings never throw anything but UsageError', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 40 }), async (s) => {
      try {
        await expandTargets([s], { allowPublic: false, maxHosts: 64, resolve: async () => ['10.0.0.1'] });
      } catch (e) {
        assert.ok(e instanceof UsageError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

void test('local subnets are IPv4 prefixes no larger than /24', () => {
  for (const s of localSubnets()) {
    const [, bits] = s.split('/');
    assert.ok(Number(bits) >= 24, s);
    assert.ok(parseIpv4Range(s), s);
  }
});
