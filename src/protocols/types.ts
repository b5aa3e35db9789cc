/**
 * Field shapes of the ProtocolMessage each parser emits (src/events/detector.ts).
 * Parsers and detectors both import these, so the two sides cannot drift apart.
 * All strings are already bounded by the parsers (hostile input cannot make them huge).
 */
import type { DirectionValue, FlowView } from '../events/flow.js';
import type { ProtocolMessage } from '../events/detector.js';

export interface DnsAnswer { name: string; type: number; ttl: number; /** address text for A/AAAA, name for CNAME/PTR/NS, text for TXT */ data: string }
export interface DnsFields {
  id: number;
  /** true for a response */
  response: boolean;
  rcode: number;
  /** first question */
  qname: string;
  qtype: number;
  questions: { name: string; type: number }[];
  answers: DnsAnswer[];
  /** 'udp' | 'tcp'; mDNS uses its own protocol id 'mdns' with the same fields */
  transport: string;
}

export interface TlsClientHelloFields {
  sni: string;
  alpn: string[];
  /** legacy record/handshake version and supported_versions extension values */
  version: number;
  supportedVersions: number[];
  ciphers: number[];
  extensions: number[];
  groups: number[];
  ecPointFormats: number[];
  signatureAlgorithms: number[];
  ja3: string;
  ja3Hash: string;
  ja4: string;
}
export interface TlsServerHelloFields {
  version: number;
  cipher: number;
  extensions: number[];
  ja3s: string;
  ja3sHash: string;
}
export interface TlsCertificateFields {
  /** subject and issuer common names of the first certificate, SAN dNSNames */
  subjectCn: string;
  issuerCn: string;
  sans: string[];
}

export interface HttpRequestFields {
  method: string;
  uri: string;
  host: string;
  userAgent: string;
  version: string;
  headers: [string, string][];
  /** body bytes (decoded, bounded); empty when none */
  body: Uint8Array;
  websocketUpgrade: boolean;
}
export interface HttpResponseFields {
  status: number;
  version: string;
  headers: [string, string][];
  contentType: string;
  /** body after chunked + content decoding, bounded by the parser's body limit */
  body: Uint8Array;
  /** true when the body was cut at the limit or decoding failed part-way */
  bodyTruncated: boolean;
  /** true when the body was passed over unread: no consumer reads this content type (body is empty) */
  bodySkipped?: boolean;
  contentEncoding: string;
  websocketUpgrade: boolean;
}

/** A clear-text login (telnet, FTP): what the client sent and what the server made of it. */
export interface LoginAttemptFields {
  username: string;
  password: string;
  /** true: the server let the client in; false: it refused; undefined: no verdict was seen. */
  success: boolean | undefined;
}

/** Stratum dialects the parser recognises. */
export type StratumDialect = 'stratum-v1' | 'cryptonote' | 'ethereum' | 'stratum-v2' | 'getwork-http';
export interface StratumFields {
  dialect: StratumDialect;
  /** JSON-RPC method for requests/notifications ('mining.subscribe', 'login', 'job', 'eth_submitLogin' …); '' for results */
  method: string;
  /** 'request' | 'response' | 'notification' */
  rpc: 'request' | 'response' | 'notification';
  id: string | number | null;
  /** miner agent (subscribe param / login agent), wallet or worker login, password, algorithms when present */
  agent: string;
  login: string;
  worker: string;
  password: string;
  algorithms: string[];
  /** job/notify/target values a detector can quote as evidence (bounded) */
  jobId: string;
  target: string;
  /** raw line, bounded, for evidence */
  raw: string;
}

export interface DhcpFields {
  messageType: number;
  clientMac: string;
  hostname: string;
  vendorClass: string;
  parameterList: number[];
  requestedIp: string;
  yourIp: string;
}
export interface SsdpFields {
  method: string; // 'M-SEARCH' | 'NOTIFY' | 'RESPONSE'
  st: string;
  nt: string;
  usn: string;
  server: string;
  userAgent: string;
  location: string;
}

/** Where a parser sends what it parsed. */
export type MessageSink = (flow: FlowView, msg: ProtocolMessage) => void;

export function message(protocol: string, kind: string, dir: DirectionValue, tsUs: number, fields: object): ProtocolMessage {
  return { protocol, kind, dir, tsUs, fields: fields as Record<string, unknown> };
}
