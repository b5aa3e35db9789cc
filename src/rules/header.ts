/**
 * Rule header checks: the conditions known before any byte is scanned (IP protocol,
 * app-protocol gate, flow state, direction), which also define the packet-rule groups, and
 * the address and port checks of a candidate.
 */
import type { Rule } from './parser.js';
import type { MatchMeta } from './match-meta.js';
import { addressMatches, portMatches } from './variables.js';

/**
 * App classes of raw-content rules of app-layer protos (index 0: none of them applies). A
 * packet's class comes from the flow's identified protocol, else from its server port; the
 * default port lists are disjoint, so a packet has exactly one class.
 */
export const APP_CLASS_COUNT = 4; // none, dns, http, tls
/** App class by server port (0 = none): one typed-array load per packet instead of a Map lookup. */
const APP_PORT_CLASS = new Uint8Array(65536);
for (const [port, cls] of [[53, 1], [80, 2], [8000, 2], [8008, 2], [8080, 2], [3128, 2], [443, 3], [8443, 3]]) APP_PORT_CLASS[port] = cls;

/** App class of a packet (see APP_CLASS_COUNT) from the flow's identified protocol, else its server port. */
export function appClassOf(appProto: string, serverPort: number): number {
  if (appProto !== '') return appProto === 'dns' ? 1 : appProto === 'http' ? 2 : appProto === 'tls' ? 3 : 0;
  return APP_PORT_CLASS[serverPort & 0xffff];
}

/** Class of a packet rule's app-protocol gate: 0 = not gated (applies in every app class). */
export function ruleAppClass(rule: Rule): number {
  if (rule.context !== 'packet') return 0;
  return rule.proto === 'dns' ? 1 : rule.proto === 'http' ? 2 : rule.proto === 'tls' ? 3 : 0;
}

/** IP protocol classes the rule protos distinguish: tcp, udp, icmp (v4 and v6), anything else. */
export const PROTO_CLASS_COUNT = 4;
export const PROTO_CLASS_REPRESENTATIVE = [6, 17, 1, 255];
export function protoClassOf(proto: number): number {
  return proto === 6 ? 0 : proto === 17 ? 1 : proto === 1 || proto === 58 ? 2 : 3;
}

/** Group of a packet by direction, established state and protocol class. */
export const GROUP_COUNT = 2 * 2 * PROTO_CLASS_COUNT;
export function groupOf(dir: number, established: boolean, protoClass: number): number {
  return ((dir === 0 ? 0 : 2) + (established ? 1 : 0)) * PROTO_CLASS_COUNT + protoClass;
}

/**
 * The header conditions decidable before scanning any byte and before looking at addresses
 * or ports: protocol, app-protocol gate, flow state and direction. Used at evaluation time
 * and, with each group's representative values, to decide group membership, so the grouped
 * and ungrouped engines agree by construction.
 */
export function staticHeaderMatches(rule: Rule, proto: number, appClass: number, established: boolean, dir: number): boolean {
  switch (rule.proto) {
    case 'tcp': case 'tcp-pkt': case 'tcp-stream': case 'http': case 'tls':
      if (proto !== 6) return false;
      break;
    case 'udp': if (proto !== 17) return false; break;
    case 'icmp': if (proto !== 1 && proto !== 58) return false; break;
    case 'dns': if (proto !== 6 && proto !== 17) return false; break;
    default: break;
  }
  const gate = ruleAppClass(rule);
  if (gate !== 0 && gate !== appClass) return false;
  const f = rule.flow;
  if (f.established && !established) return false;
  if (f.notEstablished && established) return false;
  if (f.dir >= 0 && f.dir !== dir) return false;
  return true;
}

/** Full header check of a candidate: the static conditions, then ports and addresses (either way round when bidirectional). */
export function headerMatches(rule: Rule, meta: MatchMeta): boolean {
  const appClass = ruleAppClass(rule) === 0 ? 0 : appClassOf(meta.appProto, meta.serverPort);
  if (!staticHeaderMatches(rule, meta.proto, appClass, meta.established, meta.dir)) return false;
  const fwd = portMatches(rule.srcPorts, meta.srcPort) && portMatches(rule.dstPorts, meta.dstPort)
    && addressesMatch(rule, meta.srcIp, meta.dstIp);
  if (fwd) return true;
  return rule.bidirectional && portMatches(rule.srcPorts, meta.dstPort) && portMatches(rule.dstPorts, meta.srcPort)
    && addressesMatch(rule, meta.dstIp, meta.srcIp);
}

/** The rule's source and destination address groups against one packet's addresses (one call: the only address check). */
function addressesMatch(rule: Rule, srcIp: string, dstIp: string): boolean {
  return addressMatches(rule.src, srcIp) && addressMatches(rule.dst, dstIp);
}
