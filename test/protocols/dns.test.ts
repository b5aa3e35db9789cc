import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { comparable, fakeFlow, hexBytes, needTshark, recordingSink, tsharkFields } from './helpers.js';
import { createDnsConsumer, looksLikeDns, parseDns, type ParsedDns } from '../../src/protocols/dns.js';
import { formatIpv6 as ipv6Text } from '../../src/util/ip.js';
import { ConsumerVerdict } from '../../src/events/stream.js';

const DNS_CAPTURES = [
  'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap',
  'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap',
  'benign/android-alexa-app.pcapng',
  'browser-miner/authedmine-browser-tls-websocket.pcap',
  'browser-miner/coinhive-stratum-proxy-supportxmr.pcap',
];

// ---- a tiny message builder ----
function name(n: string): number[] {
  const out: number[] = [];
  for (const l of n.split('.').filter(Boolean)) out.push(l.length, ...Buffer.from(l));
  out.push(0);
  return out;
}
const u16 = (v: number) => [v >> 8, v & 0xff];
const u32 = (v: number) => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
function rr(owner: number[], type: number, rdata: number[], ttl = 60): number[] {
  return [...owner, ...u16(type), ...u16(1), ...u32(ttl), ...u16(rdata.length), ...rdata];
}
function header(id: number, flags: number, qd: number, an: number, ns = 0, ar = 0): number[] {
  return [...u16(id), ...u16(flags), ...u16(qd), ...u16(an), ...u16(ns), ...u16(ar)];
}

/** Response for pool.minexmr.com with compression pointers to the question name (offset 12). */
function sampleResponse(): Uint8Array {
  const q = [...name('pool.minexmr.com'), ...u16(1), ...u16(1)];
  const ptr = [0xc0, 12];
  const answers = [
    ...rr(ptr, 5, [...name('edge'), ...[]].slice(0, -1).concat([0xc0, 17])), // CNAME edge.minexmr.com (pointer to "minexmr.com")
    ...rr(ptr, 1, [94, 130, 164, 163], 300),
    ...rr(ptr, 28, [0x2a, 0x01, 0x04, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ...rr(ptr, 16, [5, ...Buffer.from('v=xmr'), 3, ...Buffer.from('a=b')]),
    ...rr(ptr, 15, [...u16(10), 0xc0, 12]),
    ...rr(ptr, 33, [...u16(1), ...u16(5), ...u16(3333), 0xc0, 12]),
  ];
  return Uint8Array.from([...header(0xbeef, 0x8180, 1, 6), ...q, ...answers]);
}

void test('hand-built response: every record type rendered, compression followed', () => {
  const r = parseDns(sampleResponse(), 0, sampleResponse().length, 'udp');
  assert.ok(r.ok);
  const m = r.value;
  assert.equal(m.id, 0xbeef);
  assert.equal(m.response, true);
  assert.equal(m.rcode, 0);
  assert.equal(m.qname, 'pool.minexmr.com');
  assert.equal(m.qtype, 1);
  assert.deepEqual(m.answers.map((a) => [a.name, a.type, a.data]), [
    ['pool.minexmr.com', 5, 'edge.minexmr.com'],
    ['pool.minexmr.com', 1, '94.130.164.163'],
    ['pool.minexmr.com', 28, '2a01:4f8::1'],
    ['pool.minexmr.com', 16, 'v=xmr a=b'],
    ['pool.minexmr.com', 15, '10 pool.minexmr.com'],
    ['pool.minexmr.com', 33, '1 5 3333 pool.minexmr.com'],
  ]);
  assert.equal(m.answers[1].ttl, 300);
});

void test('hostile names: pointer loops, forward pointers, long names, bad label types, truncation', () => {
  const q = (nameBytes: number[]) => Uint8Array.from([...header(1, 0x0100, 1, 0), ...nameBytes, ...u16(1), ...u16(1)]);
  const expectReason = (b: Uint8Array, reason: string) => {
    const r = parseDns(b, 0, b.length, 'udp');
    assert.equal(r.ok ? 'ok' : r.reason, reason);
  };
  expectReason(q([0xc0, 12]), 'name-pointer-forward'); // points at itself
  expectReason(q([1, 0x61, 0xc0, 12]), 'name-pointer-forward'); // loops back to its own start
  expectReason(q([0xc0, 200]), 'name-pointer-forward');
  expectReason(q([0x80, 1]), 'name-bad-label-type');
  expectReason(q(new Array<number>(5).fill(0).flatMap(() => [63, ...new Array<number>(63).fill(0x61)]).concat([0])), 'name-too-long');
  expectReason(Uint8Array.from([...header(1, 0, 200, 0), 0, 0, 1, 0, 1]), 'counts-exceed-length');
  expectReason(Uint8Array.from([1, 2, 3]), 'short-header');
  // a response whose answer points backwards into an earlier answer that points further back: fine
  const ok = Uint8Array.from([...header(2, 0x8180, 1, 2), ...name('a.b'), ...u16(1), ...u16(1), ...rr([1, 0x78, 0xc0, 12], 1, [1, 2, 3, 4]), ...rr([0xc0, 21], 1, [5, 6, 7, 8])]);
  const r = parseDns(ok, 0, ok.length, 'udp');
  assert.ok(r.ok);
  assert.deepEqual(r.value.answers.map((a) => a.name), ['x.a.b', 'x.a.b']);
  const full = sampleResponse();
  for (let n = 0; n < full.length; n++) parseDns(full, 0, n, 'udp'); // never throws
});

void test('IPv6 text follows RFC 5952', () => {
  const t = (hex: string) => ipv6Text(hexBytes(hex), 0);
  assert.equal(t('20010db8000000000000000000000001'), '2001:db8::1');
  assert.equal(t('00000000000000000000000000000001'), '::1');
  assert.equal(t('00000000000000000000000000000000'), '::');
  assert.equal(t('20010db8000100000001000100010001'), '2001:db8:1:0:1:1:1:1');
  assert.equal(t('20010db8000000010000000000000001'), '2001:db8:0:1::1');
  assert.equal(t('fe800000000000000000000000000000'), 'fe80::');
});

void test('DNS over TCP: two length-prefixed messages per direction, split at every byte', () => {
  const query = Uint8Array.from([...header(0xbeef, 0x0100, 1, 0), ...name('pool.minexmr.com'), ...u16(1), ...u16(1)]);
  const resp = sampleResponse();
  const framed = (m: Uint8Array) => [...u16(m.length), ...m];
  const toServer = Uint8Array.from([...framed(query), ...framed(query)]);
  const toClient = Uint8Array.from([...framed(resp), ...framed(resp)]);
  const runIt = (cuts: number[]) => {
    const s = recordingSink();
    const c = createDnsConsumer(s.sink);
    const f = fakeFlow(6, 40000, 53);
    assert.ok(c.accepts(f, 0, toServer));
    let prev = 0;
    for (const cut of [...cuts, toServer.length]) { assert.equal(c.onData(f, 0, toServer.subarray(prev, cut), 1), ConsumerVerdict.CONTINUE); prev = cut; }
    c.onData(f, 1, toClient, 2);
    c.onEnd?.(f);
    assert.equal(c.malformed.total(), 0);
    return comparable(s.messages);
  };
  const whole = runIt([]) as { kind: string; fields: ParsedDns }[];
  assert.deepEqual(whole.map((m) => m.kind), ['query', 'query', 'response', 'response']);
  assert.equal(whole[0].fields.transport, 'tcp');
  for (let cut = 1; cut < toServer.length; cut++) assert.deepEqual(runIt([cut]), whole, `cut ${cut}`);
  assert.deepEqual(runIt(Array.from({ length: toServer.length - 1 }, (_, i) => i + 1)), whole, 'byte by byte');
});

void test('accepts: port 53 always, other UDP ports only by content', () => {
  const c = createDnsConsumer(() => {});
  const resp = sampleResponse();
  assert.ok(c.accepts(fakeFlow(17, 5000, 53), 0, new Uint8Array(3)));
  assert.ok(c.accepts(fakeFlow(17, 5000, 5300), 1, resp));
  assert.ok(!c.accepts(fakeFlow(17, 5000, 5300), 0, Uint8Array.from(Buffer.from('M-SEARCH * HTTP/1.1\r\n\r\n'))));
  assert.ok(!c.accepts(fakeFlow(17, 5353, 5353), 0, resp));
  assert.ok(looksLikeDns(resp));
  assert.ok(c.accepts(fakeFlow(6, 5000, 8053), 1, Uint8Array.from([resp.length >> 8, resp.length & 0xff, ...resp])));
  assert.ok(!c.accepts(fakeFlow(6, 5000, 8053), 0, Uint8Array.from(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))));
});

void test('fast-check: random and mutated messages never throw; bounded output', () => {
  const base = sampleResponse();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
    const r = parseDns(b, 0, b.length, 'udp', { allSections: true });
    if (r.ok) assert.ok(r.value.answers.length <= 64 && r.value.questions.length <= 32);
  }), { numRuns: 3000 });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { maxLength: 8 }), (muts) => {
    const b = Uint8Array.from(base);
    for (const [i, v] of muts) b[i] = v;
    const r = parseDns(b, 0, b.length, 'udp', { allSections: true });
    if (r.ok) for (const a of r.value.answers) assert.ok(a.name.length <= 255 * 4 && a.data.length <= 1100);
  }), { numRuns: 3000 });
});

void test('every DNS message in the shared captures agrees with tshark (id, flags, question, records, addresses)', { skip: needSharedData() || needTshark() }, () => {
  let total = 0;
  let records = 0;
  const payloads: Uint8Array[] = [];
  for (const file of DNS_CAPTURES) {
    const rows = tsharkFields(sharedFile(file), 'dns && udp.port == 53 && !icmp', [
      'udp.payload', 'dns.id', 'dns.flags.response', 'dns.flags.rcode', 'dns.qry.name', 'dns.qry.type', 'dns.resp.name', 'dns.resp.type', 'dns.a', 'dns.aaaa', 'dns.cname',
    ], [], '\x1f');
    assert.ok(rows.length > 0, file);
    for (const [payload, id, resp, rcode, qname, qtype, respNames, respTypes, a, aaaa, cname] of rows) {
      const b = hexBytes(payload);
      payloads.push(b);
      const r = parseDns(b, 0, b.length, 'udp', { allSections: true });
      assert.ok(r.ok, `${file} id ${id}: ${r.ok ? '' : r.reason}`);
      const m = r.value;
      assert.equal(m.id, parseInt(id, 16));
      assert.equal(m.response, resp === '1' || resp === 'True');
      assert.equal(m.rcode, Number(rcode));
      assert.equal(m.qname, qname.split('\x1f')[0]);
      assert.equal(m.qtype, Number(qtype.split('\x1f')[0]));
      const all = [...m.answers, ...m.authorities, ...m.additionals];
      const types = respTypes ? respTypes.split('\x1f').map(Number) : [];
      const names = respNames ? respNames.split('\x1f') : [];
      assert.deepEqual(all.map((x) => x.name), names.filter((_, i) => types[i] !== 41), `${file} ${qname}`);
      const ofType = (t: number) => all.filter((x) => x.type === t).map((x) => x.data);
      assert.deepEqual(ofType(1), a ? a.split('\x1f') : []);
      assert.deepEqual(ofType(28), aaaa ? aaaa.split('\x1f') : []);
      assert.deepEqual(ofType(5), cname ? cname.split('\x1f') : []);
      records += all.length;
      total++;
    }
  }
  assert.ok(total >= 150, `compared ${total} messages, ${records} records`);
  console.log(`DNS: compared ${total} messages and ${records} records with tshark`);
  // throughput on the real messages, through the UDP consumer
  let n = 0;
  const c = createDnsConsumer(() => { n++; });
  const f = fakeFlow(17, 5000, 53);
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  for (let round = 0; round < 200; round++) for (const p of payloads) { c.onData(f, 0, p, 0); bytes += p.length; }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  assert.equal(n, payloads.length * 200);
  console.log(`DNS: ${(bytes / 1e6 / sec).toFixed(1)} MB/s, ${Math.round(n / sec)} messages/s`);
});
