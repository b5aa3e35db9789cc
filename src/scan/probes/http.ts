/**
 * HTTP and HTTPS: one GET /, then the Server header, the page title, Basic-auth realms and
 * admin-UI fingerprints from data/scan/admin-ui-fingerprints.json (MikroTik WebFig, common
 * router, camera and NAS interfaces), with the firmware version when the page shows it.
 */
import type { Conversation } from '../conversation.js';
import { adminUiFingerprints, type AdminUiFingerprint } from '../knowledge.js';
import type { ServiceIdentity } from '../types.js';
import { latin1, withConversation, type ProbeIo, type ServiceProbe } from './probe.js';

export interface HttpResponseSummary {
  status: number;
  statusLine: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Latin-1 text of the body start. */
  body: string;
  title: string;
}

const MAX_BODY_TEXT = 16384;

/** Parse an HTTP/1.x response head and body start; null when it is not HTTP. */
export function parseHttpResponse(buf: Buffer): HttpResponseSummary | null {
  const text = latin1(buf, 65536);
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})[^\r\n]*/.exec(text);
  if (!m) return null;
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd >= 0 ? text.slice(0, headEnd) : text;
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
  }
  const body = headEnd >= 0 ? text.slice(headEnd + 4, headEnd + 4 + MAX_BODY_TEXT) : '';
  const t = /<title[^>]*>([^<]{0,200})<\/title>/i.exec(body);
  return { status: Number(m[1]), statusLine: m[0], headers, body, title: t ? decodeEntities(t[1].trim()) : '' };
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/** True once the whole response (by Content-Length) or enough of it has arrived. */
function responseComplete(buf: Buffer): boolean {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = buf.subarray(0, headEnd).toString('latin1');
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (cl) return buf.length >= headEnd + 4 + Math.min(Number(cl[1]), MAX_BODY_TEXT);
  return buf.length >= headEnd + 4 + MAX_BODY_TEXT;
}

export function httpRequest(host: string, path: string, extraHeaders = ''): string {
  const hostHeader = host.includes(':') ? `[${host}]` : host;
  return `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: minewatch-scan\r\nAccept: */*\r\n${extraHeaders}Connection: close\r\n\r\n`;
}

/** One GET on an open conversation. */
export async function httpGet(conv: Conversation, host: string, path: string, timeoutMs: number, extraHeaders = ''): Promise<HttpResponseSummary | null> {
  conv.write(httpRequest(host, path, extraHeaders));
  const buf = await conv.readUntil(responseComplete, timeoutMs);
  return parseHttpResponse(buf);
}

export function matchAdminUi(resp: HttpResponseSummary, fingerprints: readonly AdminUiFingerprint[] = adminUiFingerprints()): { fingerprint: AdminUiFingerprint; version: string } | null {
  const haystack = `${resp.statusLine}\n${Object.entries(resp.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${resp.body}`;
  for (const fp of fingerprints) {
    if (!safeRegex(fp.match).test(haystack)) continue;
    const vm = fp.version ? safeRegex(fp.version).exec(haystack) : null;
    return { fingerprint: fp, version: vm?.[1] ?? '' };
  }
  return null;
}

const regexCache = new Map<string, RegExp>();
function safeRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = new RegExp(source, 'i');
    regexCache.set(source, re);
  }
  return re;
}

export function identifyHttp(resp: HttpResponseSummary, tls: boolean): ServiceIdentity {
  const server = resp.headers.server ?? '';
  const auth = resp.headers['www-authenticate'] ?? '';
  const basic = /^basic/i.exec(auth) !== null;
  const realm = /realm="?([^",]*)/i.exec(auth)?.[1] ?? '';
  const admin = matchAdminUi(resp);
  const upnp = /upnp\/\d/i.test(server);
  let product = '';
  let version = '';
  const sm = /^([A-Za-z][\w.+-]*?)(?:\/([\w.+-]+))?(?:\s|$)/.exec(server);
  if (sm) {
    product = sm[1];
    version = sm[2] ?? '';
  }
  if (admin && admin.fingerprint.product !== 'admin' && admin.fingerprint.product !== 'router') {
    product = admin.fingerprint.product;
    version = admin.version;
  }
  return {
    service: tls ? 'https' : 'http',
    product,
    version,
    tls,
    banner: `${resp.statusLine}${server ? ` | Server: ${server}` : ''}${resp.title ? ` | ${resp.title}` : ''}`,
    details: {
      status: resp.status,
      server,
      title: resp.title,
      basicAuth: basic,
      realm,
      upnp,
      ...(admin ? { adminUi: { name: admin.fingerprint.name, kind: admin.fingerprint.kind, product: admin.fingerprint.product } } : {}),
    },
  };
}

async function probeHttp(io: ProbeIo, tls: boolean): Promise<ServiceIdentity | null> {
  return withConversation(io, { tls }, async (conv) => {
    const resp = await httpGet(conv, io.host, '/', io.timeoutMs);
    if (!resp) {
      if (conv.received.length > 0 && tls) io.malformed('https.not-http');
      return null;
    }
    // "The plain HTTP request was sent to HTTPS port": leave the port to the HTTPS probe.
    if (!tls && resp.status === 400 && /plain http request|https port|use https|ssl|tls/i.test(resp.body)) return null;
    return identifyHttp(resp, tls);
  });
}

export const httpProbe: ServiceProbe = {
  id: 'http',
  ports: [80, 8080, 8081, 8000, 8008, 8888, 9000, 5000, 7547, 49152, 37215, 2869, 52869],
  probe: (io) => probeHttp(io, false),
};

export const httpsProbe: ServiceProbe = {
  id: 'https',
  ports: [443, 8443, 4443, 9443],
  probe: (io) => probeHttp(io, true),
};
