/**
 * TLS fingerprints: JA3 / JA3S (Salesforce: decimal values joined with '-', md5) and JA4
 * (FoxIO JA4 spec: `t13d1516h2_<sha256(sorted ciphers)[:12]>_<sha256(sorted extensions
 * without SNI/ALPN _ signature algorithms in wire order)[:12]>`). GREASE values (RFC 8701)
 * are ignored everywhere.
 */
import * as crypto from 'node:crypto';

// crypto.hash (Node ≥ 20.12) is a one-shot digest about twice as fast as createHash().
const oneShotHash = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

/**
 * Digests already computed, per algorithm: a network's clients share a handful of TLS
 * stacks, so the same JA3/JA4 strings come back on most connections (three digests per
 * ClientHello otherwise). Emptied when full.
 */
const DIGEST_MEMO_LIMIT = 4096;
const digestMemo = { md5: new Map<string, string>(), sha256: new Map<string, string>() };

/** Hex digest of an ASCII string. */
function digestHex(alg: 'md5' | 'sha256', s: string): string {
  const memo = digestMemo[alg];
  let hex = memo.get(s);
  if (hex === undefined) {
    hex = oneShotHash ? oneShotHash(alg, s, 'hex') : crypto.createHash(alg).update(s, 'latin1').digest('hex');
    if (memo.size >= DIGEST_MEMO_LIMIT) memo.clear();
    memo.set(s, hex);
  }
  return hex;
}

/** RFC 8701 GREASE: 0x?a?a with both bytes equal. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

function joinDecimal(values: readonly number[]): string {
  let out = '';
  for (const v of values) {
    if (isGrease(v)) continue;
    out += out.length ? '-' + v : String(v);
  }
  return out;
}

export function md5Hex(s: string): string {
  return digestHex('md5', s);
}

export interface Ja3Input {
  version: number;
  ciphers: readonly number[];
  extensions: readonly number[];
  groups: readonly number[];
  ecPointFormats: readonly number[];
}

/** JA3 string `version,ciphers,extensions,groups,pointformats` and its md5. */
export function ja3(h: Ja3Input): { text: string; hash: string } {
  const text = `${h.version},${joinDecimal(h.ciphers)},${joinDecimal(h.extensions)},${joinDecimal(h.groups)},${joinDecimal(h.ecPointFormats)}`;
  return { text, hash: md5Hex(text) };
}

/** JA3S string `version,cipher,extensions` and its md5. */
export function ja3s(version: number, cipher: number, extensions: readonly number[]): { text: string; hash: string } {
  const text = `${version},${cipher},${joinDecimal(extensions)}`;
  return { text, hash: md5Hex(text) };
}

const JA4_VERSION: Record<number, string> = {
  0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2',
  0xfeff: 'd1', 0xfefd: 'd2', 0xfefc: 'd3',
};

export interface Ja4Input {
  /** 't' TLS over TCP, 'q' QUIC, 'd' DTLS. */
  transport?: 't' | 'q' | 'd';
  /** ClientHello legacy version (used when there is no supported_versions extension). */
  version: number;
  /** supported_versions values, empty when the extension is absent. */
  supportedVersions: readonly number[];
  /** True when the SNI extension (0x0000) is present. */
  hasSni: boolean;
  ciphers: readonly number[];
  extensions: readonly number[];
  /** Raw bytes of the first ALPN protocol, null when there is none. */
  alpnFirst: Uint8Array | null;
  signatureAlgorithms: readonly number[];
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function hex4(v: number): string {
  return HEX2[(v >> 8) & 0xff] + HEX2[v & 0xff];
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** The two ALPN characters of JA4_a: first and last char, or hex nibbles when either is not alphanumeric. */
export function ja4Alpn(first: Uint8Array | null): string {
  if (!first || first.length === 0) return '00';
  const a = first[0];
  const z = first[first.length - 1];
  if (isAlnum(a) && isAlnum(z)) return String.fromCharCode(a) + String.fromCharCode(z);
  return (a >> 4).toString(16) + (z & 0xf).toString(16);
}

function hash12(s: string): string {
  return digestHex('sha256', s).slice(0, 12);
}

function twoDigits(n: number): string {
  return n > 99 ? '99' : n < 10 ? '0' + n : String(n);
}

/** Comma-joined 4-hex-digit list of the non-GREASE values, sorted or in wire order. */
function hexList(values: readonly number[], sorted: boolean, dropSniAlpn: boolean): string {
  const kept = new Uint16Array(values.length);
  let n = 0;
  for (const v of values) {
    if (isGrease(v) || (dropSniAlpn && (v === 0x0000 || v === 0x0010))) continue;
    kept[n++] = v;
  }
  const list = sorted ? kept.subarray(0, n).sort() : kept.subarray(0, n);
  let out = '';
  for (let i = 0; i < n; i++) out += i ? ',' + hex4(list[i]) : hex4(list[i]);
  return out;
}

function countNonGrease(values: readonly number[]): number {
  let n = 0;
  for (const v of values) if (!isGrease(v)) n++;
  return n;
}

/** JA4 fingerprint and its raw (sorted) form JA4_r. */
export function ja4(h: Ja4Input): { fingerprint: string; raw: string } {
  let version = h.version;
  let best = -1;
  for (const v of h.supportedVersions) if (!isGrease(v) && v > best) best = v;
  if (best >= 0) version = best;
  const a = `${h.transport ?? 't'}${JA4_VERSION[version] ?? '00'}${h.hasSni ? 'd' : 'i'}${twoDigits(countNonGrease(h.ciphers))}${twoDigits(countNonGrease(h.extensions))}${ja4Alpn(h.alpnFirst)}`;
  const b = hexList(h.ciphers, true, false);
  const sortedExts = hexList(h.extensions, true, true);
  const sigText = hexList(h.signatureAlgorithms, false, false);
  const c = sigText ? `${sortedExts}_${sigText}` : sortedExts;
  const bHash = b ? hash12(b) : '000000000000';
  const cHash = sortedExts ? hash12(c) : '000000000000';
  return { fingerprint: `${a}_${bHash}_${cHash}`, raw: `${a}_${b}_${c}` };
}
