/** unbound: a `server:` clause of `local-zone: "name." always_nxdomain` (covers subdomains); include it from unbound.conf. */
import { compactDomains, headerLines, type Blocklist } from './blocklist.js';

export function toUnbound(list: Blocklist): string {
  const head = headerLines(list, 'unbound', 'include from unbound.conf: include: "/path/to/this/file"');
  return [...head.map((l) => `# ${l}`), 'server:', ...compactDomains(list.domains).map((d) => `    local-zone: "${d}." always_nxdomain`), ''].join('\n');
}
