/** Blocklist exports: one renderer per format, each in its own file. */
import { toAdblock } from './adblock.js';
import { toBindRpz } from './bind-rpz.js';
import type { Blocklist } from './blocklist.js';
import { toDnsmasq } from './dnsmasq.js';
import { toHosts } from './hosts.js';
import { toNftables } from './nftables.js';
import { toPihole } from './pihole.js';
import { toUnbound } from './unbound.js';

export const EXPORT_FORMATS = ['dnsmasq', 'unbound', 'bind-rpz', 'hosts', 'pihole', 'adblock', 'nftables'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const RENDERERS: Record<ExportFormat, (list: Blocklist) => string> = {
  dnsmasq: toDnsmasq, unbound: toUnbound, 'bind-rpz': (l) => toBindRpz(l), hosts: toHosts,
  pihole: toPihole, adblock: toAdblock, nftables: toNftables,
};

export function isExportFormat(s: string): s is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(s);
}

export function renderBlocklist(format: ExportFormat, list: Blocklist): string {
  return RENDERERS[format](list);
}

export { buildBlocklist, seenBlocklist, readSeenHosts, readSeenHostsFile, SeenHostsReader, compactDomains, type Blocklist, type SeenHosts } from './blocklist.js';
export { RPZ_ORIGIN } from './bind-rpz.js';
