/**
 * Suricata/Snort rule text → typed Rule, or a skip record naming the keyword that stopped
 * it. The supported subset is what the ET Open coin-mining rules use (see docs in
 * README of this folder); anything else is reported, never silently dropped.
 * Never throws: every failure becomes a RuleSkip with a reason.
 */
import { compilePcre, type CompiledPcre } from './pcre.js';
import { classify } from './classification.js';
import {
  parseAddressGroup, parsePortGroup, RuleVariables, type AddressGroup, type PortGroup,
} from './variables.js';

/** Buffers the matcher can inspect. 'pkt' is the raw packet payload. */
export const BUFFER_NAMES = [
  'pkt', 'dns.query', 'tls.sni',
  'http.uri', 'http.method', 'http.host', 'http.user_agent', 'http.cookie', 'http.request_body',
  'http.header', 'http.header_names', 'http.start',
  'http.stat_code', 'file.data',
] as const;
export type BufferName = (typeof BUFFER_NAMES)[number];
export const BUFFER_ID: Readonly<Record<BufferName, number>> = Object.fromEntries(
  BUFFER_NAMES.map((n, i) => [n, i]),
) as Record<BufferName, number>;

/** Sticky-buffer keywords (Suricata 5+ dotted names and their older underscore forms). */
const STICKY = new Map<string, BufferName>(Object.entries({
  pkt_data: 'pkt',
  'dns.query': 'dns.query', dns_query: 'dns.query',
  'tls.sni': 'tls.sni', tls_sni: 'tls.sni',
  'http.uri': 'http.uri', 'http.uri.raw': 'http.uri',
  'http.method': 'http.method',
  'http.host': 'http.host', 'http.host.raw': 'http.host',
  'http.user_agent': 'http.user_agent',
  'http.cookie': 'http.cookie',
  'http.request_body': 'http.request_body', 'http.client_body': 'http.request_body',
  'http.header': 'http.header', 'http.header.raw': 'http.header',
  'http.header_names': 'http.header_names',
  'http.start': 'http.start',
  'http.stat_code': 'http.stat_code',
  'file.data': 'file.data', file_data: 'file.data', 'http.response_body': 'file.data', 'http.server_body': 'file.data',
} satisfies Record<string, BufferName>));

/** Old-style content modifiers that move the previous content into a buffer. */
const CONTENT_MODIFIER = new Map<string, BufferName>(Object.entries({
  http_uri: 'http.uri', http_raw_uri: 'http.uri', http_method: 'http.method', http_host: 'http.host',
  http_raw_host: 'http.host', http_user_agent: 'http.user_agent', http_cookie: 'http.cookie',
  http_client_body: 'http.request_body', http_header: 'http.header', http_raw_header: 'http.header',
  http_header_names: 'http.header_names', http_start: 'http.start', http_stat_code: 'http.stat_code',
  http_server_body: 'file.data',
} satisfies Record<string, BufferName>));

const REQUEST_ONLY = new Set<BufferName>(['http.uri', 'http.method', 'http.host', 'http.user_agent', 'http.cookie', 'http.request_body']);
const RESPONSE_ONLY = new Set<BufferName>(['http.stat_code', 'file.data']);

export interface ContentOp {
  kind: 'content';
  bytes: Uint8Array;
  negated: boolean;
  nocase: boolean;
  offset: number;
  depth: number; // -1 = none
  distance: number;
  within: number; // -1 = none
  /** distance or within given: position relative to the previous match in this buffer. */
  relative: boolean;
  startswith: boolean;
  endswith: boolean;
  fastPattern: boolean;
  /** Text as written in the rule, for reports. */
  text: string;
}
export interface PcreOp {
  kind: 'pcre';
  regex: RegExp;
  /** Linear-time form and fallback (rules/pcre.ts). */
  compiled: CompiledPcre;
  negated: boolean;
  relative: boolean;
  source: string;
}
export interface SizeOp {
  kind: 'bsize' | 'dsize' | 'urilen';
  op: '=' | '<' | '>' | '<>' | '!=';
  a: number;
  b: number;
}
export interface IsDataAtOp { kind: 'isdataat'; n: number; negated: boolean; relative: boolean }
export type MatchOp = ContentOp | PcreOp | SizeOp | IsDataAtOp;

export interface BufferOps { buffer: BufferName; ops: MatchOp[] }

export interface FlowOptions {
  established: boolean;
  notEstablished: boolean;
  /** 0 = to_server, 1 = to_client, -1 = either */
  dir: -1 | 0 | 1;
}

export type FlowbitCmd = 'set' | 'unset' | 'toggle' | 'isset' | 'isnotset' | 'noalert';
export interface FlowbitOp { cmd: FlowbitCmd; names: string[]; /** isset with '|' means any */ any: boolean }

export interface ThresholdSpec {
  keyword: 'threshold' | 'detection_filter';
  type: 'limit' | 'threshold' | 'both';
  track: 'by_src' | 'by_dst' | 'by_rule' | 'by_both';
  count: number;
  seconds: number;
}

/** Which inspection point evaluates the rule. */
export type RuleContext = 'packet' | 'dns' | 'tls' | 'http-request' | 'http-response';

export interface Rule {
  sid: number;
  gid: number;
  rev: number;
  msg: string;
  classtype: string;
  category: string;
  priority: 1 | 2 | 3 | 4;
  action: string;
  proto: string;
  src: AddressGroup;
  srcPorts: PortGroup;
  bidirectional: boolean;
  dst: AddressGroup;
  dstPorts: PortGroup;
  flow: FlowOptions;
  buffers: BufferOps[];
  flowbits: FlowbitOp[];
  threshold: ThresholdSpec | null;
  references: string[];
  metadata: Record<string, string[]>;
  /** `target:src_ip|dest_ip`: which side of the match is the affected host (the device). */
  target: 'src_ip' | 'dest_ip' | null;
  context: RuleContext;
  /** Prefilter pattern, or null when the rule has no positive content (evaluated always). */
  fastPattern: { buffer: BufferName; bytes: Uint8Array; nocase: boolean } | null;
  line: number;
  text: string;
}

export interface RuleSkip {
  sid?: number;
  /** The keyword (or header part) that stopped the rule. */
  keyword: string;
  reason: string;
  line: number;
}

export type ParseResult = { ok: true; rule: Rule } | { ok: false; skip: RuleSkip };

const SUPPORTED_PROTOS = new Set(['tcp', 'udp', 'icmp', 'ip', 'tcp-pkt', 'tcp-stream', 'http', 'tls', 'dns']);
const ACTIONS = new Set(['alert', 'drop', 'reject', 'rejectsrc', 'rejectdst', 'rejectboth', 'pass']);
/** Options accepted with no effect here (see README). */
const IGNORED = ['rawbytes', 'tag', 'noalert'];

/** Content string: "text|41 42|more" with \" \; \\ \: escapes. */
export function parseContentString(raw: string): Uint8Array | string {
  const out: number[] = [];
  let hex = false;
  let hexDigits = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (hex) {
      if (ch === '|') {
        if (hexDigits.length % 2 !== 0) return 'odd number of hex digits';
        for (let j = 0; j < hexDigits.length; j += 2) out.push(parseInt(hexDigits.slice(j, j + 2), 16));
        hexDigits = '';
        hex = false;
      } else if (/[0-9a-fA-F]/.test(ch)) hexDigits += ch;
      else if (ch !== ' ') return `bad hex character '${ch}'`;
      continue;
    }
    if (ch === '|') { hex = true; continue; }
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next === undefined) return 'trailing backslash';
      out.push(next.charCodeAt(0) & 0xff);
      i++;
      continue;
    }
    const code = ch.charCodeAt(0);
    if (code > 0xff) {
      for (const b of Buffer.from(ch, 'utf8')) out.push(b);
    } else out.push(code);
  }
  if (hex) return 'unterminated hex section';
  return Uint8Array.from(out);
}

/** Split the option body on ';' outside quotes; returns [keyword, value|null] pairs. */
function splitOptions(body: string): [string, string | null][] | string {
  const out: [string, string | null][] = [];
  // Options are slices of the body (escape pairs kept verbatim): no per-character string
  // building, which dominated loading 10,000 rules.
  let segStart = 0;
  let inQuote = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body.charCodeAt(i);
    if (ch === 0x5c /* \\ */ && i + 1 < body.length) { i++; continue; }
    if (ch === 0x22 /* " */) inQuote = !inQuote;
    else if (ch === 0x3b /* ; */ && !inQuote) {
      const t = body.slice(segStart, i).trim();
      segStart = i + 1;
      if (t) {
        const colon = t.indexOf(':');
        out.push(colon < 0 ? [t, null] : [t.slice(0, colon).trim(), t.slice(colon + 1).trim()]);
      }
    }
  }
  if (inQuote) return 'unterminated quoted string';
  const rest = body.slice(segStart).trim();
  if (rest !== '') return `option list not terminated by ';' near "${rest.slice(0, 40)}"`;
  return out;
}

function needValue(kw: string, value: string | null): string | null {
  return value === null || value === '' ? `${kw} needs a value` : null;
}

function unquote(v: string): string | null {
  v = v.trim();
  if (v.length < 2 || !v.startsWith('"') || !v.endsWith('"')) return null;
  return v.slice(1, -1);
}

/** PCRE constructs with no faithful JS RegExp equivalent. */
const UNSUPPORTED_PCRE_ESCAPES = new Set(['A', 'Z', 'z', 'G', 'K', 'R', 'X', 'h', 'H', 'v', 'V', 'Q', 'E', 'C', 'g']);

/** Translate a PCRE body to JS RegExp source, or return a reason. */
export function translatePcre(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') {
      const n = body[i + 1];
      if (n === undefined) throw new Error('trailing backslash');
      if (UNSUPPORTED_PCRE_ESCAPES.has(n)) throw new Error(`unsupported escape \\${n}`);
      out += ch + n;
      i++;
      continue;
    }
    if (ch === '(' && body[i + 1] === '?') {
      const rest = body.slice(i + 2, i + 40);
      if (rest.startsWith('P<')) { out += '(?<'; i += 3; continue; }
      if (rest.startsWith('P=')) {
        const end = body.indexOf(')', i);
        if (end < 0) throw new Error('unterminated (?P=');
        out += `\\k<${body.slice(i + 4, end)}>`;
        i = end;
        continue;
      }
      if (rest.startsWith('>')) throw new Error('atomic group (?>');
      if (rest.startsWith('P>') || rest.startsWith('R') || /^[0-9+-]/.test(rest)) throw new Error('recursion');
      if (/^[a-zA-Z-]+[):]/.test(rest) && !rest.startsWith('<')) throw new Error('inline option group');
      if (rest.startsWith('|')) throw new Error('branch reset group');
    }
    if ((ch === '+') && i > 0 && /[*+?}]/.test(body[i - 1]) && body[i - 2] !== '\\') throw new Error('possessive quantifier');
    out += ch;
  }
  return out;
}

function parsePcre(value: string): PcreOp | string {
  let v = value.trim();
  let negated = false;
  if (v.startsWith('!')) { negated = true; v = v.slice(1).trim(); }
  const q = unquote(v);
  if (q === null) return 'pcre value must be quoted';
  if (!q.startsWith('/')) return 'pcre must start with /';
  const last = q.lastIndexOf('/');
  if (last <= 0) return 'pcre without closing /';
  const body = q.slice(1, last);
  const flags = q.slice(last + 1);
  let js = '';
  let relative = false;
  for (const f of flags) {
    if (f === 'i' || f === 's' || f === 'm') { if (!js.includes(f)) js += f; } else if (f === 'R') relative = true;
    else if (f === 'O' || f === 'B') { /* performance / raw-bytes hints: no effect here */ } else return `pcre flag '${f}' unsupported`;
  }
  let source: string;
  try {
    source = translatePcre(body);
  } catch (e) {
    return `pcre: ${(e as Error).message}`;
  }
  try {
    const compiled = compilePcre(source, js);
    return { kind: 'pcre', regex: compiled.regex, compiled, negated, relative, source: q };
  } catch (e) {
    return `pcre does not compile as JS RegExp: ${(e as Error).message}`;
  }
}

function parseSize(kind: SizeOp['kind'], value: string): SizeOp | string {
  const v = value.replace(/\s+/g, '');
  let m = /^(\d+)<>(\d+)$/.exec(v);
  if (m) return { kind, op: '<>', a: Number(m[1]), b: Number(m[2]) };
  m = /^(<=|>=|<|>|!|=)?(\d+)$/.exec(v);
  if (!m) return `bad ${kind} value ${value}`;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<': return { kind, op: '<', a: n, b: 0 };
    case '>': return { kind, op: '>', a: n, b: 0 };
    case '<=': return { kind, op: '<', a: n + 1, b: 0 };
    case '>=': return { kind, op: '>', a: n - 1, b: 0 };
    case '!': return { kind, op: '!=', a: n, b: 0 };
    default: return { kind, op: '=', a: n, b: 0 };
  }
}

export function sizeMatches(op: SizeOp, n: number): boolean {
  switch (op.op) {
    case '=': return n === op.a;
    case '<': return n < op.a;
    case '>': return n > op.a;
    case '!=': return n !== op.a;
    case '<>': return n > op.a && n < op.b;
  }
}

function parseFlowbits(value: string): FlowbitOp | string {
  const parts = value.split(',').map((s) => s.trim());
  const cmd = parts[0] as FlowbitCmd;
  if (!['set', 'unset', 'toggle', 'isset', 'isnotset', 'noalert'].includes(cmd)) return `flowbits command ${parts[0]} unsupported`;
  if (cmd === 'noalert') return { cmd, names: [], any: false };
  if (parts.length !== 2 || !parts[1]) return 'flowbits needs one name';
  const any = parts[1].includes('|');
  const names = parts[1].split(/[|&]/).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return 'flowbits needs a name';
  return { cmd, names, any };
}

function parseThreshold(keyword: 'threshold' | 'detection_filter', value: string): ThresholdSpec | string {
  const spec: Partial<ThresholdSpec> = { keyword, type: keyword === 'detection_filter' ? 'threshold' : undefined };
  for (const part of value.split(',')) {
    const [k, v] = part.trim().split(/\s+/);
    if (k === 'type' && (v === 'limit' || v === 'threshold' || v === 'both')) spec.type = v;
    else if (k === 'track' && (v === 'by_src' || v === 'by_dst' || v === 'by_rule' || v === 'by_both')) spec.track = v;
    else if (k === 'count' && /^\d+$/.test(v ?? '')) spec.count = Number(v);
    else if (k === 'seconds' && /^\d+$/.test(v ?? '')) spec.seconds = Number(v);
    else return `${keyword} part '${part.trim()}' unsupported`;
  }
  if (!spec.type || !spec.track || spec.count === undefined || spec.seconds === undefined) return `${keyword} incomplete`;
  return spec as ThresholdSpec;
}

const HEADER = /^\s*(\S+)\s+(\S+)\s+(\S+|\[[^\]]*(?:\[[^\]]*\][^\]]*)*\])\s+(\S+|\[[^\]]*\])\s+(->|<>)\s+(\S+|\[[^\]]*(?:\[[^\]]*\][^\]]*)*\])\s+(\S+|\[[^\]]*\])\s*\(([\s\S]*)\)\s*$/;

/** Parse one rule line. `line` is the 1-based line number for reports. */
export function parseRule(text: string, line = 0, vars: RuleVariables = new RuleVariables()): ParseResult {
  try {
    return parseRuleUnsafe(text, line, vars);
  } catch (e) {
    // Defensive: the parser is written not to throw; if it ever does, the rule is reported, not lost.
    return { ok: false, skip: { keyword: 'parser', reason: `internal parser error: ${(e as Error).message}`, line } };
  }
}

/** What the option keywords of one rule build up, before the rule is assembled. */
interface RuleDraft {
  msg: string;
  gid: number;
  rev: number;
  classtype: string;
  priority: number | null;
  sid: number | null;
  references: string[];
  metadata: Record<string, string[]>;
  flow: FlowOptions;
  flowbits: FlowbitOp[];
  threshold: ThresholdSpec | null;
  target: Rule['target'];
  /** Flat op list with buffer per op, grouped at the end (legacy modifiers move ops). */
  ops: { buffer: BufferName; op: MatchOp }[];
  sticky: BufferName;
  lastContent: { buffer: BufferName; op: ContentOp } | null;
  lastPositional: { buffer: BufferName; op: MatchOp } | null;
}

/** Applies one option to the draft; returns why the rule cannot be loaded, or null. */
type OptionParser = (d: RuleDraft, kw: string, value: string | null) => string | null;

const NUMBER = /^\d+$/;

/** Why a content modifier cannot apply. */
function withoutContent(kw: string): string {
  return `${kw} without a preceding content`;
}

function contentOption(d: RuleDraft, _kw: string, value: string | null): string | null {
  let v = (value ?? '').trim();
  let negated = false;
  if (v.startsWith('!')) { negated = true; v = v.slice(1).trim(); }
  const q = unquote(v);
  if (q === null) return 'content must be quoted';
  const bytes = parseContentString(q);
  if (typeof bytes === 'string') return bytes;
  if (bytes.length === 0) return 'empty content';
  const op: ContentOp = {
    kind: 'content', bytes, negated, nocase: false, offset: 0, depth: -1, distance: 0, within: -1,
    relative: false, startswith: false, endswith: false, fastPattern: false, text: q,
  };
  d.lastContent = { buffer: d.sticky, op };
  d.lastPositional = d.lastContent;
  d.ops.push(d.lastContent);
  return null;
}

/** Modifiers of the preceding content without a number: nocase, startswith, endswith, fast_pattern. */
function contentFlagOption(d: RuleDraft, kw: string, value: string | null): string | null {
  const c = d.lastContent?.op;
  if (c === undefined) return withoutContent(kw);
  if (kw === 'nocase') c.nocase = true;
  else if (kw === 'startswith') { c.startswith = true; c.offset = 0; c.depth = c.bytes.length; }
  else if (kw === 'endswith') c.endswith = true;
  else {
    if (value !== null && value !== 'only' && !/^\d+,\d+$/.test(value)) return `fast_pattern:${value} unsupported`;
    c.fastPattern = true;
  }
  return null;
}

/** Positional modifiers of the preceding content: offset, depth, distance, within. */
function contentPositionOption(d: RuleDraft, kw: string, value: string | null): string | null {
  const c = d.lastContent?.op;
  if (c === undefined) return withoutContent(kw);
  if (!/^-?\d+$/.test(value ?? '')) return `${kw} must be a number (byte_extract variables unsupported)`;
  const n = Number(value);
  if (kw === 'offset') c.offset = n;
  else if (kw === 'depth') c.depth = n;
  else if (kw === 'distance') { c.distance = n; c.relative = true; } else { c.within = n; c.relative = true; }
  return null;
}

function flowOption(d: RuleDraft, _kw: string, value: string | null): string | null {
  for (const f of (value ?? '').split(',').map((s) => s.trim())) {
    if (f === 'established') d.flow.established = true;
    else if (f === 'not_established') d.flow.notEstablished = true;
    else if (f === 'stateless' || f === 'only_stream' || f === 'no_frag' || f === 'only_frag') { /* accepted: see README */ } else if (f === 'to_server' || f === 'from_client') d.flow.dir = 0;
    else if (f === 'to_client' || f === 'from_server') d.flow.dir = 1;
    else return `flow option '${f}' unsupported`;
  }
  return null;
}

function sizeOption(d: RuleDraft, kw: string, value: string | null): string | null {
  const s = parseSize(kw as SizeOp['kind'], value ?? '');
  if (typeof s === 'string') return s;
  d.ops.push({ buffer: kw === 'dsize' ? 'pkt' : kw === 'urilen' ? 'http.uri' : d.sticky, op: s });
  return null;
}

/**
 * One small function per option keyword instead of one switch: a rule file is parsed once,
 * and V8 spent ~140 ms optimising the single large function on a background thread that
 * the process then waited for at exit.
 */
const OPTION_PARSERS = new Map<string, OptionParser>([
  ['msg', (d, _kw, value) => {
    const q = value === null ? null : unquote(value);
    if (q === null) return 'msg must be quoted';
    d.msg = q.includes('\\') ? q.replace(/\\(.)/g, '$1') : q;
    return null;
  }],
  ...(['sid', 'rev', 'gid'] as const).map((kw): [string, OptionParser] => [kw, (d, _kw, value) => {
    if (!NUMBER.test(value ?? '')) return `${kw} must be a number`;
    d[kw] = Number(value);
    return null;
  }]),
  ['classtype', (d, kw, value) => needValue(kw, value) ?? (d.classtype = value!, null)],
  ['priority', (d, _kw, value) => { if (!/^[1-4]$/.test(value ?? '')) return 'priority must be 1-4'; d.priority = Number(value); return null; }],
  ['reference', (d, kw, value) => needValue(kw, value) ?? (d.references.push(value!), null)],
  ['metadata', (d, _kw, value) => {
    for (const item of (value ?? '').split(',')) {
      const t = item.trim();
      const sp = t.indexOf(' ');
      if (sp > 0) (d.metadata[t.slice(0, sp)] ??= []).push(t.slice(sp + 1).trim());
    }
    return null;
  }],
  ['target', (d, _kw, value) => {
    if (value !== 'src_ip' && value !== 'dest_ip') return 'target must be src_ip or dest_ip';
    d.target = value;
    return null;
  }],
  ['flow', flowOption],
  ['flowbits', (d, _kw, value) => {
    const fb = parseFlowbits(value ?? '');
    if (typeof fb === 'string') return fb;
    d.flowbits.push(fb);
    return null;
  }],
  ...(['threshold', 'detection_filter'] as const).map((kw): [string, OptionParser] => [kw, (d, _kw, value) => {
    const t = parseThreshold(kw, value ?? '');
    if (typeof t === 'string') return t;
    d.threshold = t;
    return null;
  }]),
  ['content', contentOption],
  ...['nocase', 'startswith', 'endswith', 'fast_pattern'].map((kw): [string, OptionParser] => [kw, contentFlagOption]),
  ...['offset', 'depth', 'distance', 'within'].map((kw): [string, OptionParser] => [kw, contentPositionOption]),
  ['pcre', (d, _kw, value) => {
    const p = parsePcre(value ?? '');
    if (typeof p === 'string') return p;
    const entry = { buffer: d.sticky, op: p as MatchOp };
    d.ops.push(entry);
    d.lastPositional = entry;
    return null;
  }],
  ...['bsize', 'dsize', 'urilen'].map((kw): [string, OptionParser] => [kw, sizeOption]),
  ['isdataat', (d, _kw, value) => {
    const m = /^(!)?\s*(\d+)\s*(,\s*relative)?$/.exec(value ?? '');
    if (!m) return `isdataat:${value} unsupported`;
    d.ops.push({ buffer: d.lastPositional?.buffer ?? d.sticky, op: { kind: 'isdataat', negated: !!m[1], n: Number(m[2]), relative: !!m[3] } });
    return null;
  }],
  ...IGNORED.map((kw): [string, OptionParser] => [kw, () => null]),
]);

/** Applies one option; returns [keyword that stopped the rule, reason] or null. */
function applyOption(d: RuleDraft, kw: string, value: string | null): [string, string] | null {
  const stickyBuf = STICKY.get(kw);
  if (stickyBuf !== undefined) {
    if (value !== null) return [kw, `${kw} takes no value`];
    d.sticky = stickyBuf;
    return null;
  }
  const modBuf = CONTENT_MODIFIER.get(kw);
  if (modBuf !== undefined) {
    const last = d.lastContent;
    if (last === null) return [kw, withoutContent(kw)];
    last.buffer = modBuf;
    const entry = d.ops.find((o) => o.op === last.op);
    if (entry) entry.buffer = modBuf;
    return null;
  }
  const parse = OPTION_PARSERS.get(kw);
  if (parse === undefined) return [kw, `keyword '${kw}' is outside the supported subset`];
  const reason = parse(d, kw, value);
  return reason === null ? null : [kw, reason];
}

/** Where the rule is evaluated, from the buffers it reads; or [keyword, reason] when no single place fits. */
function ruleContext(buffers: BufferOps[], proto: string, flow: FlowOptions): RuleContext | [string, string] {
  const names = buffers.map((b) => b.buffer);
  const appNames = names.filter((n) => n !== 'pkt');
  if (appNames.length === 0) return 'packet';
  if (names.includes('pkt') && buffers.find((b) => b.buffer === 'pkt')!.ops.some((o) => o.kind !== 'dsize')) {
    return ['pkt_data', 'rule mixes raw packet content with app-layer sticky buffers (stream-level matching not implemented)'];
  }
  let context: RuleContext;
  if (appNames.every((n) => n === 'dns.query')) context = 'dns';
  else if (appNames.every((n) => n === 'tls.sni')) context = 'tls';
  else if (appNames.every((n) => n.startsWith('http.') || n === 'file.data')) {
    const req = appNames.some((n) => REQUEST_ONLY.has(n));
    const resp = appNames.some((n) => RESPONSE_ONLY.has(n));
    if (req && resp) return [appNames.find((n) => RESPONSE_ONLY.has(n))!, 'rule mixes HTTP request and response buffers'];
    context = resp ? 'http-response' : req ? 'http-request' : flow.dir === 1 ? 'http-response' : 'http-request';
  } else return [appNames.find((n) => n !== appNames[0]) ?? appNames[0], 'rule mixes buffers of different protocols'];
  const protoOk = proto === 'ip' || proto === 'tcp' || proto === 'udp'
    || (context === 'dns' && proto === 'dns') || (context === 'tls' && proto === 'tls')
    || (context.startsWith('http') && proto === 'http');
  return protoOk ? context : ['proto', `protocol '${proto}' cannot carry buffer ${appNames[0]}`];
}

/** Fast pattern: explicit, else the longest positive content (Suricata's default choice). */
function fastPatternOf(buffers: BufferOps[]): Rule['fastPattern'] {
  let fast: Rule['fastPattern'] = null;
  let best = -1;
  for (const b of buffers) {
    for (const op of b.ops) {
      if (op.kind !== 'content' || op.negated) continue;
      const score = (op.fastPattern ? 1e6 : 0) + op.bytes.length;
      if (score > best) { best = score; fast = { buffer: b.buffer, bytes: op.bytes, nocase: op.nocase }; }
    }
  }
  return fast;
}

function parseRuleUnsafe(text: string, line: number, vars: RuleVariables): ParseResult {
  const sidMatch = /[(;]\s*sid\s*:\s*(\d+)\s*;/.exec(text);
  const sid = sidMatch ? Number(sidMatch[1]) : undefined;
  const skip = (keyword: string, reason: string): ParseResult => ({ ok: false, skip: { sid, keyword, reason, line } });

  if (text.length > 65536) return skip('rule', 'rule text longer than 64 KiB');
  const h = HEADER.exec(text);
  if (!h) return skip('header', 'not a rule header: action proto src sport -> dst dport (options)');
  // Indexed, not destructured, here and below: array destructuring runs the iterator
  // protocol (with the spread of the buffer groups below, ~35 % of this function's profile
  // when parsing 10,000 rules; the whole parse went from 150-170 to 140-152 ms).
  const action = h[1];
  const protoRaw = h[2];
  const dirS = h[5];
  const body = h[8];
  if (!ACTIONS.has(action)) return skip('action', `action '${action}' unknown`);
  if (action === 'pass') return skip('action', 'pass rules are not evaluated (IDS alerting only)');
  const proto = protoRaw.toLowerCase();
  if (!SUPPORTED_PROTOS.has(proto)) return skip('proto', `protocol '${protoRaw}' not supported`);
  const src = parseAddressGroup(h[3], vars);
  if (typeof src === 'string') return skip('header', src);
  const dst = parseAddressGroup(h[6], vars);
  if (typeof dst === 'string') return skip('header', dst);
  const srcPorts = parsePortGroup(h[4], vars);
  if (typeof srcPorts === 'string') return skip('header', srcPorts);
  const dstPorts = parsePortGroup(h[7], vars);
  if (typeof dstPorts === 'string') return skip('header', dstPorts);

  const opts = splitOptions(body);
  if (typeof opts === 'string') return skip('options', opts);
  const d: RuleDraft = {
    msg: '', gid: 1, rev: 1, classtype: '', priority: null, sid: null, references: [], metadata: {},
    flow: { established: false, notEstablished: false, dir: -1 }, flowbits: [], threshold: null, target: null,
    ops: [], sticky: 'pkt', lastContent: null, lastPositional: null,
  };
  for (let i = 0; i < opts.length; i++) {
    const stop = applyOption(d, opts[i][0], opts[i][1]);
    if (stop !== null) return skip(stop[0], stop[1]);
  }
  if (d.sid === null) return skip('sid', 'rule has no sid');
  if (!d.msg) return skip('msg', 'rule has no msg');

  // Group ops per buffer, keeping rule order within each buffer.
  const buffers: BufferOps[] = [];
  for (let i = 0; i < d.ops.length; i++) {
    const { buffer, op } = d.ops[i];
    let group = buffers.find((b) => b.buffer === buffer);
    if (group === undefined) buffers.push(group = { buffer, ops: [] });
    group.ops.push(op);
  }
  const context = ruleContext(buffers, proto, d.flow);
  if (typeof context !== 'string') return skip(context[0], context[1]);

  const cls = classify(d.classtype);
  return {
    ok: true,
    rule: {
      sid: d.sid, gid: d.gid, rev: d.rev, msg: d.msg, classtype: d.classtype, category: cls.description,
      priority: (d.priority ?? cls.priority) as 1 | 2 | 3 | 4,
      action, proto, src, srcPorts, bidirectional: dirS === '<>', dst, dstPorts, flow: d.flow, buffers, flowbits: d.flowbits,
      threshold: d.threshold, references: d.references, metadata: d.metadata, target: d.target, context,
      fastPattern: fastPatternOf(buffers), line, text,
    },
  };
}


export interface RuleFileResult {
  rules: Rule[];
  skipped: RuleSkip[];
  /** Commented-out rules ("#alert …"): counted, not loaded, as Suricata does. */
  disabled: number;
  /** Skip counts by keyword. */
  skippedByKeyword: Record<string, number>;
  duplicates: number;
}

/** Parse a whole rules file (multi-line rules joined on trailing backslash). */
export function parseRules(text: string, vars: RuleVariables = new RuleVariables()): RuleFileResult {
  const rules: Rule[] = [];
  const skipped: RuleSkip[] = [];
  const seen = new Set<string>();
  let disabled = 0;
  let duplicates = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let l = lines[i];
    while (l.endsWith('\\') && i + 1 < lines.length) l = l.slice(0, -1) + lines[++i];
    const t = l.trim();
    if (t === '') continue;
    if (t.startsWith('#')) {
      if (/^#+\s*(alert|drop|reject|pass)\s+\S+\s+\S+\s+\S+\s+(->|<>)/.test(t)) disabled++;
      continue;
    }
    const r = parseRule(t, start + 1, vars);
    if (r.ok) {
      const key = `${r.rule.gid}:${r.rule.sid}`;
      if (seen.has(key)) {
        duplicates++;
        skipped.push({ sid: r.rule.sid, keyword: 'sid', reason: `duplicate sid ${r.rule.sid}`, line: start + 1 });
        continue;
      }
      seen.add(key);
      rules.push(r.rule);
    } else skipped.push(r.skip);
  }
  const skippedByKeyword: Record<string, number> = {};
  for (const s of skipped) skippedByKeyword[s.keyword] = (skippedByKeyword[s.keyword] ?? 0) + 1;
  return { rules, skipped, disabled, skippedByKeyword, duplicates };
}
