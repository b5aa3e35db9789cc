/**
 * EVE dns, tls, http and stats events (--eve-types): field names and values as Suricata 7
 * writes them (its documented eve.json examples), valid against our schemas, and on shared
 * captures the same counts and values tshark reads from the packets (DNS queries and
 * answers, TLS SNIs, HTTP requests), read back with jq as a Suricata pipeline would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EveEvent } from '../../src/events/eve.js';
import { ProtocolEvents } from '../../src/pipeline/eve-protocols.js';
import { sumStats } from '../../src/pipeline/eve-stats.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { MemorySink } from '../../src/pipeline/eve-writer.js';
import type { EveTypeId } from '../../src/events/eve-format.js';
import { fakeFlow, msg } from '../detect/fixtures.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

type Ev = Record<string, unknown> & { event_type: string };

function writer(types: EveTypeId[]): { pe: ProtocolEvents; out: Ev[]; emit: (e: Record<string, unknown>) => void } {
  const out: Ev[] = [];
  return { pe: new ProtocolEvents({ types: new Set(types) }), out, emit: (e) => out.push(e as Ev) };
}

test('dns: a query and its answer as Suricata 7 writes them (version 2: detailed and grouped)', () => {
  const { pe, out, emit } = writer(['dns']);
  const flow = fakeFlow({ proto: 17, clientPort: 53001, serverPort: 53 });
  pe.onMessage(flow, msg('dns', 'query', { id: 0, flags: 0x0100, qname: 'www.suricata.io', qtype: 1, questions: [{ name: 'www.suricata.io', type: 1 }] }), emit);
  pe.onMessage(flow, msg('dns', 'response', {
    id: 0, response: true, flags: 0x8180, rcode: 0, qname: 'www.suricata.io', qtype: 1, questions: [{ name: 'www.suricata.io', type: 1 }],
    answers: [{ name: 'www.suricata.io', type: 5, ttl: 3597, data: 'suricata.io' }, { name: 'suricata.io', type: 1, ttl: 597, data: '35.212.0.44' }],
  }, 1), emit);
  assert.equal(out.length, 2);
  // Suricata 7's documented records (userguide, "DNS logging changes for 8.0", the 7.0 column)
  assert.deepEqual(out[0].dns, { type: 'query', id: 0, rrname: 'www.suricata.io', rrtype: 'A', opcode: 0 });
  assert.deepEqual(out[1].dns, {
    version: 2, type: 'answer', id: 0, flags: '8180', qr: true, rd: true, ra: true, opcode: 0, rrname: 'www.suricata.io', rrtype: 'A', rcode: 'NOERROR',
    answers: [{ rrname: 'www.suricata.io', rrtype: 'CNAME', ttl: 3597, rdata: 'suricata.io' }, { rrname: 'suricata.io', rrtype: 'A', ttl: 597, rdata: '35.212.0.44' }],
    grouped: { CNAME: ['suricata.io'], A: ['35.212.0.44'] },
  });
  // the tuple is the flow's, the client first, in both (Suricata 7)
  for (const e of out) {
    assert.equal(e.src_ip, flow.clientIp);
    assert.equal(e.dest_port, 53);
    assert.equal(e.flow_id, flow.id);
    assert.equal(e.proto, 'UDP');
    assert.equal(EveEvent.safeParse(e).success, true, JSON.stringify(EveEvent.safeParse(e).error?.issues));
  }
  // an NXDOMAIN without answers: no answers or grouped key; a multi-question query: one event per question
  pe.onMessage(flow, msg('dns', 'response', { id: 7, response: true, flags: 0x8183, rcode: 3, qname: 'no.example', qtype: 28, questions: [{ name: 'no.example', type: 28 }] }, 1), emit);
  assert.deepEqual(out[2].dns, { version: 2, type: 'answer', id: 7, flags: '8183', qr: true, rd: true, ra: true, opcode: 0, rrname: 'no.example', rrtype: 'AAAA', rcode: 'NXDOMAIN' });
  pe.onMessage(flow, msg('dns', 'query', { id: 9, questions: [{ name: 'a.example', type: 1 }, { name: 'b.example', type: 65 }] }), emit);
  assert.deepEqual(out.slice(3).map((e) => (e.dns as { rrname: string; rrtype: string })).map((d) => `${d.rrname}/${d.rrtype}`), ['a.example/A', 'b.example/HTTPS']);
});

test('tls: one event per flow when the handshake is done, with sni, version, ja3, ja3s, ja4, subject and issuer', () => {
  const { pe, out, emit } = writer(['tls']);
  const flow = fakeFlow({ serverPort: 443 });
  pe.onMessage(flow, msg('tls', 'client_hello', { sni: 'pool.example', version: 0x0303, ja3: '771,4865,0-43,29,0', ja3Hash: 'aa'.repeat(16), ja4: 't13d0101h2_aaaaaaaaaaaa_bbbbbbbbbbbb' }), emit);
  pe.onMessage(flow, msg('tls', 'server_hello', { version: 0x0303, selectedVersion: 0x0304, ja3s: '771,4865,43', ja3sHash: 'bb'.repeat(16) }, 1), emit);
  pe.onMessage(flow, msg('tls', 'certificate', { subjectCn: 'pool.example', issuerCn: 'Test CA' }, 1), emit);
  assert.equal(out.length, 0, 'nothing before the handshake ends');
  pe.onMessage(flow, msg('tls', 'handshake_done', {}), emit);
  pe.onMessage(flow, msg('tls', 'handshake_done', {}), emit);
  pe.onFlowEnd(flow, 1_700_000_001_000_000, emit);
  assert.equal(out.length, 1, 'one event per flow');
  assert.deepEqual(out[0].tls, {
    subject: 'CN=pool.example', issuerdn: 'CN=Test CA', sni: 'pool.example', version: 'TLS 1.3',
    ja3: { hash: 'aa'.repeat(16), string: '771,4865,0-43,29,0' }, ja3s: { hash: 'bb'.repeat(16), string: '771,4865,43' }, ja4: 't13d0101h2_aaaaaaaaaaaa_bbbbbbbbbbbb',
  });
  assert.equal(EveEvent.safeParse(out[0]).success, true);
  // a handshake cut short (XMRig with no SNI, refused): written when the flow ends, TLS 1.2 named as Suricata does
  const cut = fakeFlow({ serverPort: 443 });
  pe.onMessage(cut, msg('tls', 'client_hello', { version: 0x0303, ja3: 'x', ja3Hash: 'cc'.repeat(16), ja4: 't12' }), emit);
  pe.onMessage(cut, msg('tls', 'server_hello', { version: 0x0303 }, 1), emit);
  pe.onFlowEnd(cut, 1_700_000_002_000_000, emit);
  assert.equal(out.length, 2);
  assert.equal(out[1].timestamp, '2023-11-14T22:13:22.000000+0000');
  assert.deepEqual(out[1].tls, { version: 'TLS 1.2', ja3: { hash: 'cc'.repeat(16), string: 'x' }, ja4: 't12' });
  assert.equal(pe.pendingFlows, 0, 'nothing kept after the flows ended');
});

test('http: one event per transaction, the request paired with its response; unanswered ones at flow end', () => {
  const { pe, out, emit } = writer(['http']);
  const flow = fakeFlow({ serverPort: 8080 });
  pe.onMessage(flow, msg('http', 'request', { method: 'POST', uri: '/a', host: 'api.example:8080', userAgent: 'curl/8.5.0', version: 'HTTP/1.1' }), emit);
  pe.onMessage(flow, msg('http', 'request', { method: 'GET', uri: '/b', host: 'api.example', version: 'HTTP/1.1' }), emit);
  pe.onMessage(flow, msg('http', 'response', { status: 201, contentType: 'application/json', bodyLength: 17, requestMethod: 'POST', requestUri: '/a' }, 1), emit);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0].http, {
    hostname: 'api.example', http_port: 8080, url: '/a', http_user_agent: 'curl/8.5.0', http_content_type: 'application/json',
    http_method: 'POST', protocol: 'HTTP/1.1', status: 201, length: 17,
  });
  pe.onFlowEnd(flow, 1_700_000_001_000_000, emit);
  assert.equal(out.length, 2);
  assert.deepEqual(out[1].http, { hostname: 'api.example', url: '/b', http_method: 'GET', protocol: 'HTTP/1.1', length: 0 });
  for (const e of out) assert.equal(EveEvent.safeParse(e).success, true);
  // websocket messages and other protocols write nothing; types not chosen write nothing
  const only = writer(['dns']);
  only.pe.onMessage(flow, msg('http', 'request', { host: 'x' }), only.emit);
  only.pe.onMessage(flow, msg('tls', 'handshake_done', {}), only.emit);
  assert.equal(only.out.length, 0);
});

test('stats bodies of partitions add up (uptime is one clock)', () => {
  const a = { uptime: 8, capture: { kernel_packets: 10, kernel_drops: 0 }, app_layer: { flow: { dns: 2 } } };
  const b = { uptime: 8, capture: { kernel_packets: 5, kernel_drops: 1 }, app_layer: { flow: { dns: 1, tls: 4 } } };
  assert.deepEqual(sumStats(sumStats({}, a), b), { uptime: 8, capture: { kernel_packets: 15, kernel_drops: 1 }, app_layer: { flow: { dns: 3, tls: 4 } } });
});

function tshark(file: string, filter: string, fields: string[]): string[] {
  const text = execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return text.split('\n').filter((l) => l !== '');
}

function haveTools(): false | string {
  const data = needSharedData();
  if (data) return data;
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    execFileSync('jq', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    const m = 'tshark or jq not installed';
    if (process.env.CI === 'true') throw new Error(`CI=true and ${m}`);
    console.error(`\n*** SKIPPING: ${m} ***\n`);
    return m;
  }
}

function jq(file: string, program: string): string[] {
  return execFileSync('jq', ['-r', program, file], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}

const sorted = (xs: string[]) => [...xs].sort();

const CAPTURES = [
  'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap',
  'benign/android-alexa-app.pcapng',
  'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap',
  'browser-miner/authedmine-browser-tls-websocket.pcap',
  'mining/eth-getwork-over-http-80.pcapng',
];

test('shared captures: DNS queries and answers, TLS SNIs and HTTP requests equal what tshark reads; jq reads them as Suricata\'s', { skip: haveTools() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-eve-types-'));
  try {
    for (const rel of CAPTURES) {
      const file = sharedFile(rel);
      const eve = join(dir, 'eve.json');
      await analyze({ inputs: [file], workers: 1, progress: false, eve, eveTypes: ['dns', 'tls', 'http', 'flow', 'alert'] });
      const events = readFileSync(eve, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
      for (const e of events) {
        const r = EveEvent.safeParse(e);
        assert.equal(r.success, true, `${rel}: ${e.event_type}: ${JSON.stringify(r.error?.issues.slice(0, 2))}`);
      }
      // DNS (not mDNS): one query event per question, one answer event per response
      const questions = tshark(file, 'dns.flags.response == 0 && !mdns', ['dns.qry.name']).flatMap((l) => l.split(','));
      const responses = tshark(file, 'dns.flags.response == 1 && !mdns', ['dns.id']);
      assert.deepEqual(sorted(jq(eve, 'select(.event_type=="dns" and .dns.type=="query") | .dns.rrname')), sorted(questions), `${rel}: DNS questions`);
      assert.equal(jq(eve, 'select(.event_type=="dns" and .dns.type=="answer") | .dns.id').length, responses.length, `${rel}: DNS answers`);
      // the A records of the answers, read through the grouped form
      const a = tshark(file, 'dns.flags.response == 1 && !mdns && dns.a', ['dns.a']).flatMap((l) => l.split(','));
      assert.deepEqual(sorted(jq(eve, 'select(.event_type=="dns" and .dns.type=="answer") | .dns.grouped.A[]?')), sorted(a), `${rel}: A records`);
      // TLS: one event per handshake, the SNIs tshark reads from the ClientHellos
      const snis = tshark(file, 'tls.handshake.type == 1 && tls.handshake.extensions_server_name', ['tls.handshake.extensions_server_name']);
      assert.deepEqual(sorted(jq(eve, 'select(.event_type=="tls") | .tls.sni // empty')), sorted(snis), `${rel}: TLS SNIs`);
      const hellos = tshark(file, 'tls.handshake.type == 1', ['tcp.stream']);
      assert.equal(jq(eve, 'select(.event_type=="tls") | .flow_id').length, new Set(hellos).size, `${rel}: one tls event per handshake`);
      // HTTP over TCP: one event per request, same hosts, methods, URIs and user agents
      const reqs = tshark(file, 'http.request && tcp', ['http.host', 'http.request.method', 'http.request.uri', 'http.user_agent']).map((l) => l.replace(/:\d+\t/, '\t'));
      const ours = jq(eve, 'select(.event_type=="http") | [.http.hostname // "", .http.http_method, .http.url, .http.http_user_agent // ""] | join("\\t")');
      assert.deepEqual(sorted(ours), sorted(reqs), `${rel}: HTTP requests`);
      // answered requests carry the status tshark reads from the responses
      const statuses = tshark(file, 'http.response && tcp', ['http.response.code']);
      assert.deepEqual(sorted(jq(eve, 'select(.event_type=="http" and .http.status != null) | .http.status | tostring')), sorted(statuses), `${rel}: HTTP statuses`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('default event types are flow and alert: no protocol or stats events unless asked', { skip: needSharedData() }, async () => {
  const sink = new MemorySink();
  await analyze({ inputs: [sharedFile('benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap')], workers: 1, progress: false, sink });
  const types = new Set(sink.events.map((e) => e.event_type));
  assert.deepEqual([...types], ['flow']);
});

test('stats: Suricata counters every 8 s of packet time and at the end; 2 workers add up to what 1 worker counts', { skip: needSharedData() }, async () => {
  const file = sharedFile('benign/android-alexa-app.pcapng');
  const run = async (workers: number) => {
    const sink = new MemorySink();
    const r = await analyze({ inputs: [file], workers, progress: false, sink, eveTypes: ['stats'] });
    return { summary: r.summary, stats: sink.events.filter((e) => e.event_type === 'stats') as (Ev & { stats: Record<string, Record<string, number>> })[], all: sink.events };
  };
  const one = await run(1);
  const two = await run(2);
  assert.equal(two.summary.workers, 2);
  assert.ok(one.stats.length >= 2, `periodic stats (got ${one.stats.length})`);
  assert.deepEqual(new Set(one.all.map((e) => e.event_type)), new Set(['stats']), 'only the chosen type');
  for (const e of one.stats) assert.equal(EveEvent.safeParse(e).success, true);
  const last = one.stats.at(-1)!.stats;
  assert.equal(last.decoder.pkts, one.summary.packets);
  assert.equal(last.capture.kernel_packets, one.summary.packets);
  assert.equal(last.decoder.bytes, one.summary.bytes);
  assert.equal(last.flow.total, one.summary.flows);
  assert.equal(last.flow.tcp + last.flow.udp + last.flow.icmpv4 + last.flow.icmpv6 <= last.flow.total, true);
  const appFlows = (last.app_layer as unknown as { flow: Record<string, number> }).flow;
  assert.ok(appFlows.tls > 0 && appFlows.dns > 0, JSON.stringify(appFlows));
  assert.equal(last.decoder.ipv4 + last.decoder.ipv6 <= last.decoder.pkts, true);
  // timestamps at multiples of 8 s (but the last), counters never going down
  for (const e of one.stats.slice(0, -1)) assert.equal(Date.parse(`${String(e.timestamp).slice(0, 23)}Z`) % 8000, 0, String(e.timestamp));
  for (let i = 1; i < one.stats.length; i++) assert.ok(one.stats[i].stats.decoder.pkts >= one.stats[i - 1].stats.decoder.pkts);
  // the two-worker run writes the same records: its partitions' stats summed
  assert.deepEqual(two.stats.map((e) => e.timestamp), one.stats.map((e) => e.timestamp));
  assert.deepEqual(two.stats.map((e) => e.stats), one.stats.map((e) => e.stats));
});

test('pending TLS and HTTP state stays bounded: flows that never end, requests never answered', () => {
  const { pe, out, emit } = writer(['tls', 'http']);
  const hello = msg('tls', 'client_hello', { sni: 'a.example', ja3Hash: 'dd'.repeat(16), ja3: 'x' });
  for (let i = 0; i < 70_000; i++) pe.onMessage(fakeFlow({ serverPort: 443 }), hello, emit);
  assert.equal(pe.pendingFlows, 65_536, 'at most 65 536 handshakes pending');
  // the ones pushed out were written, each with its own flow's id
  const early = out.filter((e) => e.event_type === 'tls');
  assert.equal(early.length, 70_000 - 65_536);
  assert.equal(new Set(early.map((e) => e.flow_id)).size, early.length);
  out.length = 0;
  const flow = fakeFlow({ serverPort: 80 });
  for (let i = 0; i < 20; i++) pe.onMessage(flow, msg('http', 'request', { uri: `/${i}`, host: 'h.example' }), emit);
  // beyond 16 unanswered requests the oldest are written without a response
  assert.deepEqual(out.filter((e) => e.event_type === 'http').map((e) => (e.http as { url: string }).url), ['/0', '/1', '/2', '/3']);
  pe.onFlowEnd(flow, 1_700_000_001_000_000, emit);
  assert.equal(out.filter((e) => e.event_type === 'http').length, 20, 'every request written once');
});

test('sensor --eve-types (command line or config file): protocol events in EVE, Suricata counters in the sensor\'s stats event', { skip: needSharedData(), timeout: 120_000 }, async () => {
  const main = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
  const dir = mkdtempSync(join(tmpdir(), 'mw-sensor-types-'));
  try {
    const eve = join(dir, 'eve.json');
    const cfg = join(dir, 'sensor.json');
    writeFileSync(cfg, JSON.stringify({ read: [sharedFile('benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap')], db: `sqlite:${join(dir, 's.db')}`, eve, eveTypes: 'dns,tls,stats,alert' }));
    await promisify(execFile)(process.execPath, [main, 'sensor', '--config', cfg]);
    const events = readFileSync(eve, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev & { stats?: Record<string, Record<string, number>> });
    const count = (t: string) => events.filter((e) => e.event_type === t).length;
    assert.equal(count('flow'), 0, 'flow not chosen');
    assert.equal(count('http'), 0, 'http not chosen');
    assert.equal(count('dns'), 38);
    assert.equal(count('tls'), 14);
    const stats = events.filter((e) => e.event_type === 'stats').at(-1)!.stats!;
    assert.equal(stats.decoder.pkts, 500, 'Suricata counters');
    assert.equal(typeof stats.packets, 'number', 'beside the health fields');
    // a bad type is a usage error
    writeFileSync(cfg, JSON.stringify({ read: [sharedFile('benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap')], eveTypes: 'dns,smb' }));
    await assert.rejects(promisify(execFile)(process.execPath, [main, 'sensor', '--config', cfg]), (e: { code: number; stderr: string }) => e.code === 2 && /--eve-types: unknown "smb"/.test(e.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
