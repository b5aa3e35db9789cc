import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPoolDnsDetector } from '../../src/detect/pool-dns.js';
import { createPoolTlsDetector, TLS_FINGERPRINT_KEY } from '../../src/detect/pool-tls.js';
import { createPoolHttpDetector } from '../../src/detect/pool-http.js';
import { DnsAnswerCache } from '../../src/detect/dns-answer-cache.js';
import type { HostIntel } from '../../src/events/intel.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, msg, recordingContext, sharedListIntel } from './fixtures.js';

const intel: HostIntel = {
  matchDomain: (n) => (n === 'pool.supportxmr.com' || n.endsWith('.supportxmr.com') ? { entry: 'supportxmr.com', list: 'test-pools', kind: 'pool', pool: 'supportxmr' } : n.endsWith('coinhive.com') ? { entry: 'coinhive.com', list: 'nocoin', kind: 'browser-miner' } : null),
  matchIp: () => null,
};

function dnsFields(qname: string, response: boolean, answers: { name: string; type: number; ttl: number; data: string }[] = []) {
  return { id: 1, response, rcode: 0, qname, qtype: 1, questions: [{ name: qname, type: 1 }], answers, transport: 'udp' };
}

void test('pool-dns: query for a listed pool alerts once per device and hour; answers fill the cache', () => {
  const cache = new DnsAnswerCache(4);
  const det = createPoolDnsDetector({ intel, dnsCache: cache });
  const ctx = recordingContext();
  const flow = fakeFlow({ proto: 17, serverPort: 53, serverIp: '192.168.1.1' });
  det.onMessage!(msg('dns', 'query', dnsFields('xmr.pool.supportxmr.com', false)), flow, ctx);
  det.onMessage!(msg('dns', 'response', dnsFields('xmr.pool.supportxmr.com', true, [{ name: 'xmr.pool.supportxmr.com', type: 1, ttl: 60, data: '198.51.100.7' }]), 1), flow, ctx);
  assert.equal(ctx.alerts.length, 1);
  const a = ctx.alerts[0].alert;
  assert.equal(a.signatureId, 9100100);
  assert.deepEqual(a.evidence.listed, { entry: 'supportxmr.com', list: 'test-pools', kind: 'pool', pool: 'supportxmr' });
  assert.equal(a.device?.ip, '192.168.1.10');
  assert.equal(cache.lookup('198.51.100.7')?.name, 'xmr.pool.supportxmr.com');
  // Same device, new DNS flow a minute later: not repeated. Another device: alerted.
  det.onMessage!(msg('dns', 'query', dnsFields('xmr.pool.supportxmr.com', false), 0, 1_700_000_060_000_000), fakeFlow({ proto: 17 }), ctx);
  assert.equal(ctx.alerts.length, 1);
  det.onMessage!(msg('dns', 'query', dnsFields('xmr.pool.supportxmr.com', false)), fakeFlow({ proto: 17, clientIp: '192.168.1.11', clientMac: '02:00:00:00:00:09' }), ctx);
  assert.equal(ctx.alerts.length, 2);
  // Ordinary names: nothing. Cache is bounded.
  for (let i = 0; i < 10; i++) det.onMessage!(msg('dns', 'response', dnsFields(`www${i}.example.org`, true, [{ name: `www${i}.example.org`, type: 1, ttl: 60, data: `10.0.0.${i}` }])), fakeFlow(), ctx);
  assert.equal(ctx.alerts.length, 2);
  assert.equal(cache.size, 4);
});

void test('pool-dns: a listed CNAME target behind an unlisted name alerts', () => {
  const det = createPoolDnsDetector({ intel });
  const ctx = recordingContext();
  det.onMessage!(msg('dns', 'response', dnsFields('innocent.example', true, [{ name: 'innocent.example', type: 5, ttl: 60, data: 'gulf.supportxmr.com' }]), 1), fakeFlow(), ctx);
  assert.equal(ctx.alerts.length, 1);
  assert.equal(ctx.alerts[0].alert.evidence.qname, 'gulf.supportxmr.com');
});

void test('pool-dns: real lists name the supportxmr lookups in the coinhive proxy capture', { skip: needSharedData() }, () => {
  const real = sharedListIntel(sharedFile);
  assert.equal(real.matchDomain('la01.supportxmr.com')?.kind, 'pool');
  assert.equal(real.matchDomain('authedmine.com')?.kind, 'browser-miner');
  assert.equal(real.matchDomain('www.example.com'), null);
  const det = createPoolDnsDetector({ intel: real });
  const ctx = recordingContext();
  det.onMessage!(msg('dns', 'query', dnsFields('la01.supportxmr.com', false)), fakeFlow({ proto: 17 }), ctx);
  assert.equal(ctx.alerts.length, 1);
  assert.equal(ctx.alerts[0].alert.evidence.qname, 'la01.supportxmr.com');
});

function hello(sni: string, ja3Hash = 'aaaa') {
  return { sni, alpn: ['http/1.1'], version: 0x303, supportedVersions: [], ciphers: [], extensions: [], groups: [], ecPointFormats: [], signatureAlgorithms: [], ja3: '', ja3Hash, ja4: 't13d' };
}

void test('pool-tls: SNI of a listed pool and of a browser miner; unlisted SNI is silent', () => {
  const det = createPoolTlsDetector({ intel });
  const ctx = recordingContext();
  const flow = fakeFlow({ serverPort: 443 });
  det.onMessage!(msg('tls', 'client_hello', hello('pool.supportxmr.com')), flow, ctx);
  det.onMessage!(msg('tls', 'client_hello', hello('pool.supportxmr.com')), flow, ctx);
  det.onMessage!(msg('tls', 'client_hello', hello('ws027.coinhive.com')), fakeFlow(), ctx);
  det.onMessage!(msg('tls', 'client_hello', hello('www.wikipedia.org')), fakeFlow(), ctx);
  assert.deepEqual(ctx.alerts.map((a) => a.alert.signatureId), [9100200, 9100201]);
  assert.equal(ctx.alerts[0].alert.evidence.sni, 'pool.supportxmr.com');
});

void test('pool-tls: the bfgminer JA3 (verified from the shared capture) is a low-severity weak indicator', () => {
  const det = createPoolTlsDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  const flow = fakeFlow({ serverPort: 3333 });
  det.onMessage!(msg('tls', 'client_hello', hello('us1.bitminter.com', 'ec2e8760003621ca668b5f03e616cd57')), flow, ctx);
  assert.equal(ctx.alerts.length, 1);
  assert.equal(ctx.alerts[0].alert.signatureId, 9100203);
  assert.equal(ctx.alerts[0].alert.severity, 3);
  assert.ok(flow.userData.get(TLS_FINGERPRINT_KEY));
});

void test('pool-tls: certificate names', () => {
  const det = createPoolTlsDetector({ intel });
  const ctx = recordingContext();
  det.onMessage!(msg('tls', 'certificate', { subjectCn: '*.coinhive.com', issuerCn: "Let's Encrypt", sans: [] }, 1), fakeFlow(), ctx);
  assert.equal(ctx.alerts[0]?.alert.signatureId, 9100202);
});

function req(uri: string, host: string, userAgent = 'Mozilla/5.0', headers: [string, string][] = []) {
  return { method: 'GET', uri, host, userAgent, version: 'HTTP/1.1', headers, body: new Uint8Array(0), websocketUpgrade: false };
}

void test('pool-http: listed host, miner downloads, miner user agents; articles about miners are silent', () => {
  const det = createPoolHttpDetector({ intel });
  const ctx = recordingContext();
  det.onMessage!(msg('http', 'request', req('/lib/coinhive.min.js', 'coinhive.com')), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'request', req('/xmrig/xmrig/releases/download/v6.21.0/xmrig-6.21.0-linux-static-x64.tar.gz', 'github.com', 'Wget/1.21')), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'request', req('/kdevtmpfsi', '194.38.20.199', 'curl/7.68')), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'request', req('/', 'pool.example:3333', 'cgminer 3.7.2', [['X-Mining-Extensions', 'longpoll midstate rollntime submitold']])), fakeFlow(), ctx);
  assert.deepEqual(ctx.alerts.map((a) => a.alert.signatureId), [9100301, 9100302, 9100302, 9100303]);
  assert.equal(ctx.alerts[1].alert.evidence.pattern, 'XMRig release archive');
  const quiet = recordingContext();
  det.onMessage!(msg('http', 'request', req('/blog/xmrig-review-2024', 'news.example')), fakeFlow(), quiet);
  det.onMessage!(msg('http', 'request', req('/index.html', 'www.example.org')), fakeFlow(), quiet);
  assert.equal(quiet.alerts.length, 0);
});
