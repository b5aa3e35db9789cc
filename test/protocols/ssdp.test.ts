import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, hexBytes, needTshark, recordingSink, tsharkFields } from './helpers.js';
import { createSsdpConsumer, parseSsdp, type ParsedSsdp } from '../../src/protocols/ssdp.js';

const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

void test('M-SEARCH, NOTIFY and 200 responses with their headers', () => {
  const search = parseSsdp(enc('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\nUSER-AGENT: Linux/3.10 UPnP/1.0 cam/1\r\n\r\n'));
  assert.ok(search.ok);
  assert.equal(search.value.method, 'M-SEARCH');
  assert.equal(search.value.st, 'ssdp:all');
  assert.equal(search.value.man, '"ssdp:discover"');
  assert.equal(search.value.mx, '2');
  assert.equal(search.value.userAgent, 'Linux/3.10 UPnP/1.0 cam/1');
  const notify = parseSsdp(enc('NOTIFY * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\nNT: urn:schemas-upnp-org:device:MediaServer:1\r\nNTS: ssdp:alive\r\nUSN: uuid:1234::urn:schemas-upnp-org:device:MediaServer:1\r\nLocation: http://192.168.1.10:8200/rootDesc.xml\r\nServer: Linux/4.4 UPnP/1.0 MiniDLNA/1.2.1\r\n'));
  assert.ok(notify.ok);
  assert.deepEqual([notify.value.method, notify.value.nt, notify.value.nts, notify.value.location, notify.value.server], ['NOTIFY', 'urn:schemas-upnp-org:device:MediaServer:1', 'ssdp:alive', 'http://192.168.1.10:8200/rootDesc.xml', 'Linux/4.4 UPnP/1.0 MiniDLNA/1.2.1']);
  assert.equal(notify.value.usn, 'uuid:1234::urn:schemas-upnp-org:device:MediaServer:1');
  const resp = parseSsdp(enc('HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\nUSN: uuid:r::upnp:rootdevice\r\nLOCATION: http://192.168.1.1:1900/igd.xml\r\n\r\n'));
  assert.ok(resp.ok);
  assert.deepEqual([resp.value.method, resp.value.status, resp.value.st], ['RESPONSE', 200, 'upnp:rootdevice']);
  assert.deepEqual(parseSsdp(enc('GET / HTTP/1.1\r\n\r\n')), { ok: false, reason: 'not-ssdp' });
  assert.deepEqual(parseSsdp(enc('M-SEARCH * HTTP/1.1\r\nbroken\r\n\r\n')), { ok: false, reason: 'bad-header-line' });
});

void test('consumer: port 1900, or M-SEARCH/NOTIFY by content on other ports; kinds', () => {
  const s = recordingSink();
  const c = createSsdpConsumer(s.sink);
  const m = enc('M-SEARCH * HTTP/1.1\r\nST: urn:x\r\n\r\n');
  assert.ok(c.accepts(fakeFlow(17, 50000, 1900), 0, enc('garbage')));
  assert.ok(c.accepts(fakeFlow(17, 50000, 32412), 0, m));
  assert.ok(!c.accepts(fakeFlow(17, 50000, 32412), 0, enc('HTTP/1.1 200 OK\r\n\r\n')));
  assert.ok(!c.accepts(fakeFlow(6, 50000, 1900), 0, m));
  c.onData(fakeFlow(17, 50000, 1900), 0, m, 1);
  c.onData(fakeFlow(17, 50000, 1900), 1, enc('HTTP/1.1 200 OK\r\nST: urn:x\r\n\r\n'), 2);
  c.onData(fakeFlow(17, 50000, 1900), 0, enc('\x00\x01'), 3);
  assert.deepEqual(s.messages.map((x) => x.kind), ['m-search', 'response']);
  assert.equal(c.malformed.get('not-ssdp'), 1);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), fc.string({ maxLength: 300 }), (b, str) => {
    parseSsdp(b);
    const r = parseSsdp(enc('NOTIFY * HTTP/1.1\r\n' + str));
    if (r.ok) assert.ok(r.value.headers.length <= 64 && r.value.usn.length <= 8192);
  }), { numRuns: 3000 });
});

void test('every SSDP datagram in the shared captures agrees with tshark', { skip: needSharedData() || needTshark() }, () => {
  let total = 0;
  const files = ['benign/ssdp-dial-m-search-chrome-1900.pcap', 'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap', 'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap', 'benign/plex-gdm-m-search-32412.pcap'];
  const sts = new Set<string>();
  for (const file of files) {
    const rows = tsharkFields(sharedFile(file), 'udp && (ssdp || udp.payload contains "M-SEARCH")', ['udp.payload', 'http.request.method', 'http.response.code', 'http.request.line', 'http.response.line', 'http.user_agent'], [], '\x1f');
    assert.ok(rows.length > 0, file);
    for (const [payload, method, code, reqLines, respLines, ua] of rows) {
      const r = parseSsdp(hexBytes(payload));
      assert.ok(r.ok, `${file}: ${r.ok ? '' : r.reason}`);
      const v: ParsedSsdp = r.value;
      assert.equal(v.method, method || (code ? 'RESPONSE' : 'M-SEARCH'), file);
      // tshark's header lines, "Name: value\r\n" each
      const lines = (reqLines || respLines).split('\x1f').filter(Boolean);
      const header = (n: string) => {
        const l = lines.find((x) => x.toLowerCase().startsWith(n + ':'));
        return l ? l.slice(n.length + 1).replace(/\\r\\n$/, '').trim() : '';
      };
      assert.equal(v.st, header('st'), file);
      assert.equal(v.usn, header('usn'), file);
      assert.equal(v.location, header('location'), file);
      assert.equal(v.userAgent, header('user-agent'), file);
      if (ua) assert.equal(v.userAgent, ua, file);
      if (v.st) sts.add(v.st);
      total++;
    }
  }
  assert.ok(sts.has('urn:dial-multiscreen-org:service:dial:1'));
  assert.ok(total >= 8, `compared ${total}`);
  console.log(`SSDP: compared ${total} datagrams; ST values: ${[...sts].join(' | ')}`);
});
