/**
 * The parser → detector contract: every application-layer message a parser emits, by
 * protocol and kind, with the exact fields it carries. Defined once, here at the bottom, as
 * zod schemas; the TypeScript types are inferred from them, so
 * - a parser that emits a field the contract does not declare, or forgets one, fails to
 *   compile (protocols/types.ts `message()` takes the fields of its protocol and kind);
 * - a detector that reads a field no parser emits fails to compile (ProtocolMessage is a
 *   union discriminated on `protocol` and then `kind`: narrowing gives the precise fields);
 * - tests check the messages the parsers really emit against the same schemas at run time
 *   (test/protocols/message-contract.test.ts).
 *
 * Parsers and detectors import only the types: zod is loaded at run time only by whoever
 * validates (the tests). All strings are already bounded by the parsers (hostile input cannot
 * make them huge).
 */
import { z } from 'zod';
import type { DirectionValue } from './flow.js';

const str = z.string();
const num = z.number();
const bool = z.boolean();
const nums = z.array(num);
const strs = z.array(str);
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'a Uint8Array');
/** Header lines in order, as sent: [name, value]. */
const headers = z.array(z.tuple([str, str]));

// ---- DNS and mDNS ---------------------------------------------------------------------------

export const DnsAnswerSchema = z.strictObject({
  name: str,
  type: num,
  ttl: num,
  /** address text for A/AAAA, name for CNAME/PTR/NS, text for TXT */
  data: str,
  /** TXT only: the character-strings (bounded). */
  strings: strs.optional(),
});

export const DnsFieldsSchema = z.strictObject({
  id: num,
  /** true for a response */
  response: bool,
  /** The 16-bit header flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
  flags: num,
  rcode: num,
  opcode: num,
  /** first question */
  qname: str,
  qtype: num,
  questions: z.array(z.strictObject({ name: str, type: num })),
  answers: z.array(DnsAnswerSchema),
  /** Counts claimed by the header. */
  qdcount: num,
  ancount: num,
  nscount: num,
  arcount: num,
  /** Authority and additional records, filled only when the parser reads every section (mDNS). */
  authorities: z.array(DnsAnswerSchema),
  additionals: z.array(DnsAnswerSchema),
  /** 'udp' | 'tcp' */
  transport: str,
});

export const MdnsHintsSchema = z.strictObject({
  /** Host names (…local) from A/AAAA owners, SRV targets and address questions. */
  hostnames: strs,
  /** DNS-SD service types such as `_ipp._tcp.local`. */
  serviceTypes: strs,
  /** Service instance names (`Office Printer._ipp._tcp.local`). */
  instances: strs,
  /** TXT strings that look like key=value. */
  txt: strs,
  /** First model-like TXT value ('' when none). */
  model: str,
});

/** mDNS: a DNS message read in every section, plus device hints. */
export const MdnsFieldsSchema = DnsFieldsSchema.extend({ hints: MdnsHintsSchema });

// ---- TLS ------------------------------------------------------------------------------------

export const TlsClientHelloSchema = z.strictObject({
  sni: str,
  alpn: strs,
  /** legacy record/handshake version and supported_versions extension values */
  version: num,
  supportedVersions: nums,
  ciphers: nums,
  compressionMethods: nums,
  extensions: nums,
  groups: nums,
  ecPointFormats: nums,
  signatureAlgorithms: nums,
  ja3: str,
  ja3Hash: str,
  ja4: str,
  ja4Raw: str,
});

export const TlsServerHelloSchema = z.strictObject({
  version: num,
  /** supported_versions value chosen by a TLS 1.3 server, else 0. */
  selectedVersion: num,
  cipher: num,
  extensions: nums,
  alpn: str,
  ja3s: str,
  ja3sHash: str,
});

export const TlsCertificateSchema = z.strictObject({
  /** subject and issuer common names of the first certificate, SAN dNSNames */
  subjectCn: str,
  issuerCn: str,
  sans: strs,
});

/** Both sides finished the handshake: what follows is encrypted. */
export const TlsHandshakeDoneSchema = z.strictObject({});

// ---- HTTP and WebSocket ---------------------------------------------------------------------

export const HttpRequestSchema = z.strictObject({
  method: str,
  uri: str,
  host: str,
  userAgent: str,
  version: str,
  headers,
  contentType: str,
  contentEncoding: str,
  /** body bytes (decoded, bounded); empty when none */
  body: bytes,
  /** true when the body was cut at the limit or decoding failed part-way */
  bodyTruncated: bool,
  /** Body bytes seen on the wire (before decoding), including any beyond the limit. */
  bodyLength: num,
  websocketUpgrade: bool,
});

export const HttpResponseSchema = z.strictObject({
  status: num,
  reason: str,
  version: str,
  headers,
  contentType: str,
  contentEncoding: str,
  /** body after chunked + content decoding, bounded by the parser's body limit */
  body: bytes,
  /** true when the body was cut at the limit or decoding failed part-way */
  bodyTruncated: bool,
  /** true when the body was passed over unread: no consumer reads this content type (body is empty) */
  bodySkipped: bool.optional(),
  bodyLength: num,
  websocketUpgrade: bool,
  /** Method and URI of the request this response answers ('' when unknown, e.g. mid-stream). */
  requestMethod: str,
  requestUri: str,
});

/** The connection switched to WebSocket (101 to an upgrade request). */
export const WebSocketUpgradeSchema = z.strictObject({
  uri: str,
  host: str,
  origin: str,
  userAgent: str,
  /** Sec-WebSocket-Protocol and -Extensions of the request. */
  protocol: str,
  extensions: str,
});

export const WebSocketFrameSchema = z.strictObject({
  opcode: num,
  fin: bool,
  masked: bool,
  /** RSV1: permessage-deflate compressed. */
  compressed: bool,
  /** Payload length claimed by the header. */
  length: num,
  /** Text of a text frame (decompressed when needed), bounded; '' for other opcodes. */
  text: str,
  /** True when `text` holds less than the whole payload. */
  truncated: bool,
});

// ---- Stratum --------------------------------------------------------------------------------

/** Stratum dialects the parser recognises. */
export const StratumDialectSchema = z.enum(['stratum-v1', 'cryptonote', 'ethereum', 'stratum-v2', 'getwork-http']);

export const StratumFieldsSchema = z.strictObject({
  dialect: StratumDialectSchema,
  /** JSON-RPC method for requests/notifications ('mining.subscribe', 'login', 'job', 'eth_submitLogin' …); '' for results */
  method: str,
  rpc: z.enum(['request', 'response', 'notification']),
  id: z.union([str, num, z.null()]),
  /** miner agent (subscribe param / login agent), wallet or worker login, password, algorithms when present */
  agent: str,
  login: str,
  worker: str,
  password: str,
  algorithms: strs,
  /** job/notify/target values a detector can quote as evidence (bounded) */
  jobId: str,
  target: str,
  /** raw line, bounded, for evidence */
  raw: str,
});

// ---- clear-text logins and commands ---------------------------------------------------------

/** A clear-text login (telnet, FTP): what the client sent and what the server made of it. */
export const LoginAttemptSchema = z.strictObject({
  username: str,
  password: str,
  /** true: the server let the client in; false: it refused; undefined: no verdict was seen. */
  success: bool.optional(),
});

export const TelnetCommandSchema = z.strictObject({ line: str });

/**
 * One SSH connection, summed up when it ends: the identification lines' software, whether
 * both sides finished the key exchange (NEWKEYS), and the encrypted chunks (about one TCP
 * segment each) and bytes each side sent after it.
 */
export const SshConnectionSchema = z.strictObject({
  clientSoftware: str,
  serverSoftware: str,
  kexDone: bool,
  clientChunks: num,
  clientBytes: num,
  serverChunks: num,
  serverBytes: num,
  durationUs: num,
});

export const RedisCommandSchema = z.strictObject({
  /** Upper-cased command name. */
  command: str,
  /** The first arguments, each bounded. */
  args: strs,
  argCount: num,
  /** True when an argument or the argument list was cut. */
  truncated: bool,
});

/** A status (+OK) or error (-ERR …) reply line. */
export const RedisReplySchema = z.strictObject({ ok: bool, text: str });

// ---- DHCP and SSDP --------------------------------------------------------------------------

export const DhcpFieldsSchema = z.strictObject({
  /** 1 = BOOTREQUEST (client), 2 = BOOTREPLY (server). */
  op: num,
  xid: num,
  /** Option 53; 0 when absent (plain BOOTP). */
  messageType: num,
  clientMac: str,
  /** ciaddr, the client's current address. */
  clientIp: str,
  hostname: str,
  vendorClass: str,
  parameterList: nums,
  requestedIp: str,
  yourIp: str,
  /** Option 54. */
  serverId: str,
  /** Option 61 as hex (type byte first). */
  clientId: str,
  /** Option 51, seconds; -1 when absent. */
  leaseTime: num,
  /** Option codes in order of appearance. */
  options: nums,
  /** Option 81 (client FQDN, RFC 4702) as text; '' when absent. */
  fqdn: str,
});

/** A NetBIOS name service datagram (RFC 1001/1002, UDP 137). */
export const NetbiosFieldsSchema = z.strictObject({
  /** Header opcode: 0 query, 5 registration, 6 release, 7 WACK, 8/9 refresh, 15 multi-homed registration. */
  opcode: num,
  response: bool,
  rcode: num,
  /** The NetBIOS name (first-level decoded, trailing spaces removed, up to 15 characters). */
  name: str,
  /** The 16th byte: 0x00 workstation, 0x20 file server, 0x1b–0x1e domain and browser names … */
  suffix: num,
  /** The name is a group name (NB_FLAGS G bit of its address record); false without one. */
  group: bool,
  /** The IPv4 address of the name's NB record ('' without one). */
  address: str,
});

export const SsdpFieldsSchema = z.strictObject({
  method: z.enum(['M-SEARCH', 'NOTIFY', 'RESPONSE']),
  st: str,
  nt: str,
  usn: str,
  server: str,
  userAgent: str,
  location: str,
  /** NTS (ssdp:alive / ssdp:byebye), MAN, MX as sent. */
  nts: str,
  man: str,
  mx: str,
  /** Status code of a RESPONSE, else 0. */
  status: num,
  headers,
});

// ---- the inferred field types ---------------------------------------------------------------

export type DnsAnswer = z.infer<typeof DnsAnswerSchema>;
export type DnsFields = z.infer<typeof DnsFieldsSchema>;
export type MdnsHints = z.infer<typeof MdnsHintsSchema>;
export type MdnsFields = z.infer<typeof MdnsFieldsSchema>;
export type TlsClientHelloFields = z.infer<typeof TlsClientHelloSchema>;
export type TlsServerHelloFields = z.infer<typeof TlsServerHelloSchema>;
export type TlsCertificateFields = z.infer<typeof TlsCertificateSchema>;
export type TlsHandshakeDoneFields = z.infer<typeof TlsHandshakeDoneSchema>;
export type HttpRequestFields = z.infer<typeof HttpRequestSchema>;
export type HttpResponseFields = z.infer<typeof HttpResponseSchema>;
export type WebSocketUpgradeFields = z.infer<typeof WebSocketUpgradeSchema>;
export type WebSocketFrameFields = z.infer<typeof WebSocketFrameSchema>;
export type StratumDialect = z.infer<typeof StratumDialectSchema>;
export type StratumFields = z.infer<typeof StratumFieldsSchema>;
export type LoginAttemptFields = z.infer<typeof LoginAttemptSchema>;
export type TelnetCommandFields = z.infer<typeof TelnetCommandSchema>;
export type SshConnectionFields = z.infer<typeof SshConnectionSchema>;
export type RedisCommandFields = z.infer<typeof RedisCommandSchema>;
export type RedisReplyFields = z.infer<typeof RedisReplySchema>;
export type DhcpFields = z.infer<typeof DhcpFieldsSchema>;
export type SsdpFields = z.infer<typeof SsdpFieldsSchema>;
export type NetbiosFields = z.infer<typeof NetbiosFieldsSchema>;

const DHCP_NAMED_KINDS = [
  'bootp', 'discover', 'offer', 'request', 'decline', 'ack', 'nak', 'release', 'inform',
  'forcerenew', 'leasequery', 'leaseunassigned', 'leaseunknown', 'leaseactive',
] as const;
/** DHCP message kinds: the option-53 names ('bootp' without one), `type_N` for the others. */
export type DhcpKind = (typeof DHCP_NAMED_KINDS)[number] | `type_${number}`;

/**
 * Every protocol id (the parser's id, which its messages carry as `protocol`), each with the
 * kinds of message it emits and their fields. Stratum's kind is the JSON-RPC method
 * ('mining.subscribe', 'login' …, 'response' for results): any string.
 */
export interface MessageKinds {
  mdns: { query: MdnsFields; response: MdnsFields };
  dhcp: { [K in DhcpKind]: DhcpFields };
  ssdp: { 'm-search': SsdpFields; notify: SsdpFields; response: SsdpFields };
  netbios: { query: NetbiosFields; registration: NetbiosFields; release: NetbiosFields; wack: NetbiosFields; refresh: NetbiosFields; other: NetbiosFields };
  dns: { query: DnsFields; response: DnsFields };
  tls: { client_hello: TlsClientHelloFields; server_hello: TlsServerHelloFields; certificate: TlsCertificateFields; handshake_done: TlsHandshakeDoneFields };
  http: { request: HttpRequestFields; response: HttpResponseFields; websocket: WebSocketUpgradeFields; websocket_frame: WebSocketFrameFields };
  stratum: { [method: string]: StratumFields };
  telnet: { login_attempt: LoginAttemptFields; command: TelnetCommandFields };
  ftp: { login_attempt: LoginAttemptFields };
  ssh: { connection: SshConnectionFields };
  redis: { command: RedisCommandFields; reply: RedisReplyFields };
}

export type ProtocolId = keyof MessageKinds;
export type MessageKind<P extends ProtocolId> = keyof MessageKinds[P] & string;
export type MessageFields<P extends ProtocolId, K extends MessageKind<P>> = MessageKinds[P][K];

/** One message of protocol P and kind K. */
export interface TypedMessage<P extends ProtocolId, K extends MessageKind<P>> {
  readonly protocol: P;
  /** Message kind within the protocol ('query', 'client_hello', 'request', 'login_attempt' …). */
  readonly kind: K;
  readonly dir: DirectionValue;
  readonly tsUs: number;
  readonly fields: Readonly<MessageFields<P, K>>;
}

/**
 * A parsed application-layer message (DNS query, TLS hello, HTTP request, Stratum call …):
 * the union over the protocols P (default: all) and each one's kinds. Narrow on `protocol`,
 * then `kind`, and `fields` has the precise type.
 */
export type ProtocolMessage<P extends ProtocolId = ProtocolId> = Extract<AnyMessage, { readonly protocol: P }>;

type AnyMessage = { [Q in ProtocolId]: { [K in MessageKind<Q>]: TypedMessage<Q, K> }[MessageKind<Q>] }[ProtocolId];

type Closed = Exclude<ProtocolId, 'dhcp' | 'stratum'>;
/** The schema of every kind of the protocols with a closed set of kinds (checked against MessageKinds). */
const SCHEMAS = {
  mdns: { query: MdnsFieldsSchema, response: MdnsFieldsSchema },
  ssdp: { 'm-search': SsdpFieldsSchema, notify: SsdpFieldsSchema, response: SsdpFieldsSchema },
  netbios: { query: NetbiosFieldsSchema, registration: NetbiosFieldsSchema, release: NetbiosFieldsSchema, wack: NetbiosFieldsSchema, refresh: NetbiosFieldsSchema, other: NetbiosFieldsSchema },
  dns: { query: DnsFieldsSchema, response: DnsFieldsSchema },
  tls: { client_hello: TlsClientHelloSchema, server_hello: TlsServerHelloSchema, certificate: TlsCertificateSchema, handshake_done: TlsHandshakeDoneSchema },
  http: { request: HttpRequestSchema, response: HttpResponseSchema, websocket: WebSocketUpgradeSchema, websocket_frame: WebSocketFrameSchema },
  telnet: { login_attempt: LoginAttemptSchema, command: TelnetCommandSchema },
  ftp: { login_attempt: LoginAttemptSchema },
  ssh: { connection: SshConnectionSchema },
  redis: { command: RedisCommandSchema, reply: RedisReplySchema },
} satisfies { [P in Closed]: { [K in MessageKind<P>]: z.ZodType<MessageFields<P, K>> } };

const DHCP_KIND = new RegExp(`^(?:${DHCP_NAMED_KINDS.join('|')}|type_\\d+)$`);

/** The schema of the fields of a (protocol, kind), or null when the protocol emits no such kind. */
export function messageFieldsSchema(protocol: string, kind: string): z.ZodType | null {
  if (protocol === 'dhcp') return DHCP_KIND.test(kind) ? DhcpFieldsSchema : null;
  if (protocol === 'stratum') return kind !== '' ? StratumFieldsSchema : null;
  if (!Object.hasOwn(SCHEMAS, protocol)) return null;
  const kinds = SCHEMAS[protocol as Closed] as Record<string, z.ZodType>;
  return Object.hasOwn(kinds, kind) ? kinds[kind] : null;
}
