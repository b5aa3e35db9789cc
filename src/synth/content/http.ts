/** HTTP/1.1 requests and responses; response bodies optionally gzip-encoded and/or chunked. */
import { gzipSync } from 'node:zlib';

export function httpRequest(method: string, host: string, path: string, headers: [string, string][], body?: Buffer): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  if (body) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

export interface ResponseOptions {
  gzip?: boolean;
  /** chunked transfer encoding with chunks of this size (bytes of encoded body) */
  chunkSize?: number;
  reason?: string;
}

/** Builds the whole response (head + encoded body). */
export function httpResponse(status: number, headers: [string, string][], body: Buffer, opts: ResponseOptions = {}): Buffer {
  let encoded = opts.gzip ? gzipSync(body, { level: 6 }) : body;
  let head = `HTTP/1.1 ${status} ${opts.reason ?? REASONS[status] ?? 'OK'}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  if (opts.gzip) head += 'Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n';
  if (opts.chunkSize && opts.chunkSize > 0) {
    head += 'Transfer-Encoding: chunked\r\n';
    const parts: Buffer[] = [];
    for (let i = 0; i < encoded.length; i += opts.chunkSize) {
      const c = encoded.subarray(i, Math.min(encoded.length, i + opts.chunkSize));
      parts.push(Buffer.from(`${c.length.toString(16)}\r\n`, 'latin1'), c, Buffer.from('\r\n', 'latin1'));
    }
    parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
    encoded = Buffer.concat(parts);
  } else {
    head += `Content-Length: ${encoded.length}\r\n`;
  }
  head += '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), encoded]);
}

const REASONS: Record<number, string> = { 200: 'OK', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 404: 'Not Found' };

export const USER_AGENTS = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  safari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  android: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  tv: 'Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36',
  iot: 'Dalvik/2.1.0 (Linux; U; Android 9; IoT Build/PQ3A)',
} as const;

const WORDS = ('home network router camera device update weather news sport music video garden recipe travel photo ' +
  'price market energy school library science health family city river mountain coffee book review light ' +
  'winter summer festival museum history local event guide').split(' ');

/** A plausible HTML page of roughly `size` bytes (deterministic from the word sequence). */
export function htmlPage(title: string, size: number, pick: (n: number) => number, inject = ''): Buffer {
  let body = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
    '<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js" defer></script></head>\n<body>\n' +
    `<header><h1>${title}</h1><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About</a></nav></header>\n<main>\n`;
  while (body.length < size) {
    body += '<article><h2>';
    for (let i = 0; i < 4; i++) body += `${WORDS[pick(WORDS.length)]} `;
    body += '</h2><p>';
    const n = 20 + pick(60);
    for (let i = 0; i < n; i++) body += `${WORDS[pick(WORDS.length)]} `;
    body += '</p></article>\n';
  }
  body += `</main>\n<footer>&copy; 2026 ${title}</footer>\n${inject}</body></html>\n`;
  return Buffer.from(body, 'utf8');
}
