/**
 * TLS handshake parser: record-layer reassembly across segments, ClientHello, ServerHello and
 * (TLS ≤ 1.2) the first certificate of the Certificate message, with JA3/JA3S/JA4.
 *
 * When the consumer says DONE: each direction is finished once nothing readable can follow —
 * the client after its ClientHello, the server after its Certificate (TLS ≤ 1.2) or right
 * after a TLS 1.3 ServerHello (everything later is encrypted), either side at
 * ChangeCipherSpec/application data. DONE when both are finished, so a TLS flow costs only
 * its first few kilobytes.
 *
 * Messages: 'client_hello', 'server_hello', 'certificate', then 'handshake_done' (no fields,
 * the server's direction) once the server side finished its readable handshake that way —
 * not after a parse error or a gap. From there on the flow carries ciphertext, which the
 * rule engine then stops scanning for raw content, as Suricata's default
 * `encryption-handling` does.
 *
 * Bounds: records ≤ 18 432 bytes payload, one handshake message buffered ≤ 64 KiB (a
 * certificate is parsed as soon as its first certificate is complete), ≤ 1024 ciphers,
 * ≤ 128 extensions, ≤ 16 ALPN values, names ≤ 255 characters, ≤ 64 SAN names.
 */
import { ReasonCounter } from '../events/counters.js';
import { ConsumerVerdict, type ConsumerVerdictValue } from '../events/stream.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { message, type MessageSink, type TlsCertificateFields, type TlsClientHelloFields, type TlsServerHelloFields, type AppConsumer, type ParseResult } from './types.js';
import { ja3, ja3s, ja4 } from './tls-fingerprint.js';
import { ByteQueue } from './bytes.js';

/** Re-exported for callers that took it from here. */
export { ByteQueue };

export const TLS_MAX_RECORD = 16384 + 2048;
export const TLS_MAX_HANDSHAKE = 64 * 1024;
const MAX_CIPHERS = 1024;
const MAX_EXTENSIONS = 128;
const MAX_ALPN = 16;
const MAX_NAME = 255;
const MAX_SANS = 64;

export const ContentType = { CHANGE_CIPHER_SPEC: 20, ALERT: 21, HANDSHAKE: 22, APPLICATION_DATA: 23 } as const;
export const HandshakeType = { CLIENT_HELLO: 1, SERVER_HELLO: 2, CERTIFICATE: 11 } as const;

/** A parsed ClientHello / ServerHello: the fields of the 'tls' messages (events/messages.ts). */
export type ParsedClientHello = TlsClientHelloFields;
export type ParsedServerHello = TlsServerHelloFields;

function u16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}
function u24(b: Uint8Array, p: number): number {
  return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
}
function latin1(b: Uint8Array, start: number, end: number, max: number): string {
  const stop = Math.min(end, start + max);
  let s = '';
  for (let i = start; i < stop; i++) s += String.fromCharCode(b[i]);
  return s;
}

/**
 * Parses a ClientHello handshake body (after the 4-byte handshake header). Never throws.
 */
export function parseClientHello(b: Uint8Array, start = 0, end = b.length): ParseResult<ParsedClientHello> {
  let p = start;
  if (end - p < 38) return { ok: false, reason: 'client-hello-short' };
  const version = u16(b, p);
  p += 34;
  const sidLen = b[p];
  p += 1 + sidLen;
  if (sidLen > 32 || p + 2 > end) return { ok: false, reason: 'client-hello-bad-session-id' };
  const cipherLen = u16(b, p);
  p += 2;
  if (cipherLen & 1 || p + cipherLen > end) return { ok: false, reason: 'client-hello-bad-ciphers' };
  const ciphers: number[] = [];
  for (let i = 0; i < cipherLen && ciphers.length < MAX_CIPHERS; i += 2) ciphers.push(u16(b, p + i));
  p += cipherLen;
  if (p >= end) return { ok: false, reason: 'client-hello-bad-compression' };
  const compLen = b[p];
  if (p + 1 + compLen > end) return { ok: false, reason: 'client-hello-bad-compression' };
  const compressionMethods: number[] = [];
  for (let i = 0; i < compLen; i++) compressionMethods.push(b[p + 1 + i]);
  p += 1 + compLen;
  const extensions: number[] = [];
  const supportedVersions: number[] = [];
  const groups: number[] = [];
  const ecPointFormats: number[] = [];
  const signatureAlgorithms: number[] = [];
  const alpn: string[] = [];
  let alpnFirst: Uint8Array | null = null;
  let sni = '';
  let hasSni = false;
  if (p + 2 <= end) {
    const extLen = u16(b, p);
    p += 2;
    const extEnd = p + extLen;
    if (extEnd > end) return { ok: false, reason: 'client-hello-bad-extensions' };
    while (p + 4 <= extEnd) {
      const type = u16(b, p);
      const len = u16(b, p + 2);
      const d = p + 4;
      const dEnd = d + len;
      if (dEnd > extEnd) return { ok: false, reason: 'client-hello-bad-extension-length' };
      if (extensions.length < MAX_EXTENSIONS) extensions.push(type);
      switch (type) {
        case 0x0000: {
          hasSni = true;
          // server_name_list: u16 length, then (type u8, u16 length, name)
          let q = d + 2;
          while (q + 3 <= dEnd) {
            const nameLen = u16(b, q + 1);
            if (q + 3 + nameLen > dEnd) break;
            if (b[q] === 0 && sni === '') sni = latin1(b, q + 3, q + 3 + nameLen, MAX_NAME);
            q += 3 + nameLen;
          }
          break;
        }
        case 0x0010: {
          let q = d + 2;
          while (q < dEnd) {
            const l = b[q];
            if (q + 1 + l > dEnd) break;
            if (alpnFirst === null) alpnFirst = b.slice(q + 1, q + 1 + l);
            if (alpn.length < MAX_ALPN) alpn.push(latin1(b, q + 1, q + 1 + l, MAX_NAME));
            q += 1 + l;
          }
          break;
        }
        case 0x002b:
          for (let q = d + 1; q + 2 <= dEnd && q + 2 <= d + 1 + b[d]; q += 2) supportedVersions.push(u16(b, q));
          break;
        case 0x000a:
          for (let q = d + 2; q + 2 <= dEnd && q + 2 <= d + 2 + u16(b, d) && groups.length < MAX_CIPHERS; q += 2) groups.push(u16(b, q));
          break;
        case 0x000b:
          for (let q = d + 1; q < dEnd && q < d + 1 + b[d]; q++) ecPointFormats.push(b[q]);
          break;
        case 0x000d:
          for (let q = d + 2; q + 2 <= dEnd && q + 2 <= d + 2 + u16(b, d) && signatureAlgorithms.length < MAX_CIPHERS; q += 2) signatureAlgorithms.push(u16(b, q));
          break;
      }
      p = dEnd;
    }
  }
  const j3 = ja3({ version, ciphers, extensions, groups, ecPointFormats });
  const j4 = ja4({ version, supportedVersions, hasSni, ciphers, extensions, alpnFirst, signatureAlgorithms });
  return {
    ok: true,
    value: {
      sni, alpn, version, supportedVersions, ciphers, extensions, groups, ecPointFormats, signatureAlgorithms,
      ja3: j3.text, ja3Hash: j3.hash, ja4: j4.fingerprint, ja4Raw: j4.raw, compressionMethods,
    },
  };
}

/** Parses a ServerHello handshake body. Never throws. */
export function parseServerHello(b: Uint8Array, start = 0, end = b.length): ParseResult<ParsedServerHello> {
  let p = start;
  if (end - p < 38) return { ok: false, reason: 'server-hello-short' };
  const version = u16(b, p);
  p += 34;
  const sidLen = b[p];
  p += 1 + sidLen;
  if (sidLen > 32 || p + 3 > end) return { ok: false, reason: 'server-hello-bad-session-id' };
  const cipher = u16(b, p);
  p += 3; // cipher + compression method
  const extensions: number[] = [];
  let selectedVersion = 0;
  let alpn = '';
  if (p + 2 <= end) {
    const extEnd = p + 2 + u16(b, p);
    p += 2;
    if (extEnd > end) return { ok: false, reason: 'server-hello-bad-extensions' };
    while (p + 4 <= extEnd) {
      const type = u16(b, p);
      const len = u16(b, p + 2);
      const d = p + 4;
      if (d + len > extEnd) return { ok: false, reason: 'server-hello-bad-extension-length' };
      if (extensions.length < MAX_EXTENSIONS) extensions.push(type);
      if (type === 0x002b && len === 2) selectedVersion = u16(b, d);
      if (type === 0x0010 && len >= 3 && d + 3 + b[d + 2] <= d + len) alpn = latin1(b, d + 3, d + 3 + b[d + 2], MAX_NAME);
      p = d + len;
    }
  }
  const j = ja3s(version, cipher, extensions);
  return { ok: true, value: { version, cipher, extensions, ja3s: j.text, ja3sHash: j.hash, selectedVersion, alpn } };
}

// ---- a small bounded DER walker for the first certificate ----

let derTag = 0;
let derLen = 0;
/** The tag read by the last derHeader call (a function so type narrowing cannot go stale). */
function lastTag(): number {
  return derTag;
}
/** Reads a TLV header at p; returns the content offset (derTag/derLen set) or -1. */
function derHeader(b: Uint8Array, p: number, end: number): number {
  if (p + 2 > end) return -1;
  derTag = b[p];
  let len = b[p + 1];
  p += 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > end) return -1;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
    p += n;
  }
  if (p + len > end) return -1;
  derLen = len;
  return p;
}

function derString(b: Uint8Array, tag: number, start: number, end: number): string {
  if (tag === 0x1e) {
    // BMPString: UTF-16BE
    let s = '';
    for (let i = start; i + 1 < end && s.length < MAX_NAME; i += 2) s += String.fromCharCode(u16(b, i));
    return s;
  }
  if (tag === 0x0c) return Buffer.from(b.buffer, b.byteOffset + start, Math.min(end - start, MAX_NAME * 4)).toString('utf8').slice(0, MAX_NAME);
  return latin1(b, start, end, MAX_NAME);
}

/** First commonName (OID 2.5.4.3) in a Name (content bounds). */
function nameCommonName(b: Uint8Array, start: number, end: number): string {
  let p = start;
  while (p < end) {
    const setStart = derHeader(b, p, end);
    if (setStart < 0) return '';
    const setEnd = setStart + derLen;
    let q = setStart;
    while (q < setEnd) {
      const atvStart = derHeader(b, q, setEnd);
      if (atvStart < 0) return '';
      const atvEnd = atvStart + derLen;
      const oidStart = derHeader(b, atvStart, atvEnd);
      if (oidStart >= 0 && lastTag() === 0x06 && derLen === 3 && b[oidStart] === 0x55 && b[oidStart + 1] === 0x04 && b[oidStart + 2] === 0x03) {
        const vStart = derHeader(b, oidStart + 3, atvEnd);
        if (vStart >= 0) return derString(b, lastTag(), vStart, vStart + derLen);
      }
      q = atvEnd;
    }
    p = setEnd;
  }
  return '';
}

function sanNames(b: Uint8Array, start: number, end: number, out: string[]): void {
  const seqStart = derHeader(b, start, end);
  if (seqStart < 0 || lastTag() !== 0x30) return;
  const seqEnd = seqStart + derLen;
  let p = seqStart;
  while (p < seqEnd && out.length < MAX_SANS) {
    const v = derHeader(b, p, seqEnd);
    if (v < 0) return;
    if (lastTag() === 0x82) out.push(latin1(b, v, v + derLen, MAX_NAME));
    p = v + derLen;
  }
}

/** Parses one X.509 certificate (DER) for subject/issuer CN and SAN dNSNames. Never throws. */
export function parseCertificate(b: Uint8Array, start = 0, end = b.length): ParseResult<TlsCertificateFields> {
  const certStart = derHeader(b, start, end);
  if (certStart < 0 || lastTag() !== 0x30) return { ok: false, reason: 'cert-not-sequence' };
  const tbsStart = derHeader(b, certStart, certStart + derLen);
  if (tbsStart < 0 || lastTag() !== 0x30) return { ok: false, reason: 'cert-bad-tbs' };
  const tbsEnd = tbsStart + derLen;
  let p = tbsStart;
  let field = 0; // index among serial, sigAlg, issuer, validity, subject, spki
  let issuerCn = '';
  let subjectCn = '';
  const sans: string[] = [];
  while (p < tbsEnd) {
    const c = derHeader(b, p, tbsEnd);
    if (c < 0) return { ok: false, reason: 'cert-bad-field' };
    const tag = lastTag();
    const cEnd = c + derLen;
    if (tag === 0xa0) { p = cEnd; continue; } // [0] version
    if (tag === 0xa3) {
      // [3] extensions: SEQUENCE OF Extension { extnID, critical?, extnValue OCTET STRING }
      const listStart = derHeader(b, c, cEnd);
      if (listStart < 0) break;
      const listEnd = listStart + derLen;
      let q = listStart;
      while (q < listEnd) {
        const e = derHeader(b, q, listEnd);
        if (e < 0) break;
        const eEnd = e + derLen;
        const oid = derHeader(b, e, eEnd);
        if (oid >= 0 && lastTag() === 0x06 && derLen === 3 && b[oid] === 0x55 && b[oid + 1] === 0x1d && b[oid + 2] === 0x11) {
          let r = oid + 3;
          let v = derHeader(b, r, eEnd);
          if (v >= 0 && lastTag() === 0x01) { r = v + derLen; v = derHeader(b, r, eEnd); }
          if (v >= 0 && lastTag() === 0x04) sanNames(b, v, v + derLen, sans);
        }
        q = eEnd;
      }
    } else if (tag === 0x30 || tag === 0x02) {
      if (field === 2) issuerCn = nameCommonName(b, c, cEnd);
      else if (field === 4) subjectCn = nameCommonName(b, c, cEnd);
      field++;
    }
    p = cEnd;
  }
  return { ok: true, value: { subjectCn, issuerCn, sans } };
}

/**
 * First certificate of a Certificate handshake body, parsed as soon as its bytes are present
 * (the rest of the chain may still be missing). Returns null when more bytes are needed.
 */
function firstCertificate(b: Uint8Array, start: number, end: number): ParseResult<TlsCertificateFields> | null {
  if (end - start < 6) return null;
  const listLen = u24(b, start);
  if (listLen === 0) return { ok: false, reason: 'cert-empty-list' };
  const certLen = u24(b, start + 3);
  if (certLen + 3 > listLen) return { ok: false, reason: 'cert-bad-length' };
  if (start + 6 + certLen > end) return null;
  return parseCertificate(b, start + 6, start + 6 + certLen);
}

// ---- consumer ----

export interface TlsConsumerOptions {
  /** Claim flows whose first bytes look like a TLS handshake on any port (default true). */
  anyPort?: boolean;
}

interface TlsDir {
  records: ByteQueue | null;
  handshake: ByteQueue | null;
  done: boolean;
  /** A certificate was already reported from a partially buffered message. */
  certSeen: boolean;
  /** A ServerHello was parsed in this direction (it is the server's). */
  serverHello: boolean;
  /** The readable handshake ended cleanly here: 'handshake_done' is due (once). */
  handshakeDone: boolean;
  handshakeDoneSent: boolean;
}
interface TlsState {
  dirs: [TlsDir, TlsDir];
}

/** True when the bytes start like a TLS record (handshake/alert/CCS/appdata, version 3.x). */
export function looksLikeTlsRecord(data: Uint8Array): boolean {
  if (data.length === 0) return false;
  const t = data[0];
  if (t !== ContentType.HANDSHAKE) return false;
  if (data.length >= 2 && data[1] !== 3) return false;
  if (data.length >= 3 && data[2] > 4) return false;
  if (data.length >= 6 && data[5] !== HandshakeType.CLIENT_HELLO && data[5] !== HandshakeType.SERVER_HELLO) return false;
  return true;
}

/** Ports where TLS is expected when `anyPort` is off. */
const TLS_PORTS = new Set([443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 8443]);

export function createTlsConsumer(sink: MessageSink, opts: TlsConsumerOptions = {}): AppConsumer {
  const id = 'tls';
  const anyPort = opts.anyPort ?? true;
  const malformed = new ReasonCounter();
  const stats = new ReasonCounter();

  function newDir(): TlsDir {
    return { records: null, handshake: null, done: false, certSeen: false, serverHello: false, handshakeDone: false, handshakeDoneSent: false };
  }

  /** Handles complete or (for certificates) partial handshake messages in body[0..len). */
  function handshakeBytes(flow: FlowView, dir: DirectionValue, d: TlsDir, payload: Uint8Array, tsUs: number): void {
    let input = payload;
    const hq = d.handshake;
    if (hq && hq.length > 0) {
      if (!hq.push(payload)) { malformed.add('handshake-too-large'); d.done = true; return; }
      input = hq.view();
    }
    let p = 0;
    while (!d.done && input.length - p >= 4) {
      const type = input[p];
      const len = u24(input, p + 1);
      const bodyStart = p + 4;
      if (len > TLS_MAX_HANDSHAKE - 4) {
        if (type === HandshakeType.CERTIFICATE) {
          // Oversized chain: still report its first certificate if it fits in what we keep.
          const cert = firstCertificate(input, bodyStart, input.length);
          if (cert) certificate(flow, dir, d, cert, tsUs);
          else malformed.add('handshake-too-large');
        } else malformed.add('handshake-too-large');
        d.done = true;
        return;
      }
      if (input.length - bodyStart < len) {
        if (type === HandshakeType.CERTIFICATE && !d.certSeen) {
          const cert = firstCertificate(input, bodyStart, input.length);
          if (cert) certificate(flow, dir, d, cert, tsUs);
        }
        break;
      }
      handshakeMessage(flow, dir, d, type, input, bodyStart, bodyStart + len, tsUs);
      p = bodyStart + len;
    }
    if (d.done) { d.handshake?.clear(); return; }
    if (input === payload) {
      if (p < payload.length) {
        if (!d.handshake) d.handshake = new ByteQueue(TLS_MAX_HANDSHAKE, 4096);
        if (!d.handshake.push(payload.subarray(p))) { malformed.add('handshake-too-large'); d.done = true; }
      }
    } else hq!.consume(p);
  }

  function certificate(flow: FlowView, dir: DirectionValue, d: TlsDir, cert: ParseResult<TlsCertificateFields>, tsUs: number): void {
    d.certSeen = true;
    d.done = true;
    if (!cert.ok) { malformed.add(cert.reason); return; }
    stats.add('certificate');
    sink(flow, message('tls', 'certificate', dir, tsUs, cert.value));
  }

  function handshakeMessage(flow: FlowView, dir: DirectionValue, d: TlsDir, type: number, b: Uint8Array, start: number, end: number, tsUs: number): void {
    if (type === HandshakeType.CLIENT_HELLO) {
      const r = parseClientHello(b, start, end);
      d.done = true;
      if (!r.ok) { malformed.add(r.reason); return; }
      stats.add('client_hello');
      sink(flow, message('tls', 'client_hello', dir, tsUs, r.value));
    } else if (type === HandshakeType.SERVER_HELLO) {
      const r = parseServerHello(b, start, end);
      if (!r.ok) { malformed.add(r.reason); d.done = true; return; }
      stats.add('server_hello');
      sink(flow, message('tls', 'server_hello', dir, tsUs, r.value));
      d.serverHello = true;
      // TLS 1.3 encrypts the certificate: nothing more to read on this side.
      if (r.value.selectedVersion === 0x0304) d.done = d.handshakeDone = true;
    } else if (type === HandshakeType.CERTIFICATE) {
      if (!d.certSeen) certificate(flow, dir, d, firstCertificate(b, start, end) ?? { ok: false, reason: 'cert-truncated' }, tsUs);
      d.done = true;
      d.handshakeDone = d.serverHello;
    } else if (type === 14 /* server_hello_done */ || type === 16 /* client_key_exchange */) {
      d.done = true;
      d.handshakeDone = d.serverHello;
    }
  }

  /** Walks whole records in `input`; returns bytes consumed. */
  function records(flow: FlowView, dir: DirectionValue, d: TlsDir, input: Uint8Array, tsUs: number): number {
    let p = 0;
    while (!d.done && input.length - p >= 5) {
      const type = input[p];
      const len = u16(input, p + 3);
      if (input[p + 1] !== 3 || type < 20 || type > 24 || len > TLS_MAX_RECORD) {
        malformed.add('bad-record-header');
        d.done = true;
        return p;
      }
      if (input.length - p - 5 < len) break;
      if (type === ContentType.HANDSHAKE) handshakeBytes(flow, dir, d, input.subarray(p + 5, p + 5 + len), tsUs);
      else if (type !== ContentType.ALERT) {
        // CCS or application data: the rest is encrypted
        d.done = true;
        d.handshakeDone = d.serverHello;
      }
      p += 5 + len;
    }
    return p;
  }

  return {
    id,
    malformed,
    stats,
    accepts(flow, _dir, data) {
      // Miners and pools run TLS on arbitrary ports, so by default the content decides.
      return flow.proto === 6 && (anyPort || TLS_PORTS.has(flow.serverPort)) && looksLikeTlsRecord(data);
    },
    onData(flow, dir, data, tsUs): ConsumerVerdictValue {
      let st = flow.userData.get(id) as TlsState | undefined;
      if (!st) { st = { dirs: [newDir(), newDir()] }; flow.userData.set(id, st); }
      const d = st.dirs[dir];
      if (!d.done) {
        const q = d.records;
        if (q && q.length > 0) {
          if (!q.push(data)) { malformed.add('record-overflow'); d.done = true; }
          else q.consume(records(flow, dir, d, q.view(), tsUs));
        } else {
          const used = records(flow, dir, d, data, tsUs);
          if (!d.done && used < data.length) {
            if (!d.records) d.records = new ByteQueue(TLS_MAX_RECORD + 5, 2048);
            d.records.push(data.subarray(used));
          }
        }
        if (d.done) { d.records = null; d.handshake = null; }
        if (d.handshakeDone && !d.handshakeDoneSent) {
          d.handshakeDoneSent = true;
          stats.add('handshake_done');
          sink(flow, message('tls', 'handshake_done', dir, tsUs, {}));
        }
      }
      return st.dirs[0].done && st.dirs[1].done ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
    },
    onGap(flow, dir) {
      const st = flow.userData.get(id) as TlsState | undefined;
      if (!st) return ConsumerVerdict.CONTINUE;
      const d = st.dirs[dir];
      if (!d.done) { malformed.add('gap'); d.done = true; d.records = null; d.handshake = null; }
      return st.dirs[0].done && st.dirs[1].done ? ConsumerVerdict.DONE : ConsumerVerdict.CONTINUE;
    },
    onEnd(flow) {
      flow.userData.delete(id);
    },
  };
}
