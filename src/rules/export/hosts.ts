/** hosts file: `0.0.0.0 name`. A hosts file has no suffix matching, so every listed name is written. */
import { headerLines, type Blocklist } from './blocklist.js';

export function toHosts(list: Blocklist): string {
  const head = headerLines(list, 'hosts', 'exact names only: subdomains of a listed name are not covered by a hosts file');
  return [...head.map((l) => `# ${l}`), ...list.domains.map((d) => `0.0.0.0 ${d}`), ''].join('\n');
}
