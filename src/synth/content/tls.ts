/**
 * TLS records: ClientHello with the extension lists real clients send (Chrome, Firefox,
 * Safari, OpenSSL-based tools such as XMRig and curl, older TLS 1.2-only IoT stacks), SNI and
 * ALPN; ServerHello for a full TLS 1.3 handshake or a resumed TLS 1.2 session (neither needs
 * a plaintext certificate); then opaque application-data records of chosen sizes.
 */
import type { Rng } from '../rng.js';

export type TlsClientProfile = 'chrome' | 'firefox' | 'safari' | 'openssl' | 'tls12-iot';

const GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa];
const G = -1; // placeholder for a GREASE value

interface Profile {
  ciphers: number[];
  extensions: number[];
  groups: number[];
  sigAlgs: number[];
  versions: number[];
  tls13: boolean;
}

const SIG_MODERN = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const PROFILES: Record<TlsClientProfile, Profile> = {
  chrome: {
    ciphers: [G, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    extensions: [G, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 17513, G, 21],
    groups: [G, 0x001d, 0x0017, 0x0018], sigAlgs: SIG_MODERN, versions: [G, 0x0304, 0x0303], tls13: true,
  },
  firefox: {
    ciphers: [0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    extensions: [0, 23, 65281, 10, 11, 35, 16, 5, 34, 51, 43, 13, 45, 28, 21],
    groups: [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101], sigAlgs: [...SIG_MODERN, 0x0203, 0x0201], versions: [0x0304, 0x0303], tls13: true,
  },
  safari: {
    ciphers: [G, 0x1301, 0x1302, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xc02f, 0xcca8, 0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x0035, 0x002f, 0xc008, 0xc012, 0x000a],
    extensions: [G, 0, 23, 65281, 10, 11, 16, 5, 13, 18, 51, 45, 43, 27, G, 21],
    groups: [G, 0x001d, 0x0017, 0x0018, 0x0019], sigAlgs: [...SIG_MODERN, 0x0201], versions: [G, 0x0304, 0x0303, 0x0302, 0x0301], tls13: true,
  },
  openssl: {
    ciphers: [0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff],
    extensions: [0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51],
    groups: [0x001d, 0x0017, 0x001e, 0x0019, 0x0018], sigAlgs: [0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601],
    versions: [0x0304, 0x0303], tls13: true,
  },
  'tls12-iot': {
    ciphers: [0xc02f, 0xc030, 0xc02b, 0xc02c, 0x009e, 0x009f, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x000a],
    extensions: [0, 10, 11, 13, 35, 65281],
    groups: [0x0017, 0x0018, 0x0019], sigAlgs: [0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0201], versions: [], tls13: false,
  },
};

class W {
  readonly b: number[] = [];
  u8(v: number): void { this.b.push(v & 255); }
  u16(v: number): void { this.b.push((v >>> 8) & 255, v & 255); }
  u24(v: number): void { this.b.push((v >>> 16) & 255, (v >>> 8) & 255, v & 255); }
  bytes(x: ArrayLike<number>): void { for (let i = 0; i < x.length; i++) this.b.push(x[i]); }
  /** Writes a length placeholder of `size` bytes; returns a function that fills it in. */
  len(size: 1 | 2 | 3): () => void {
    const at = this.b.length;
    for (let i = 0; i < size; i++) this.b.push(0);
    return () => {
      const n = this.b.length - at - size;
      for (let i = 0; i < size; i++) this.b[at + i] = (n >>> (8 * (size - 1 - i))) & 255;
    };
  }
}

function rand(rng: Rng, n: number): Uint8Array {
  const x = new Uint8Array(n);
  rng.fill(x);
  return x;
}

export interface ClientHelloResult {
  record: Buffer;
  /** the session ID offered, echoed by a resuming TLS 1.2 server */
  sessionId: Uint8Array;
  tls13: boolean;
}

/** A ClientHello record for `sni` (empty string: no SNI) offering `alpn`. */
export function clientHello(rng: Rng, profile: TlsClientProfile, sni: string, alpn: string[]): ClientHelloResult {
  const p = PROFILES[profile];
  const grease = [rng.pick(GREASE), rng.pick(GREASE), rng.pick(GREASE), rng.pick(GREASE)];
  const sessionId = rand(rng, 32);
  const w = new W();
  w.u8(22); w.u16(0x0301);
  const recLen = w.len(2);
  w.u8(1);
  const hsLen = w.len(3);
  w.u16(0x0303);
  w.bytes(rand(rng, 32));
  w.u8(32); w.bytes(sessionId);
  const cLen = w.len(2);
  for (const c of p.ciphers) w.u16(c === G ? grease[0] : c);
  cLen();
  w.u8(1); w.u8(0);
  const extLen = w.len(2);
  let greaseExt = 0;
  for (const e of p.extensions) {
    if (e === G) {
      w.u16(greaseExt === 0 ? grease[1] : grease[2] ^ 0x1010);
      w.u16(greaseExt === 0 ? 0 : 1);
      if (greaseExt !== 0) w.u8(0);
      greaseExt++;
      continue;
    }
    if (e === 0 && sni === '') continue;
    if (e === 16 && alpn.length === 0) continue;
    w.u16(e);
    const l = w.len(2);
    switch (e) {
      case 0: {
        const lst = w.len(2);
        w.u8(0);
        const name = Buffer.from(sni, 'ascii');
        w.u16(name.length); w.bytes(name);
        lst();
        break;
      }
      case 5: w.u8(1); w.u16(0); w.u16(0); break;
      case 10: { const g = w.len(2); for (const x of p.groups) w.u16(x === G ? grease[3] : x); g(); break; }
      case 11: if (profile === 'openssl') { w.u8(3); w.u8(0); w.u8(1); w.u8(2); } else { w.u8(1); w.u8(0); } break;
      case 13: { const s = w.len(2); for (const x of p.sigAlgs) w.u16(x); s(); break; }
      case 16: {
        const lst = w.len(2);
        for (const a of alpn) { w.u8(a.length); w.bytes(Buffer.from(a, 'ascii')); }
        lst();
        break;
      }
      case 17513: { const lst = w.len(2); w.u8(2); w.bytes(Buffer.from('h2')); lst(); break; }
      case 27: w.u8(2); w.u16(2); break;
      case 28: w.u16(0x4001); break;
      case 34: w.u16(8); w.u16(0x0403); w.u16(0x0503); w.u16(0x0603); w.u16(0x0203); break;
      case 43: { const v = w.len(1); for (const x of p.versions) w.u16(x === G ? grease[3] : x); v(); break; }
      case 45: w.u8(1); w.u8(1); break;
      case 51: {
        const ks = w.len(2);
        if (p.extensions[0] === G) { w.u16(grease[3]); w.u16(1); w.u8(0); }
        w.u16(0x001d); w.u16(32); w.bytes(rand(rng, 32));
        ks();
        break;
      }
      case 65281: w.u8(0); break;
      case 21: {
        // pad the handshake to 512 bytes the way BoringSSL does for middlebox compatibility
        const cur = w.b.length - 5;
        const padding = Math.max(0, 512 - cur - 2);
        for (let i = 0; i < padding; i++) w.u8(0);
        break;
      }
      default: break; // 18, 22, 23, 35: empty
    }
    l();
  }
  extLen();
  hsLen();
  recLen();
  return { record: Buffer.from(w.b), sessionId, tls13: p.tls13 };
}

/**
 * The server's first flight. TLS 1.3: ServerHello + ChangeCipherSpec + one encrypted record
 * (EncryptedExtensions … Finished, opaque). TLS 1.2: a resumed session (ServerHello echoing
 * the session ID, ChangeCipherSpec, encrypted Finished).
 */
export function serverHello(rng: Rng, ch: ClientHelloResult, certFlightBytes: number): Buffer {
  const w = new W();
  w.u8(22); w.u16(0x0303);
  const recLen = w.len(2);
  w.u8(2);
  const hsLen = w.len(3);
  w.u16(0x0303);
  w.bytes(rand(rng, 32));
  w.u8(32); w.bytes(ch.sessionId);
  w.u16(ch.tls13 ? 0x1301 : 0xc02f);
  w.u8(0);
  const extLen = w.len(2);
  if (ch.tls13) {
    w.u16(51); w.u16(36); w.u16(0x001d); w.u16(32); w.bytes(rand(rng, 32));
    w.u16(43); w.u16(2); w.u16(0x0304);
  } else {
    w.u16(65281); w.u16(1); w.u8(0);
    w.u16(23); w.u16(0);
  }
  extLen();
  hsLen();
  recLen();
  w.bytes([20, 3, 3, 0, 1, 1]);
  if (ch.tls13) {
    opaqueRecord(w, 23, certFlightBytes, rng);
  } else {
    opaqueRecord(w, 22, 40, rng);
  }
  return Buffer.from(w.b);
}

/** The client's second flight: ChangeCipherSpec + encrypted Finished. */
export function clientFinished(rng: Rng, ch: ClientHelloResult): Buffer {
  const w = new W();
  w.bytes([20, 3, 3, 0, 1, 1]);
  if (ch.tls13) opaqueRecord(w, 23, 53, rng);
  else opaqueRecord(w, 22, 40, rng);
  return Buffer.from(w.b);
}

function opaqueRecord(w: W, type: number, len: number, rng: Rng): void {
  w.u8(type); w.u16(0x0303); w.u16(len);
  w.bytes(rand(rng, len));
}

/** Maximum TLS 1.3 ciphertext record payload (16 KB plaintext + content type + tag). */
export const MAX_RECORD = 16401;

/**
 * Writes application-data records carrying `plainLen` bytes in total into `out` at `at`,
 * copying ciphertext from a random pool (cheap: no per-record randomness). Returns the
 * number of bytes written (record headers included).
 */
export function writeAppData(out: Buffer, at: number, plainLen: number, pool: Buffer, poolOffset: number): number {
  let o = at;
  let left = plainLen;
  let src = poolOffset % (pool.length - MAX_RECORD);
  while (left > 0) {
    const n = Math.min(MAX_RECORD, left);
    out[o] = 23; out[o + 1] = 3; out[o + 2] = 3; out[o + 3] = n >>> 8; out[o + 4] = n & 255;
    pool.copy(out, o + 5, src, src + n);
    o += 5 + n;
    left -= n;
    src = (src + 7919) % (pool.length - MAX_RECORD);
  }
  return o - at;
}
