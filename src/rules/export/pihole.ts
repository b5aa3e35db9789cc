/** Pi-hole adlist: one name per line (exact-match domains, as Pi-hole gravity imports them). */
import { headerLines, type Blocklist } from './blocklist.js';

export function toPihole(list: Blocklist): string {
  const head = headerLines(list, 'pihole', 'plain domain list for Pi-hole gravity (exact names); use the adblock export for subdomain matching');
  return [...head.map((l) => `# ${l}`), ...list.domains, ''].join('\n');
}
