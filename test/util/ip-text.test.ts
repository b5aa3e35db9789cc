import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIpv4 as ipv4Text, formatIpv6 as ipv6Text } from '../../src/util/ip.js';
import { formatMac as macText } from '../../src/util/mac.js';

void test('IPv6 text equals the WHATWG URL serialiser (RFC 5952 compression) for any address', () => {
  // Bias towards zero groups so that "::" placement is exercised.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      const bytes = new Uint8Array(20);
      groups.forEach((g, i) => { bytes[2 + 2 * i] = g >> 8; bytes[3 + 2 * i] = g & 255; });
      const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
      fc.pre(!mapped);
      const hex = groups.map((g) => g.toString(16)).join(':');
      const expected = new URL(`http://[${hex}]/`).hostname.slice(1, -1);
      assert.equal(ipv6Text(bytes, 2), expected);
    }),
    { numRuns: 2000 },
  );
});

void test('IPv4-mapped IPv6, IPv4 and MAC text', () => {
  const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
  assert.equal(ipv6Text(mapped, 0), '::ffff:192.0.2.1');
  assert.equal(ipv6Text(new Uint8Array(16), 0), '::');
  assert.equal(ipv4Text(0xc0000201), '192.0.2.1');
  assert.equal(ipv4Text(0xffffffff), '255.255.255.255');
  assert.equal(macText(Uint8Array.from([9, 0x00, 0x5e, 0x0a, 0xbc, 0xff, 0x01]), 1), '00:5e:0a:bc:ff:01');
});
