/**
 * Multicast DNS (RFC 6762/6763) on UDP 5353 (isMdnsFlow: unicast DNS to a resolver on 5353 is
 * left to the DNS parser): the DNS wire format (same DnsFields, protocol
 * id 'mdns', all four sections parsed because mDNS puts SRV/TXT/A records in the additional
 * section) plus device hints: .local host names, DNS-SD service types and instance names,
 * TXT key=value pairs and a model string (model=, md=, ty=, usb_MDL=, am=).
 * Every hint list is de-duplicated and bounded to 32 entries.
 */
import { ConsumerVerdict } from '../events/stream.js';
import { message, type AppConsumer, type MdnsHints, type MessageSink } from './types.js';
import { DnsMessageEmitter, DnsType, isMdnsFlow, type DnsRecord, type ParsedDns } from './dns.js';

export type { MdnsFields, MdnsHints } from './types.js';

const MAX_HINTS = 32;
const MODEL_KEYS = ['model', 'md', 'usb_mdl', 'ty', 'am', 'mdl', 'product'];
const SERVICE_RE = /(?:^|\.)(_[^.]+\._(?:tcp|udp)\.local)$/i;

function addUnique(list: string[], v: string): void {
  if (v && list.length < MAX_HINTS && !list.includes(v)) list.push(v);
}

const SERVICES_META = '_services._dns-sd._udp.local';

function addName(h: MdnsHints, name: string): void {
  if (name.length === SERVICES_META.length && name.toLowerCase() === SERVICES_META) return;
  const m = SERVICE_RE.exec(name);
  if (!m) return;
  addUnique(h.serviceTypes, m[1]);
  const instance = name.length > m[1].length + 1 && !name.startsWith('_') ? name : '';
  if (instance && !instance.includes('._sub.')) addUnique(h.instances, instance);
}

function fromRecord(h: MdnsHints, r: DnsRecord): void {
  switch (r.type) {
    case DnsType.A:
    case DnsType.AAAA:
      if (r.name.toLowerCase().endsWith('.local')) addUnique(h.hostnames, r.name);
      break;
    case DnsType.PTR:
      addName(h, r.name);
      addName(h, r.data);
      break;
    case DnsType.SRV: {
      addName(h, r.name);
      const target = r.data.slice(r.data.lastIndexOf(' ') + 1);
      if (target.toLowerCase().endsWith('.local')) addUnique(h.hostnames, target);
      break;
    }
    case DnsType.TXT:
      addName(h, r.name);
      for (const s of r.strings ?? []) {
        const eq = s.indexOf('=');
        if (eq <= 0) continue;
        addUnique(h.txt, s);
        if (!h.model && MODEL_KEYS.includes(s.slice(0, eq).toLowerCase()) && eq + 1 < s.length) h.model = s.slice(eq + 1);
      }
      break;
  }
}

/** Device hints from every section of a parsed mDNS message. */
export function mdnsHints(msg: ParsedDns): MdnsHints {
  const h: MdnsHints = { hostnames: [], serviceTypes: [], instances: [], txt: [], model: '' };
  for (const q of msg.questions) {
    if ((q.type === DnsType.A || q.type === DnsType.AAAA || q.type === DnsType.ANY) && q.name.toLowerCase().endsWith('.local') && !SERVICE_RE.test(q.name)) addUnique(h.hostnames, q.name);
    addName(h, q.name);
  }
  for (const list of [msg.answers, msg.authorities, msg.additionals]) for (const r of list) fromRecord(h, r);
  return h;
}

export function createMdnsConsumer(sink: MessageSink): AppConsumer {
  const emitter = new DnsMessageEmitter(sink, { allSections: true }, (kind, dir, tsUs, m) => message('mdns', kind, dir, tsUs, { ...m, hints: mdnsHints(m) }));
  return {
    id: 'mdns',
    malformed: emitter.malformed,
    stats: emitter.stats,
    accepts(flow, _dir, data) {
      return isMdnsFlow(flow, data);
    },
    onData(flow, dir, data, tsUs) {
      emitter.emit(flow, dir, data, 0, data.length, 'udp', tsUs);
      return ConsumerVerdict.CONTINUE;
    },
  };
}
