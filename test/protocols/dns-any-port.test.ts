/**
 * Issue 15, class 1: unicast DNS on any port (5353 included: local resolvers and forwarders
 * listen there) and DNS over TCP on any port are DNS, recognised by content; multicast DNS
 * stays mDNS. Real traffic: dnsmasq on 127.0.0.1:5353 in a network namespace, queried by
 * dig over UDP and TCP, captured by dumpcap and analysed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/pipeline/analyze.js';
import { createDnsConsumer, hasMdnsClassBit, isMdnsFlow, looksLikeDns } from '../../src/protocols/dns.js';
import { createMdnsConsumer } from '../../src/protocols/mdns.js';
import { captureInNetns, netnsCaptureProblem } from '../../bench/lib/netns-capture.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, needTshark, tsharkFields } from './helpers.js';

const u16 = (v: number) => [v >> 8, v & 0xff];
function name(n: string): number[] {
  const out: number[] = [];
  for (const l of n.split('.').filter(Boolean)) out.push(l.length, ...Buffer.from(l));
  return [...out, 0];
}
function query(qname: string, cls = 1, flags = 0x0100, type = 1): Uint8Array {
  return Uint8Array.from([...u16(0x1234), ...u16(flags), ...u16(1), 0, 0, 0, 0, 0, 0, ...name(qname), ...u16(type), ...u16(cls)]);
}
function flowTo(serverIp: string, server4: number, clientPort: number, serverPort: number, ipVersion = 4) {
  return { ...fakeFlow(17, clientPort, serverPort), serverIp, server4, ipVersion };
}

void test('UDP 5353: unicast DNS to a resolver is DNS, multicast / mDNS-flagged / .local / 5353↔5353 is mDNS, never both', () => {
  const dns = createDnsConsumer(() => {});
  const mdns = createMdnsConsumer(() => {});
  const pool = query('pool.supportxmr.com');
  const cases: [string, ReturnType<typeof flowTo>, Uint8Array, 'dns' | 'mdns'][] = [
    ['unicast query from an ephemeral port', flowTo('127.0.0.1', 0x7f000001, 40000, 5353), pool, 'dns'],
    ['unicast query to a LAN forwarder', flowTo('192.168.1.1', 0xc0a80101, 51000, 5353), pool, 'dns'],
    ['multicast IPv4 destination', flowTo('224.0.0.251', 0xe00000fb, 40000, 5353), pool, 'mdns'],
    ['multicast IPv6 destination', flowTo('ff02::fb', 0, 40000, 5353, 6), pool, 'mdns'],
    ['both ends on 5353 (a responder)', flowTo('192.168.1.9', 0xc0a80109, 5353, 5353), pool, 'mdns'],
    ['QU bit in the question class', flowTo('192.168.1.9', 0xc0a80109, 40000, 5353), query('printer._ipp._tcp.example', 0x8001), 'mdns'],
    ['.local name', flowTo('192.168.1.9', 0xc0a80109, 40000, 5353), query('printer.local'), 'mdns'],
  ];
  for (const [what, flow, data, want] of cases) {
    assert.equal(isMdnsFlow(flow, data), want === 'mdns', what);
    assert.equal(mdns.accepts(flow, 0, data), want === 'mdns', `${what}: mdns`);
    assert.equal(dns.accepts(flow, 0, data), want === 'dns', `${what}: dns`);
  }
  assert.ok(hasMdnsClassBit(query('x.example', 0x8001)));
  assert.ok(!hasMdnsClassBit(pool));
});

void test('the content check is strict: reserved bit, question type 0 or an unknown class is not DNS', () => {
  assert.ok(looksLikeDns(query('pool.supportxmr.com')));
  assert.ok(!looksLikeDns(query('pool.supportxmr.com', 1, 0x0140)), 'Z bit set');
  assert.ok(!looksLikeDns(query('pool.supportxmr.com', 1, 0x0100, 0)), 'qtype 0');
  assert.ok(!looksLikeDns(query('pool.supportxmr.com', 0x1234)), 'class 0x1234');
  // a game/VoIP datagram that happens to have qdcount 1 and a parsable tail
  assert.ok(!looksLikeDns(Uint8Array.from([0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x41, 0, 0x77, 0x77, 0x12, 0x34])));
});

void test('fast-check: the content checks never throw on random or mutated datagrams, and mDNS and DNS never both claim one', () => {
  const dns = createDnsConsumer(() => {});
  const mdns = createMdnsConsumer(() => {});
  const base = Array.from(query('pool.supportxmr.com'));
  const mutated = fc.tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(base.length)).map(([edits, cut]) => {
    const b = base.slice(0, Math.max(cut, 12));
    for (const [i, v] of edits) if (i < b.length) b[i] = v;
    return Uint8Array.from(b);
  });
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated), fc.constantFrom(5353, 5300, 53), fc.constantFrom(0x7f000001, 0xe00000fb), (data, port, server4) => {
    const flow = { ...fakeFlow(17, 40000, port), server4 };
    looksLikeDns(data);
    hasMdnsClassBit(data);
    assert.ok(!(isMdnsFlow(flow, data) && dns.accepts(flow, 0, data) && port === 5353));
    assert.ok(!(mdns.accepts(flow, 0, data) && dns.accepts(flow, 0, data)));
  }), { numRuns: 3000 });
});

void test('mDNS in the shared captures stays mDNS in the pipeline (every tshark mdns packet, no DNS message from 5353)', { skip: needSharedData() || needTshark() }, async () => {
  for (const f of ['benign/mdns-ipp-queries.pcap', 'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap', 'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap']) {
    const want = tsharkFields(sharedFile(f), 'mdns', ['frame.number']).length;
    const dns53 = tsharkFields(sharedFile(f), 'dns && !mdns', ['frame.number']).length;
    const { summary } = await analyze({ inputs: [sharedFile(f)], workers: 1, progress: false });
    const got = (summary.protocols['mdns.query'] ?? 0) + (summary.protocols['mdns.response'] ?? 0);
    const gotDns = (summary.protocols['dns.query'] ?? 0) + (summary.protocols['dns.response'] ?? 0);
    assert.ok(want > 0, f);
    assert.equal(got, want, `${f}: mDNS messages`);
    assert.equal(gotDns, dns53, `${f}: DNS messages (port 53 only)`);
  }
});

const netnsSkip = (): false | string => {
  const p = netnsCaptureProblem(['dnsmasq', 'dig']);
  if (!p) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and the DNS capture test ${p}`);
  console.error(`\n*** SKIPPING: the DNS capture test ${p} ***\n`);
  return p;
};

void test('real dnsmasq on 127.0.0.1:5353 queried by dig over UDP and TCP: both pool lookups raise pool-dns', { skip: netnsSkip(), timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-dns5353-'));
  const pcap = join(dir, 'dns5353.pcap');
  try {
    await captureInNetns(pcap, async (r) => {
      r.start('dnsmasq', ['--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', '--listen-address=127.0.0.1', '--port=5353',
        '--address=/pool.supportxmr.com/127.0.0.2', '--address=/xmr-eu1.nanopool.org/127.0.0.3', '--address=/www.example.org/127.0.0.4']);
      // dnsmasq answers once it has bound
      let answer = '';
      for (let i = 0; i < 50 && answer.trim() === ''; i++) {
        answer = await r.run('dig', ['@127.0.0.1', '-p', '5353', '+short', '+tries=1', '+time=1', 'www.example.org']).catch(() => '');
      }
      assert.equal(answer.trim(), '127.0.0.4');
      assert.equal((await r.run('dig', ['@127.0.0.1', '-p', '5353', '+short', 'pool.supportxmr.com'])).trim(), '127.0.0.2');
      assert.equal((await r.run('dig', ['@127.0.0.1', '-p', '5353', '+short', '+tcp', 'xmr-eu1.nanopool.org'])).trim(), '127.0.0.3');
    });
    const { summary, alerts } = await analyze({ inputs: [pcap], workers: 1, progress: false, keepAlerts: 1000 });
    const hits = (alerts as unknown as { dest_port?: number; proto?: string; minewatch: { detector: string; evidence: { qname: string; response: boolean; answers?: string[] } } }[])
      .filter((a) => a.minewatch.detector === 'pool-dns');
    assert.deepEqual(hits.map((a) => a.minewatch.evidence.qname).sort(), ['pool.supportxmr.com', 'xmr-eu1.nanopool.org']);
    const tcp = hits.find((a) => a.minewatch.evidence.qname === 'xmr-eu1.nanopool.org');
    assert.equal(tcp?.proto, 'TCP');
    assert.equal(tcp?.dest_port, 5353);
    // every query and answer parsed as DNS (3 lookups; dig retries none), none as mDNS
    assert.ok((summary.protocols['dns.query'] ?? 0) >= 3 && (summary.protocols['dns.response'] ?? 0) >= 3, JSON.stringify(summary.protocols));
    assert.equal(summary.protocols['mdns.query'] ?? 0, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
