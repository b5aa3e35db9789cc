/** Address formatting/parsing against RFC 5952 vectors, Node's net.isIP and the WHATWG URL parser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { cidrContainsPacketDst, cidrContainsPacketSrc } from '../../src/decode/address.js';
import {
  cidrContains, cidrContainsIpv4, classifyIp, formatIpv4 as ip4ToString, formatIpv6 as ip6ToString, isPublicIp, parseCidr, parseIp,
} from '../../src/util/ip.js';
import { formatMac as macToString } from '../../src/util/mac.js';

/** Special-purpose (not globally reachable) address text; false for text that is no address. */
const isPrivateOrReservedIp = (t: string): boolean => classifyIp(t) !== null && !isPublicIp(t);
import { decodeFrame, ethernet, ip6Bytes, ipv4, ipv6, udp } from './frames.js';

void test('ip4ToString', () => {
  assert.equal(ip4ToString(0), '0.0.0.0');
  assert.equal(ip4ToString(0xffffffff), '255.255.255.255');
  assert.equal(ip4ToString(0xc0a80101), '192.168.1.1');
  assert.equal(ip4ToString(0x0a000001), '10.0.0.1');
});

void test('ip6ToString: RFC 5952 §4 examples', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'], // §4.2.1 shorten as much as possible
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one 16-bit 0 field is not "::"
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 tie: the first
    ['2001:DB8:AAAA::1', '2001:db8:aaaa::1'], // §4.3 lowercase
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['::ffff:192.0.2.33', '::ffff:192.0.2.33'], // §5 IPv4-mapped
    ['0:0:0:0:0:ffff:0a00:0001', '::ffff:10.0.0.1'],
  ];
  for (const [input, expected] of cases) assert.equal(ip6ToString(ip6Bytes(input), 0), expected, input);
});

void test('property: ip6ToString agrees with the WHATWG URL serializer and round-trips through parseIp', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 8 }), (raw, zeroGroups) => {
      const b = Uint8Array.from(raw);
      for (const g of zeroGroups) b[2 * g] = b[2 * g + 1] = 0; // make zero runs likely
      const text = ip6ToString(b, 0);
      assert.equal(isIP(text), 6);
      const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
      if (!mapped) assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname);
      const parsed = parseIp(text);
      assert.ok(parsed !== null && parsed.version === 6);
      assert.deepEqual(parsed.bytes, b);
    }),
    { numRuns: 2000 },
  );
});

void test('property: parseIp accepts exactly what net.isIP accepts', () => {
  const candidate = fc.oneof(
    fc.ipV4(), fc.ipV6(), fc.ipV4Extended(),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'.split('')), maxLength: 45 }),
  );
  fc.assert(
    fc.property(candidate, (text) => {
      const p = parseIp(text);
      assert.equal(p === null ? 0 : p.version, isIP(text), text);
    }),
    { numRuns: 5000 },
  );
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', '12345::', ':1', '1:', 'g::1', '::1.2.3', '1:2:3:4:5:6:7:8:9']) {
    assert.equal(parseIp(bad), null, bad);
    assert.equal(isIP(bad), 0, bad);
  }
  assert.equal(parseIp('fe80::1%eth0')?.version, 6);
  assert.deepEqual([...parseIp('::ffff:1.2.3.4')!.bytes.subarray(12)], [1, 2, 3, 4]);
  assert.equal(parseIp('10.1.2.3')!.v4, 0x0a010203);
});

void test('macToString', () => {
  assert.equal(macToString(Uint8Array.from([0xb8, 0x27, 0xeb, 0x0a, 0x00, 0xff]), 0), 'b8:27:eb:0a:00:ff');
});

void test('CIDR parsing and containment', () => {
  const net = parseCidr('192.168.1.77/24')!;
  assert.equal(net.prefix, 24);
  assert.equal(ip4ToString(net.v4), '192.168.1.0', 'host bits cleared');
  assert.ok(cidrContains(net, '192.168.1.255'));
  assert.ok(!cidrContains(net, '192.168.2.0'));
  assert.ok(!cidrContains(net, '::ffff:192.168.1.1'), 'versions must match');
  assert.ok(cidrContainsIpv4(parseCidr('0.0.0.0/0')!, 0xdeadbeef));
  assert.ok(cidrContains(parseCidr('10.10.10.10')!, '10.10.10.10'));
  assert.ok(!cidrContains(parseCidr('10.10.10.10')!, '10.10.10.11'));
  const v6 = parseCidr('2001:db8:abcd:12::/62')!;
  assert.ok(cidrContains(v6, '2001:db8:abcd:13:ffff::1'));
  assert.ok(!cidrContains(v6, '2001:db8:abcd:14::'));
  assert.ok(cidrContains(parseCidr('::/0')!, '::1'));
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0/8', 'x/8', '10.0.0.0/8/8']) assert.equal(parseCidr(bad), null, bad);
  // Packet helpers, both versions, without strings.
  const p4 = decodeFrame(ethernet(0x0800, ipv4({ src: '192.168.1.5', dst: '8.8.8.8', proto: 17 }, udp(1, 2, new Uint8Array(0))))).pkt;
  assert.ok(cidrContainsPacketSrc(net, p4));
  assert.ok(!cidrContainsPacketDst(net, p4));
  const p6 = decodeFrame(ethernet(0x86dd, ipv6({ src: '2001:db8:abcd:12::5', dst: 'fe80::1', nextHeader: 17 }, udp(1, 2, new Uint8Array(0))))).pkt;
  assert.ok(cidrContainsPacketSrc(v6, p6));
  assert.ok(cidrContainsPacketDst(parseCidr('fe80::/10')!, p6));
  assert.ok(!cidrContainsPacketSrc(net, p6));
});

void test('property: IPv4 containment agrees with a string-free reference', () => {
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), (netText, prefix, ipText) => {
      const c = parseCidr(`${netText}/${prefix}`)!;
      const a = parseIp(netText)!.v4;
      const b = parseIp(ipText)!.v4;
      const expected = prefix === 0 || a >>> (32 - prefix) === b >>> (32 - prefix);
      assert.equal(cidrContains(c, ipText), expected);
    }),
    { numRuns: 2000 },
  );
});

void test('isPrivateOrReservedIp', () => {
  const special = [
    '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '100.127.255.255',
    '0.0.0.0', '192.0.2.5', '198.51.100.7', '203.0.113.9', '198.18.0.1', '224.0.0.251', '239.255.255.250', '255.255.255.255', '240.0.0.1',
    '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', '2001:db8::1', '3fff::1', 'ff02::fb', '::ffff:10.0.0.1', '100::1',
  ];
  const global = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '178.32.196.217', '2001:4860:4860::8888', '2a00:1450::1', '::ffff:8.8.8.8', '192.0.3.1'];
  for (const ip of special) assert.equal(isPrivateOrReservedIp(ip), true, ip);
  for (const ip of global) assert.equal(isPrivateOrReservedIp(ip), false, ip);
  assert.equal(isPrivateOrReservedIp('not an ip'), false);
});
