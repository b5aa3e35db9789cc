import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, hexBytes, needTshark, recordingSink, tsharkFields } from './helpers.js';
import { createDhcpConsumer, dhcpKind, parseDhcp, type ParsedDhcp } from '../../src/protocols/dhcp.js';

const DHCP_CAPTURES = [
  'benign/dhcp-discover-offer-nak-ack.pcap',
  'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap',
  'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap',
];

function opt(code: number, body: number[]): number[] {
  return [code, body.length, ...body];
}

/** A DHCPREQUEST from an IoT camera. */
function request(options: number[]): Uint8Array {
  const b = new Uint8Array(240 + options.length);
  b[0] = 1; b[1] = 1; b[2] = 6;
  b.set([0xde, 0xad, 0xbe, 0xef], 4);
  b.set([0xb8, 0x27, 0xeb, 0x01, 0x02, 0x03], 28);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  b.set(options, 240);
  return b;
}

void test('hand-built request: type, MAC, hostname, vendor class, parameter list, requested IP, client id', () => {
  const b = request([
    ...opt(53, [3]), ...opt(61, [1, 0xb8, 0x27, 0xeb, 1, 2, 3]), ...opt(50, [192, 168, 1, 23]),
    ...opt(12, [...Buffer.from('ipcam-01'), 0]), ...opt(60, [...Buffer.from('udhcp 1.30.1')]), ...opt(55, [1, 3, 6, 15, 42]), 0, 0, 255, 7, 7,
  ]);
  const r = parseDhcp(b);
  assert.ok(r.ok);
  const d = r.value;
  assert.equal(d.messageType, 3);
  assert.equal(dhcpKind(d.messageType), 'request');
  assert.equal(d.clientMac, 'b8:27:eb:01:02:03');
  assert.equal(d.hostname, 'ipcam-01');
  assert.equal(d.vendorClass, 'udhcp 1.30.1');
  assert.deepEqual(d.parameterList, [1, 3, 6, 15, 42]);
  assert.equal(d.requestedIp, '192.168.1.23');
  assert.equal(d.clientId, '01b827eb010203');
  assert.equal(d.xid, 0xdeadbeef);
  assert.deepEqual(d.options, [53, 61, 50, 12, 60, 55]);
  const s = recordingSink();
  const c = createDhcpConsumer(s.sink);
  const f = fakeFlow(17, 68, 67);
  assert.ok(c.accepts(f, 0, b));
  c.onData(f, 0, b, 1);
  assert.equal(s.messages[0].kind, 'request');
  assert.ok(!c.accepts(fakeFlow(17, 5000, 53), 0, b));
});

void test('malformed: short, no cookie, truncated option; kinds for every type', () => {
  assert.deepEqual(parseDhcp(new Uint8Array(100)), { ok: false, reason: 'short' });
  const noMagic = request([]);
  noMagic[236] = 0;
  assert.deepEqual(parseDhcp(noMagic), { ok: false, reason: 'no-magic-cookie' });
  assert.deepEqual(parseDhcp(request([12, 50, 1, 2])), { ok: false, reason: 'option-truncated' });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(dhcpKind), ['discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform']);
  assert.equal(dhcpKind(0), 'bootp');
  assert.equal(dhcpKind(200), 'type_200');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (opts) => {
    const r = parseDhcp(request([...opts]));
    if (r.ok) assert.ok(r.value.hostname.length <= 255 && r.value.vendorClass.length <= 255 && r.value.options.length <= 255);
  }), { numRuns: 3000 });
});

void test('every DHCP message in the shared captures agrees with tshark', { skip: needSharedData() || needTshark() }, () => {
  let total = 0;
  const kinds = new Set<string>();
  for (const file of DHCP_CAPTURES) {
    const rows = tsharkFields(sharedFile(file), 'dhcp', ['udp.payload', 'dhcp.option.dhcp', 'dhcp.hw.mac_addr', 'dhcp.option.hostname', 'dhcp.option.vendor_class_id', 'dhcp.option.requested_ip_address', 'dhcp.ip.your', 'dhcp.option.request_list_item', 'dhcp.id']);
    assert.ok(rows.length > 0, file);
    const s = recordingSink();
    const c = createDhcpConsumer(s.sink);
    for (const [payload, type, mac, host, vendor, requested, your, params, xid] of rows) {
      c.onData(fakeFlow(17, 68, 67), 0, hexBytes(payload), 0);
      const m = s.messages[s.messages.length - 1];
      const d = m.fields as unknown as ParsedDhcp;
      assert.equal(d.messageType, Number(type));
      assert.equal(m.kind, dhcpKind(Number(type)));
      assert.equal(d.clientMac, mac.split(',')[0]);
      assert.equal(d.hostname, host);
      assert.equal(d.vendorClass, vendor);
      assert.equal(d.requestedIp, requested);
      assert.equal(d.yourIp, your);
      assert.deepEqual(d.parameterList, params ? params.split(',').map(Number) : []);
      assert.equal(d.xid, parseInt(xid, 16));
      kinds.add(m.kind);
      total++;
    }
    assert.equal(s.messages.length, rows.length, file);
    assert.equal(c.malformed.total(), 0, file);
  }
  for (const k of ['discover', 'offer', 'request', 'nak', 'ack']) assert.ok(kinds.has(k), k);
  assert.ok(total >= 20, `compared ${total}`);
  console.log(`DHCP: compared ${total} messages (${[...kinds].join(', ')})`);
});
