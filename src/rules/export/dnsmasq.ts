/** dnsmasq: `address=/name/` answers NXDOMAIN for the name and every name below it. */
import { compactDomains, headerLines, type Blocklist } from './blocklist.js';

export function toDnsmasq(list: Blocklist): string {
  const head = headerLines(list, 'dnsmasq', 'addresses are not expressible in dnsmasq config: use the nftables export for them');
  return [...head.map((l) => `# ${l}`), ...compactDomains(list.domains).map((d) => `address=/${d}/`), ''].join('\n');
}
