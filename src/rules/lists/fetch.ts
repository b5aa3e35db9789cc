/**
 * A guarded HTTP(S) GET for `lists update`: list servers are on the Internet and answer what
 * they like, so every fetch is bounded and every redirect checked.
 *
 * - Timeouts: connect (until the response headers), idle (no byte for that long) and total;
 *   each ends the fetch with a reason instead of an exception.
 * - Redirects are followed by hand, at most `maxRedirects` hops, only to the same scheme (or
 *   from http up to https) and only to addresses of the classes the configured URL allows:
 *   public addresses always; loopback, private, link-local, cloud metadata and other special
 *   addresses only when the configured URL itself resolved to that class (a list mirror on the
 *   LAN may redirect within the LAN; a public server may not send us to 169.254.169.254).
 * - The check is made on the address actually connected to (the socket's lookup hook, and
 *   IP-literal hosts before connecting), so a name that re-resolves elsewhere cannot slip by.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'special';

function blockList(v4: string[], v6: string[]): BlockList {
  const b = new BlockList();
  for (const c of v4) { const [a, p] = c.split('/'); b.addSubnet(a, Number(p), 'ipv4'); }
  for (const c of v6) { const [a, p] = c.split('/'); b.addSubnet(a, Number(p), 'ipv6'); }
  return b;
}

/** Most specific first. */
const CLASSES: [AddressClass, BlockList][] = [
  // AWS/GCP/Azure/OpenStack (169.254.169.254), AWS IPv6 (fd00:ec2::254), Alibaba (100.100.100.200)
  ['metadata', blockList(['169.254.169.254/32', '100.100.100.200/32'], ['fd00:ec2::254/128'])],
  ['loopback', blockList(['127.0.0.0/8'], ['::1/128'])],
  ['link-local', blockList(['169.254.0.0/16'], ['fe80::/10'])],
  ['private', blockList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], ['fc00::/7'])],
  ['special', blockList(
    ['0.0.0.0/8', '192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/3'],
    ['::/128', '100::/64', '2001:db8::/32', 'ff00::/8'],
  )],
];

/** Class of an IP address literal (IPv4-mapped IPv6 is judged as its IPv4 address). */
export function addressClass(address: string): AddressClass {
  let a = address;
  let family: 'ipv4' | 'ipv6' = isIP(a) === 4 ? 'ipv4' : 'ipv6';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) { a = mapped[1]; family = 'ipv4'; }
  for (const [cls, list] of CLASSES) if (list.check(a, family)) return cls;
  return 'public';
}

export interface GuardedFetchOptions {
  headers?: Record<string, string>;
  /** Until the response headers arrive (default 10 s). */
  connectTimeoutMs?: number;
  /** Longest pause between body bytes (default 10 s). */
  idleTimeoutMs?: number;
  /** The whole fetch, redirects and body included (default 30 s). */
  totalTimeoutMs?: number;
  maxBytes?: number;
  /** Redirect hops followed (default 5). */
  maxRedirects?: number;
}

export type GuardedFetchResult =
  | { ok: true; status: number; headers: IncomingHttpHeaders; body: Uint8Array; url: string; redirects: number }
  | { ok: false; reason: string; url: string };

class FetchRefused extends Error {}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** GET `url` under the limits above; never throws. */
export async function guardedFetch(url: string, opts: GuardedFetchOptions = {}): Promise<GuardedFetchResult> {
  const deadline = Date.now() + (opts.totalTimeoutMs ?? 30_000);
  const maxRedirects = opts.maxRedirects ?? 5;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return { ok: false, reason: `not a URL: ${url}`, url };
  }
  if (current.protocol !== 'http:' && current.protocol !== 'https:') return { ok: false, reason: 'only http:// and https:// URLs are supported', url };
  // The configured URL's own class is allowed besides public addresses.
  const first = await resolveClass(current.hostname);
  if (typeof first !== 'string') return { ok: false, reason: `cannot resolve ${current.hostname}: ${first.error}`, url };
  const allowed = new Set<AddressClass>(['public', first]);
  const scheme = current.protocol;
  for (let hop = 0; ; hop++) {
    const r = await getOnce(current, allowed, deadline, opts);
    if (!r.ok) return { ...r, url: current.href };
    if (!REDIRECTS.has(r.status)) return { ...r, url: current.href, redirects: hop };
    r.res.resume();
    const location = r.headers.location;
    if (!location) return { ok: false, reason: `HTTP ${r.status} without a Location`, url: current.href };
    if (hop >= maxRedirects) return { ok: false, reason: `more than ${maxRedirects} redirects`, url: current.href };
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      return { ok: false, reason: `bad redirect Location ${JSON.stringify(location.slice(0, 200))}`, url: current.href };
    }
    if (!redirectSchemeAllowed(scheme, next.protocol)) {
      return { ok: false, reason: `redirect from ${scheme}// to ${next.protocol}// refused`, url: current.href };
    }
    current = next;
  }
}

/** A redirect keeps the configured scheme, or goes from http up to https; nothing else. */
export function redirectSchemeAllowed(configured: string, next: string): boolean {
  return next === configured || (configured === 'http:' && next === 'https:');
}

async function resolveClass(host: string): Promise<AddressClass | { error: string }> {
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(literal)) return addressClass(literal);
  try {
    const all = await new Promise<LookupAddress[]>((res, rej) => dnsLookup(literal, { all: true }, (e, a) => (e ? rej(e) : res(a))));
    // A name with addresses of several classes is judged by the most restricted one.
    const classes = all.map((a) => addressClass(a.address));
    return classes.find((c) => c !== 'public') ?? 'public';
  } catch (e) {
    return { error: (e as { code?: string }).code ?? (e as Error).message };
  }
}

type Once =
  | { ok: true; status: number; headers: IncomingHttpHeaders; body: Uint8Array; res: IncomingMessage }
  | { ok: false; reason: string };

function getOnce(url: URL, allowed: Set<AddressClass>, deadline: number, opts: GuardedFetchOptions): Promise<Once> {
  return new Promise<Once>((resolve) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (r: Once) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      resolve(r);
    };
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(host) && !allowed.has(addressClass(host))) {
      finish({ ok: false, reason: `refused to connect to ${host} (${addressClass(host)} address; the configured URL is not)` });
      return;
    }
    // Checked at connect time: the address connected to is the address judged.
    const lookup: LookupFunction = (hostname, options, cb) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) { cb(err, '', 0); return; }
        const list = addresses as unknown as LookupAddress[];
        const ok = list.filter((a) => allowed.has(addressClass(a.address)));
        if (ok.length === 0) {
          const a = list[0];
          cb(new FetchRefused(`refused to connect to ${a?.address ?? hostname} (${a ? addressClass(a.address) : 'no'} address; the configured URL is not)`), '', 0);
          return;
        }
        if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
        else cb(null, ok[0].address, ok[0].family);
      });
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET', headers: { 'accept-encoding': 'identity', ...opts.headers }, lookup,
    });
    const fail = (reason: string) => { req.destroy(); finish({ ok: false, reason }); };
    const remaining = () => Math.max(1, deadline - Date.now());
    timers.push(setTimeout(() => fail(`timed out after ${opts.totalTimeoutMs ?? 30_000} ms in total`), remaining()));
    timers.push(setTimeout(() => fail(`no response within ${opts.connectTimeoutMs ?? 10_000} ms (connect timeout)`), Math.min(remaining(), opts.connectTimeoutMs ?? 10_000)));
    req.on('error', (e: Error & { code?: string }) => {
      finish({ ok: false, reason: e instanceof FetchRefused ? e.message : `fetch failed: ${e.code ?? e.name}${e.message ? ` (${e.message})` : ''}` });
    });
    req.on('response', (res) => {
      clearTimeout(timers[1]);
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) || status === 304 || status < 200 || status >= 300) {
        finish({ ok: true, status, headers: res.headers, body: new Uint8Array(0), res });
        res.resume();
        return;
      }
      const idleMs = opts.idleTimeoutMs ?? 10_000;
      const maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
      const idle = setTimeout(() => fail(`no data for ${idleMs} ms (idle timeout)`), Math.min(idleMs, remaining()));
      timers.push(idle);
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (c: Buffer) => {
        idle.refresh();
        total += c.length;
        if (total > maxBytes) { fail(`body larger than ${maxBytes} bytes`); return; }
        chunks.push(c);
      });
      res.on('end', () => finish({ ok: true, status, headers: res.headers, body: Buffer.concat(chunks), res }));
      res.on('error', (e) => fail(`body read failed: ${e.message}`));
      res.on('close', () => { if (!res.complete) fail('connection closed before the body ended'); });
    });
    req.end();
  });
}
