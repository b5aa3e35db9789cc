/**
 * Rule variables ($HOME_NET, $EXTERNAL_NET, $HTTP_PORTS …) and the address / port groups of
 * rule headers: lists `[a,b]`, negation `!x`, ranges `1024:`, nesting, variables inside
 * groups. Parsing returns a typed group or a reason string; nothing here throws.
 */
import { addressGroupCompiler, splitTop, type AddressGroup } from './address-groups.js';

export { addressMatches, type AddressGroup } from './address-groups.js';

/** Suricata's suricata.yaml defaults. */
export const DEFAULT_ADDRESS_VARS: Readonly<Record<string, string>> = {
  HOME_NET: '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]',
  EXTERNAL_NET: '!$HOME_NET',
  HTTP_SERVERS: '$HOME_NET',
  SMTP_SERVERS: '$HOME_NET',
  SQL_SERVERS: '$HOME_NET',
  DNS_SERVERS: '$HOME_NET',
  TELNET_SERVERS: '$HOME_NET',
  AIM_SERVERS: '$EXTERNAL_NET',
  DC_SERVERS: '$HOME_NET',
  DNP3_SERVER: '$HOME_NET',
  DNP3_CLIENT: '$HOME_NET',
  MODBUS_CLIENT: '$HOME_NET',
  MODBUS_SERVER: '$HOME_NET',
  ENIP_CLIENT: '$HOME_NET',
  ENIP_SERVER: '$HOME_NET',
};

export const DEFAULT_PORT_VARS: Readonly<Record<string, string>> = {
  HTTP_PORTS: '80',
  SHELLCODE_PORTS: '!80',
  ORACLE_PORTS: '1521',
  SSH_PORTS: '22',
  DNP3_PORTS: '20000',
  MODBUS_PORTS: '502',
  FILE_DATA_PORTS: '[$HTTP_PORTS,110,143]',
  FTP_PORTS: '21',
  GENEVE_PORTS: '6081',
  VXLAN_PORTS: '4789',
  TEREDO_PORTS: '3544',
};

export interface RuleVariableConfig {
  address?: Record<string, string>;
  port?: Record<string, string>;
}

export class RuleVariables {
  readonly address: Record<string, string>;
  readonly port: Record<string, string>;
  constructor(config: RuleVariableConfig = {}) {
    this.address = { ...DEFAULT_ADDRESS_VARS, ...(config.address ?? {}) };
    this.port = { ...DEFAULT_PORT_VARS, ...(config.port ?? {}) };
  }
}

export type PortGroup =
  | { kind: 'any' }
  | { kind: 'range'; lo: number; hi: number }
  | { kind: 'list'; pos: PortGroup[]; neg: PortGroup[] };

const MAX_DEPTH = 8;

/**
 * Address group text (`any`, CIDR, `[a,!b]`, `$VAR`) → one compiled set, shared by every rule
 * with the same text or the same resulting set (see address-groups.ts); a reason when invalid.
 */
export function parseAddressGroup(spec: string, vars: RuleVariables): AddressGroup | string {
  return addressGroupCompiler(vars.address).parse(spec);
}

export function parsePortGroup(spec: string, vars: RuleVariables, depth = 0): PortGroup | string {
  spec = spec.trim();
  if (depth > MAX_DEPTH) return 'port group nested too deeply';
  if (spec === 'any') return { kind: 'any' };
  if (spec.startsWith('!')) {
    const inner = parsePortGroup(spec.slice(1), vars, depth + 1);
    if (typeof inner === 'string') return inner;
    return { kind: 'list', pos: [], neg: [inner] };
  }
  if (spec.startsWith('$')) {
    const value = vars.port[spec.slice(1)];
    if (value === undefined) return `undefined port variable ${spec}`;
    return parsePortGroup(value, vars, depth + 1);
  }
  if (spec.startsWith('[')) {
    if (!spec.endsWith(']')) return `unbalanced port group ${spec}`;
    const items = splitTop(spec.slice(1, -1));
    if (!items || items.some((i) => i === '')) return `bad port group ${spec}`;
    const pos: PortGroup[] = [];
    const neg: PortGroup[] = [];
    for (const item of items) {
      const negated = item.startsWith('!');
      const g = parsePortGroup(negated ? item.slice(1) : item, vars, depth + 1);
      if (typeof g === 'string') return g;
      (negated ? neg : pos).push(g);
    }
    return { kind: 'list', pos, neg };
  }
  const m = /^(\d{1,5})?(:)?(\d{1,5})?$/.exec(spec);
  if (!m || (!m[1] && !m[3])) return `bad port ${spec}`;
  const lo = m[1] ? Number(m[1]) : 0;
  const hi = m[2] ? (m[3] ? Number(m[3]) : 65535) : lo;
  if (lo > 65535 || hi > 65535 || lo > hi) return `bad port range ${spec}`;
  return { kind: 'range', lo, hi };
}

export function portMatches(g: PortGroup, port: number): boolean {
  switch (g.kind) {
    case 'any': return true;
    case 'range': return port >= g.lo && port <= g.hi;
    case 'list': {
      if (g.pos.length > 0 && !g.pos.some((p) => portMatches(p, port))) return false;
      return !g.neg.some((n) => portMatches(n, port));
    }
  }
}
