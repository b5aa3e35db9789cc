/**
 * Detector `browser-miner`: in-browser mining delivered in web pages — Coinhive and its
 * successors (AuthedMine, CryptoLoot, CoinIMP, WebMinePool, JSEcoin, Minero, deepMiner …).
 *
 * Looks at (all from the HTTP parser, bodies already de-chunked and decompressed):
 * - response bodies (HTML/JS): miner script URLs, `new CoinHive.Anonymous(` style
 *   constructors with `.start()`, CryptoNight WebAssembly, and any <script src> whose host
 *   HostIntel lists as a browser miner or pool;
 * - WebSocket upgrades to miner proxies (listed host, or a known proxy path);
 * - WebSocket frames carrying mining jobs/shares (Coinhive's {"type":"job"/"submit"} or
 *   Stratum's login/job/submit relayed over a WebSocket).
 *
 * In-transit injection (the MikroTik CVE-2018-14847 campaign rewrote every page passing
 * through the router): the evidence says where in the page the script sits (before <html>
 * or after </html> is typical of a proxy splicing it in), and when the same miner site key
 * appears in pages of 3 or more unrelated web sites seen by the sensor, signature 5 says so:
 * one key across unrelated sites means the network path, not the sites, added it.
 *
 * Signatures (9100400+): 0 miner script/constructor in page, 1 script from listed host,
 * 2 miner WebAssembly/worker code, 3 WebSocket to miner proxy, 4 WebSocket mining frames,
 * 5 same site key across unrelated sites.
 */
import type { DetectorOf, DetectorContext, ProtocolMessage } from '../events/detector.js';
import type { FlowView } from '../events/flow.js';
import type { HostIntel } from '../events/intel.js';
import type { HttpResponseFields } from '../events/messages.js';
import { Category, LruMap, SidBase, clip, deviceOf, firstInFlow, hostOnly, urlHost } from './common.js';
import { describeKind, matchEvidence } from './pool-dns.js';
import type { AcSink } from '../match/aho-corasick.js';
import { MultiPatternMatcher } from '../match/multi-pattern.js';

export const BROWSER_MINER_DETECTOR = 'browser-miner';
const SID = SidBase['browser-miner'];
const SNIPPET = 120;
/** Bodies larger than this are scanned only in their first part (pages put scripts early). */
const MAX_SCAN = 512 * 1024;
const INJECTION_SITES = 3;
const HOST_KEY = 'detect.browser-miner.host';

/**
 * A miner signature: `re` decides and reports; `anchors` are literals (lowercase, compared
 * case-insensitively) of which every match of `re` contains at least one, so a page with
 * none of them is skipped without running any expression (a property test checks this
 * against strings generated from each expression).
 */
interface Pattern { name: string; re: RegExp; offset: 0 | 2; anchors: readonly string[] }

/** Miner constructors (`new CoinHive.Anonymous(`): case-sensitive, as the libraries spell them. */
const CTOR_CLASSES = ['CoinHive', 'CRLT', 'CryptoLoot', 'WMP', 'Client', 'CoinImp', 'Minero', 'deepMiner', 'CH', 'JSE'];
const CTOR_METHODS = ['Anonymous', 'User', 'Token', 'Init'];
/**
 * Every constructor call holds "<last letter of a class>.<method>": six or more bytes, long
 * enough for the skip-ahead search, where ".User" alone would force a byte-by-byte one.
 */
const CTOR_ANCHORS = [...new Set(CTOR_CLASSES.map((c) => c.slice(-1).toLowerCase()))].flatMap((last) => CTOR_METHODS.map((m) => `${last}.${m.toLowerCase()}`));

/** Script URLs and code of known browser miners. */
export const PAGE_PATTERNS: readonly Pattern[] = [
  { name: 'Coinhive/AuthedMine script', re: /(?:coinhive|coin-hive|authedmine)\.com\/lib\/[a-z0-9._-]*\.js|\/coinhive(?:\.min)?\.js/i, offset: 0, anchors: ['coinhive', 'coin-hive', 'authedmine'] },
  { name: 'CryptoLoot script', re: /crypto-loot\.(?:com|org)\/lib\/|cryptoloot\.pro\/|\/crlt\.js|\/cryptoloot(?:\.min)?\.js/i, offset: 0, anchors: ['crypto-loot', 'cryptoloot', '/crlt.js'] },
  { name: 'CoinIMP script', re: /coinimp\.(?:com|net)\/scripts\/|www\.hostingcloud\.racing\/|\/webmr(?:4|_by)?\.js/i, offset: 0, anchors: ['coinimp', 'hostingcloud', '/webmr'] },
  { name: 'WebMinePool script', re: /webminepool\.com\/lib\/|\/webmine(?:pool)?(?:\.min)?\.js/i, offset: 0, anchors: ['webminepool', '/webmine'] },
  { name: 'JSEcoin script', re: /load\.jsecoin\.com\/load\/|jsecoin\.com\/server\//i, offset: 0, anchors: ['jsecoin'] },
  { name: 'Minero/deepMiner/other miner script', re: /minero\.cc\/lib\/|\/deepMiner(?:\.min)?\.js|ppoi\.org\/lib\/|coinhave\.com\/lib\/|monerise\.com\/|minemytraffic\.com\/|papoto\.com\/lib\//i, offset: 0, anchors: ['minero', 'deepminer', 'ppoi.org', 'coinhave', 'monerise', 'minemytraffic', 'papoto'] },
  { name: 'miner constructor', re: new RegExp(`new\\s+(?:${CTOR_CLASSES.join('|')})\\.(?:${CTOR_METHODS.join('|')})\\s*\\(`), offset: 0, anchors: CTOR_ANCHORS },
  { name: 'CryptoNight WebAssembly', re: /cryptonight(?:[._-]?(?:asmjs|wasm))?(?:\.min)?\.(?:js|wasm)\b|CryptonightWASMWrapper|_cryptonight_hash|cryptonight_create/i, offset: 2, anchors: ['cryptonight'] },
];

/**
 * The anchors of every pattern in one multi-pattern search over the page bytes: benign
 * pages, nearly all of them, cost one skip-ahead pass (measured on the 1 GB mixed capture's
 * 3.1 MB of HTML and script: 3.9 ms, against 11 ms for one case-insensitive alternation of
 * all the expressions), and no expression runs on them.
 */
const ANCHORS = new MultiPatternMatcher(PAGE_PATTERNS.flatMap((p) => p.anchors).map((a) => ({ bytes: Buffer.from(a, 'latin1'), nocase: true })));

/** Stops the search at the first anchor found. */
class FirstHit implements AcSink {
  found = false;
  onMatch(): boolean {
    this.found = true;
    return false;
  }
}
const firstHit = new FirstHit();

/** Content types whose bodies can carry a miner (pages, scripts, JSON); '' = not declared. */
export function readsResponseBody(contentType: string): boolean {
  return contentType === '' || /html|javascript|ecmascript|text\/plain|json/i.test(contentType);
}

/** Does the page hold any pattern's anchor (so some pattern may match)? */
export function mayHoldMiner(body: Uint8Array, end = body.length): boolean {
  firstHit.found = false;
  ANCHORS.scan(body, 0, end, firstHit);
  return firstHit.found;
}
const START_CALL = /\.start\s*\(/;
const SITE_KEY = /\.(?:Anonymous|User|Token)\s*\(\s*['"]([A-Za-z0-9_-]{8,64})['"]/;
const SCRIPT_SRC = /<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi;
/** WebSocket paths of miner proxies (NoCoin's `wss://*.coinhive.com/proxy*` and friends). */
const PROXY_PATH = /^\/(?:proxy\d*|mineproxy|ws\/?miner|cn|socket\/?miner)(?:[/?]|$)/i;
const PROXY_HOST = /(?:^|\.)(?:coinhive\.com|coin-hive\.com|authedmine\.com|crypto-loot\.(?:com|org)|cryptoloot\.pro|webminepool\.com|coinimp\.com|hostingcloud\.racing|jsecoin\.com|minero\.cc)$/i;
/** Mining job/share JSON in a WebSocket text frame. */
const WS_MINING = /"type"\s*:\s*"(?:job|submit|auth|hash_accepted|authed)"|"method"\s*:\s*"(?:login|job|submit|mining\.(?:subscribe|notify|submit))"/;


function placementOf(page: string, at: number): string {
  const html = page.search(/<html[\s>]/i);
  if (html > at) return 'before <html> (typical of in-transit injection)';
  const end = page.search(/<\/html>/i);
  if (end >= 0 && at > end) return 'after </html> (typical of in-transit injection)';
  const body = page.search(/<body[\s>]/i);
  if (body < 0 || at < body) return 'in <head>';
  return 'in <body>';
}

export function createBrowserMinerDetector(opts: { intel: HostIntel }): DetectorOf<'http'> {
  const { intel } = opts;
  /** site key → hosts whose pages carried it (bounded). */
  const keySites = new LruMap<string, Set<string>>(5000);

  function emit(flow: FlowView, ctx: DetectorContext, offset: number, severity: 1 | 2 | 3, signature: string, evidence: Record<string, unknown>, dedup = String(offset)): void {
    if (!firstInFlow(flow, BROWSER_MINER_DETECTOR, dedup)) return;
    ctx.emit(flow, {
      detector: BROWSER_MINER_DETECTOR, signatureId: SID + offset, signature, category: Category.MINING, severity, evidence,
      // The browser is the flow's client: it receives the page and runs the miner.
      device: deviceOf(flow, 0), appProto: 'http', dedupKey: `${BROWSER_MINER_DETECTOR}:${dedup}`,
    });
  }

  function scanPage(flow: FlowView, r: HttpResponseFields, ctx: DetectorContext): void {
    const body = r.body;
    if (!(body instanceof Uint8Array) || body.length < 16) return;
    const ct = (r.contentType ?? '').toLowerCase();
    if (!readsResponseBody(ct)) return;
    const scanned = Math.min(body.length, MAX_SCAN);
    const page = Buffer.from(body.buffer, body.byteOffset, scanned).toString('latin1');
    const site = (flow.userData.get(HOST_KEY) as string | undefined) ?? '';
    const snippetAt = (i: number) => clip(page.slice(Math.max(0, i - 40), i + SNIPPET).replace(/\s+/g, ' '), 240);
    if (mayHoldMiner(body, scanned)) for (const p of PAGE_PATTERNS) {
      const m = p.re.exec(page);
      if (!m) continue;
      const at = m.index;
      const started = START_CALL.test(page.slice(at, at + 2000));
      const key = SITE_KEY.exec(page.slice(Math.max(0, at - 200), at + 600))?.[1] ?? SITE_KEY.exec(page)?.[1] ?? '';
      emit(flow, ctx, p.offset, 1, `MINEWATCH COINMINER in-browser miner in web page (${p.name})${site ? ` from ${site}` : ''}`, {
        pattern: p.name, match: clip(m[0], 120), offset: at, snippet: snippetAt(at), placement: placementOf(page, at),
        started, ...(key ? { siteKey: key } : {}), ...(site ? { site } : {}), contentType: ct, bodyTruncated: r.bodyTruncated,
      });
      if (key && site) noteKey(flow, ctx, key, site, at, page);
      break;
    }
    // Any script whose host the lists know as a browser miner or pool.
    SCRIPT_SRC.lastIndex = 0;
    for (let i = 0, m = SCRIPT_SRC.exec(page); m && i < 256; i++, m = SCRIPT_SRC.exec(page)) {
      const host = urlHost(m[1]);
      if (!host) continue;
      const hit = intel.matchDomain(host);
      if (hit && (hit.kind === 'browser-miner' || hit.kind === 'pool')) {
        emit(flow, ctx, 1, 1, `MINEWATCH COINMINER page loads script from ${describeKind(hit.kind)} ${host}`, {
          scriptUrl: clip(m[1], 300), offset: m.index, snippet: snippetAt(m.index), placement: placementOf(page, m.index), listed: matchEvidence(hit), ...(site ? { site } : {}),
        });
        break;
      }
    }
  }

  function noteKey(flow: FlowView, ctx: DetectorContext, key: string, site: string, at: number, page: string): void {
    let sites = keySites.get(key);
    if (!sites) keySites.set(key, (sites = new Set()));
    if (sites.size < 64) sites.add(site);
    if (sites.size >= INJECTION_SITES) {
      emit(flow, ctx, 5, 1, `MINEWATCH COINMINER same miner key ${key} injected into pages of ${sites.size} unrelated sites (in-transit injection, e.g. compromised router)`, {
        siteKey: key, sites: [...sites].slice(0, 16), offset: at, placement: placementOf(page, at),
      }, `5:${key}`);
    }
  }

  function onUpgrade(flow: FlowView, host: string, uri: string, origin: string, ctx: DetectorContext): void {
    const h = hostOnly(host);
    const hit = h ? intel.matchDomain(h) : null;
    const path = uri.split('?', 1)[0];
    if (hit || PROXY_HOST.test(h) || (PROXY_PATH.test(path) && h !== '' && /mine|coin|crypto|xmr|monero|hash/i.test(h))) {
      emit(flow, ctx, 3, 1, `MINEWATCH COINMINER WebSocket to browser-miner proxy ${h}${clip(path, 60)}`, {
        host: h, uri: clip(uri, 200), ...(origin ? { origin: clip(origin, 120) } : {}), ...(hit ? { listed: matchEvidence(hit) } : {}),
      });
    }
  }

  return {
    id: BROWSER_MINER_DETECTOR,
    protocols: ['http'],
    onMessage(msg: ProtocolMessage<'http'>, flow: FlowView, ctx: DetectorContext): void {
      switch (msg.kind) {
        case 'request': {
          const q = msg.fields;
          const host = urlHost(q.uri) || hostOnly(q.host);
          if (host) flow.userData.set(HOST_KEY, host);
          if (q.websocketUpgrade) onUpgrade(flow, host, q.uri, '', ctx);
          break;
        }
        case 'response':
          scanPage(flow, msg.fields, ctx);
          break;
        case 'websocket': {
          const w = msg.fields;
          onUpgrade(flow, w.host, w.uri, w.origin, ctx);
          break;
        }
        case 'websocket_frame': {
          const f = msg.fields;
          if (f.text === '') return;
          const m = WS_MINING.exec(f.text);
          if (!m) return;
          emit(flow, ctx, 4, 1, `MINEWATCH COINMINER mining jobs/shares over WebSocket (${m[0].replace(/\s+/g, '')})`, {
            frame: clip(f.text, 300), direction: msg.dir === 0 ? 'browser→server' : 'server→browser', host: (flow.userData.get(HOST_KEY) as string | undefined) ?? '',
          });
          break;
        }
        default:
          break;
      }
    },
  };
}
