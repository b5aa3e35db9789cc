import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, hexBytes, needTshark, recordingSink, tsharkFields } from './helpers.js';
import { createMdnsConsumer, mdnsHints, type MdnsFields } from '../../src/protocols/mdns.js';
import { parseDns } from '../../src/protocols/dns.js';

const MDNS_CAPTURES = [
  'benign/mdns-ipp-queries.pcap',
  'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap',
  'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap',
];
const SEP = '\x1f';

function name(n: string): number[] {
  const out: number[] = [];
  for (const l of n.split('.')) { const b = [...Buffer.from(l)]; out.push(b.length, ...b); }
  out.push(0);
  return out;
}
const u16 = (v: number) => [v >> 8, v & 0xff];
function rr(owner: string, type: number, rdata: number[]): number[] {
  return [...name(owner), ...u16(type), ...u16(0x8001), 0, 0, 0, 120, ...u16(rdata.length), ...rdata];
}
function txt(...s: string[]): number[] {
  return s.flatMap((x) => [Buffer.byteLength(x), ...Buffer.from(x)]);
}

void test('hand-built announcement: host names, service types, instances, TXT model', () => {
  const inst = 'Living Room Cam._rtsp._tcp.local';
  const msg = Uint8Array.from([
    0, 0, 0x84, 0, 0, 0, 0, 2, 0, 0, 0, 3,
    ...rr('_services._dns-sd._udp.local', 12, name('_rtsp._tcp.local')),
    ...rr('_rtsp._tcp.local', 12, name(inst)),
    ...rr(inst, 33, [0, 0, 0, 0, ...u16(554), ...name('cam-1234.local')]),
    ...rr(inst, 16, txt('md=IPC-G22', 'fw=1.2.3', 'noequals')),
    ...rr('cam-1234.local', 1, [192, 168, 1, 50]),
  ]);
  const s = recordingSink();
  const c = createMdnsConsumer(s.sink);
  const f = fakeFlow(17, 5353, 5353);
  assert.ok(c.accepts(f, 0, msg));
  c.onData(f, 0, msg, 5);
  assert.equal(s.messages.length, 1);
  assert.equal(s.messages[0].protocol, 'mdns');
  assert.equal(s.messages[0].kind, 'response');
  const m = s.messages[0].fields as unknown as MdnsFields;
  assert.equal(m.answers.length, 2);
  assert.equal(m.additionals.length, 3);
  assert.deepEqual(m.hints, {
    hostnames: ['cam-1234.local'],
    serviceTypes: ['_rtsp._tcp.local'],
    instances: [inst],
    txt: ['md=IPC-G22', 'fw=1.2.3'],
    model: 'IPC-G22',
  });
  assert.ok(!c.accepts(fakeFlow(17, 5000, 53), 0, msg));
});

void test('hint lists stay bounded and de-duplicated', () => {
  const records: number[] = [];
  for (let i = 0; i < 60; i++) records.push(...rr(`h${i}.local`, 1, [10, 0, 0, i]), ...rr(`h${i % 3}x.local`, 1, [10, 0, 1, i]));
  const msg = Uint8Array.from([0, 0, 0x84, 0, 0, 0, 0, 120, 0, 0, 0, 0, ...records]);
  const r = parseDns(msg, 0, msg.length, 'udp', { allSections: true });
  assert.ok(r.ok);
  const h = mdnsHints(r.value);
  assert.equal(h.hostnames.length, 32);
  assert.equal(new Set(h.hostnames).size, 32);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
    const p = parseDns(b, 0, b.length, 'udp', { allSections: true });
    if (p.ok) {
      const x = mdnsHints(p.value);
      assert.ok(x.hostnames.length <= 32 && x.serviceTypes.length <= 32 && x.instances.length <= 32 && x.txt.length <= 32);
    }
  }), { numRuns: 2000 });
});

void test('every mDNS message in the shared captures agrees with tshark; device hints found', { skip: needSharedData() || needTshark() }, () => {
  let total = 0;
  const hostnames = new Set<string>();
  const services = new Set<string>();
  const models = new Set<string>();
  for (const file of MDNS_CAPTURES) {
    const rows = tsharkFields(sharedFile(file), 'mdns', ['udp.payload', 'dns.flags.response', 'dns.qry.name', 'dns.resp.name', 'dns.resp.type', 'dns.txt', 'dns.count.answers', 'dns.count.auth_rr', 'dns.count.add_rr'], [], SEP);
    assert.ok(rows.length > 0, file);
    const s = recordingSink();
    const c = createMdnsConsumer(s.sink);
    const f = fakeFlow(17, 5353, 5353);
    for (const [payload, resp, qnames, respNames, respTypes, txts, an, ns, ar] of rows) {
      const before = s.messages.length;
      c.onData(f, 0, hexBytes(payload), 0);
      assert.equal(s.messages.length, before + 1, `${file}: parsed ${payload.slice(0, 30)}`);
      const m = s.messages[before].fields as unknown as MdnsFields;
      assert.equal(m.response, resp === '1' || resp === 'True');
      assert.deepEqual(m.questions.map((q) => q.name), qnames ? qnames.split(SEP) : []);
      const types = respTypes ? respTypes.split(SEP).map(Number) : [];
      const all = [...m.answers, ...m.authorities, ...m.additionals];
      // tshark's occurrence list of dns.resp.name is not aligned with dns.resp.type, so compare
      // record counts (minus OPT) and the set of owner names
      assert.equal(all.length, Number(an) + Number(ns) + Number(ar) - types.filter((t) => t === 41).length, file);
      assert.deepEqual(new Set(all.map((r) => r.name)), new Set((respNames ? respNames.split(SEP) : []).filter((x) => x !== '<Root>')), file);
      assert.deepEqual(all.flatMap((r) => r.strings ?? []), txts ? txts.split(SEP) : [], file);
      for (const h of m.hints.hostnames) hostnames.add(h);
      for (const t of m.hints.serviceTypes) services.add(t);
      if (m.hints.model) models.add(m.hints.model);
      total++;
    }
    assert.equal(c.malformed.total(), 0, file);
  }
  assert.ok(total >= 30, `compared ${total}`);
  for (const h of ['Lucas-iMac.local', 'johanna-QEMU-Virtual-Machine.local']) assert.ok(hostnames.has(h), h);
  for (const t of ['_ipp._tcp.local', '_ipps._tcp.local', '_ssh._tcp.local', '_googlecast._tcp.local', '_spotify-connect._tcp.local']) assert.ok(services.has(t), t);
  assert.ok(models.has('iMac11,3'), [...models].join('|'));
  console.log(`mDNS: compared ${total} messages; hints: ${hostnames.size} host names, ${services.size} service types, models ${[...models].join(', ')}`);
});
