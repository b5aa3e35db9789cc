/**
 * Protocol messages for tests: the fields a test gives, typed by the contract
 * (events/messages.ts: a wrong field name or type fails to compile), completed with empty
 * values for the rest, so the message has exactly the shape a parser emits.
 */
import type { DirectionValue } from '../../src/events/flow.js';
import { messageFieldsSchema, type MessageFields, type MessageKind, type ProtocolId, type ProtocolMessage } from '../../src/events/messages.js';

const EMPTY = new Uint8Array(0);
const dns = () => ({
  id: 0, response: false, flags: 0, rcode: 0, opcode: 0, qname: '', qtype: 1, questions: [], answers: [], qdcount: 0, ancount: 0, nscount: 0, arcount: 0,
  authorities: [], additionals: [], transport: 'udp',
});
const login = () => ({ username: '', password: '', success: undefined });

/** Empty fields of every kind (a kind not listed here has the fields of its protocol's first entry). */
const EMPTY_FIELDS: { [P in ProtocolId]: () => Record<string, unknown> } = {
  dns,
  mdns: () => ({ ...dns(), hints: { hostnames: [], serviceTypes: [], instances: [], txt: [], model: '' } }),
  tls: () => ({}),
  http: () => ({}),
  stratum: () => ({ dialect: 'stratum-v1', method: '', rpc: 'request', id: null, agent: '', login: '', worker: '', password: '', algorithms: [], jobId: '', target: '', raw: '' }),
  telnet: () => ({}),
  ftp: login,
  ssh: () => ({ clientSoftware: '', serverSoftware: '', kexDone: false, clientChunks: 0, clientBytes: 0, serverChunks: 0, serverBytes: 0, durationUs: 0 }),
  redis: () => ({}),
  dhcp: () => ({
    op: 1, xid: 0, messageType: 0, clientMac: '', clientIp: '0.0.0.0', hostname: '', vendorClass: '', parameterList: [], requestedIp: '', yourIp: '0.0.0.0',
    serverId: '', clientId: '', leaseTime: -1, options: [], fqdn: '',
  }),
  netbios: () => ({ opcode: 0, response: false, rcode: 0, name: '', suffix: 0, group: false, address: '' }),
  ssdp: () => ({ method: 'M-SEARCH', st: '', nt: '', usn: '', server: '', userAgent: '', location: '', nts: '', man: '', mx: '', status: 0, headers: [] }),
};

const EMPTY_KIND: Record<string, () => Record<string, unknown>> = {
  'tls.client_hello': () => ({
    sni: '', alpn: [], version: 0x0303, supportedVersions: [], ciphers: [], compressionMethods: [], extensions: [], groups: [], ecPointFormats: [],
    signatureAlgorithms: [], ja3: '', ja3Hash: '', ja4: '', ja4Raw: '',
  }),
  'tls.server_hello': () => ({ version: 0x0303, selectedVersion: 0, cipher: 0, extensions: [], alpn: '', ja3s: '', ja3sHash: '' }),
  'tls.certificate': () => ({ subjectCn: '', issuerCn: '', sans: [] }),
  'http.request': () => ({
    method: 'GET', uri: '/', host: '', userAgent: '', version: 'HTTP/1.1', headers: [], contentType: '', contentEncoding: '', body: EMPTY,
    bodyTruncated: false, bodyLength: 0, websocketUpgrade: false,
  }),
  'http.response': () => ({
    status: 200, reason: 'OK', version: 'HTTP/1.1', headers: [], contentType: '', contentEncoding: '', body: EMPTY, bodyTruncated: false, bodyLength: 0,
    websocketUpgrade: false, requestMethod: '', requestUri: '',
  }),
  'http.websocket': () => ({ uri: '', host: '', origin: '', userAgent: '', protocol: '', extensions: '' }),
  'http.websocket_frame': () => ({ opcode: 1, fin: true, masked: false, compressed: false, length: 0, text: '', truncated: false }),
  'telnet.login_attempt': login,
  'telnet.command': () => ({ line: '' }),
  'redis.command': () => ({ command: '', args: [], argCount: 0, truncated: false }),
  'redis.reply': () => ({ ok: true, text: 'OK' }),
};

/** Empty fields of a (protocol, kind): every field the contract declares, with a neutral value. */
export function emptyFields<P extends ProtocolId, K extends MessageKind<P>>(protocol: P, kind: K): MessageFields<P, K> {
  const make = EMPTY_KIND[`${protocol}.${kind}`] ?? EMPTY_FIELDS[protocol];
  return make() as MessageFields<P, K>;
}

/** A message of `protocol` and `kind` with `fields` over the empty ones (checked against the contract's schema). */
export function msg<P extends ProtocolId, K extends MessageKind<P>>(
  protocol: P, kind: K, fields: Partial<MessageFields<P, K>> = {}, dir: DirectionValue = 0, tsUs = 1_700_000_000_000_000,
): ProtocolMessage<P> {
  return assertMessage({ protocol, kind, dir, tsUs, fields: { ...emptyFields(protocol, kind), ...fields } } as unknown as ProtocolMessage) as ProtocolMessage<P>;
}

/**
 * The first way `m` departs from the contract (events/messages.ts): an unknown protocol or
 * kind, or fields of the wrong shape (missing, extra or mistyped); null when it conforms.
 */
export function contractProblem(m: { protocol: string; kind: string; dir: number; tsUs: number; fields: unknown }): string | null {
  const schema = messageFieldsSchema(m.protocol, m.kind);
  if (!schema) return `${m.protocol}.${m.kind}: no such message in the contract`;
  if (m.dir !== 0 && m.dir !== 1) return `${m.protocol}.${m.kind}: dir ${m.dir}`;
  if (!Number.isFinite(m.tsUs)) return `${m.protocol}.${m.kind}: tsUs ${m.tsUs}`;
  const r = schema.safeParse(m.fields);
  if (!r.success) return `${m.protocol}.${m.kind}: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(fields)'}: ${i.message}`).join('; ')}`;
  if (m.protocol === 'stratum') {
    const f = m.fields as { method: string };
    if (m.kind !== (f.method || 'response')) return `stratum.${m.kind}: the kind of a Stratum message is its method, or 'response' (method "${f.method}")`;
  }
  return null;
}

/** Throws when `m` departs from the contract. */
export function assertMessage(m: ProtocolMessage): ProtocolMessage {
  const problem = contractProblem(m);
  if (problem) throw new Error(`message outside the contract: ${problem}`);
  return m;
}
