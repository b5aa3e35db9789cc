/** Adblock Plus syntax: `||name^` blocks the name and its subdomains; single addresses as `||a.b.c.d^`. */
import { compactDomains, headerLines, type Blocklist } from './blocklist.js';

export function toAdblock(list: Blocklist): string {
  const head = headerLines(list, 'adblock', 'Adblock Plus 2.0 syntax (uBlock Origin, AdGuard, AdGuard Home, Pi-hole v6)');
  const ips = list.ips.filter((ip) => !ip.includes('/') && !ip.includes(':'));
  return ['[Adblock Plus 2.0]', '! Title: minewatch mining blocklist', ...head.map((l) => `! ${l}`),
    ...compactDomains(list.domains).map((d) => `||${d}^`), ...ips.map((ip) => `||${ip}^`), ''].join('\n');
}
