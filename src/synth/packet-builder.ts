/**
 * Frame construction for the synthetic generators: Ethernet + IPv4/IPv6 + TCP/UDP/ICMP with
 * correct checksums, written into one reusable scratch buffer (no allocation per packet),
 * plus TcpSession (handshake, MSS segmentation with correct seq/ack, ACKs, FIN/RST) and
 * UDP request/response exchanges.
 */

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMP6 = 58;

/** Where frames go: the generators' monotonic pcap emitter, or a test collector. */
export interface FrameSink {
  emit(tsUs: number, frame: Uint8Array): void;
}

/**
 * One direction of a conversation at layers 2 and 3. Flows build two (one per direction)
 * once; the IP ID counter lives here because stacks keep it per destination.
 */
export class Path {
  /** IPv4 addresses as unsigned 32-bit integers (unused for IPv6). */
  src4 = 0;
  dst4 = 0;
  /** IPv6 addresses (16 bytes) or null for IPv4. */
  src6: Uint8Array | null = null;
  dst6: Uint8Array | null = null;
  ipId = 0;
  /** 0 keeps the ID fixed (ZMap's 54321, Linux's 0 with DF on some paths). */
  ipIdStep = 1;
  df = true;
  tos = 0;
  /** IPv6 flow label. */
  flowLabel = 0;

  constructor(
    public srcMac: Uint8Array,
    public dstMac: Uint8Array,
    src: number | Uint8Array,
    dst: number | Uint8Array,
    public ttl = 64,
  ) {
    if (typeof src === 'number' && typeof dst === 'number') {
      this.src4 = src >>> 0;
      this.dst4 = dst >>> 0;
    } else if (typeof src !== 'number' && typeof dst !== 'number') {
      this.src6 = src;
      this.dst6 = dst;
    } else {
      throw new Error('Path: source and destination must be the same IP version');
    }
  }

  get v6(): boolean {
    return this.src6 !== null;
  }

  /** The opposite direction, with its own TTL and IP ID counter. */
  reverse(ttl: number, ipId = 0): Path {
    const p = this.src6 && this.dst6
      ? new Path(this.dstMac, this.srcMac, this.dst6, this.src6, ttl)
      : new Path(this.dstMac, this.srcMac, this.dst4, this.src4, ttl);
    p.ipId = ipId & 0xffff;
    return p;
  }
}

/** One's-complement sum of big-endian 16-bit words of buf[start, end), added to `sum`. */
export function sum16(buf: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  const even = end - ((end - start) & 1);
  for (; i < even; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds a sum into the final 16-bit checksum value (complemented). */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** Writes a 20-byte IPv4 header (with checksum) at `off`. */
export function writeIp4Header(
  b: Uint8Array, off: number, src: number, dst: number, proto: number,
  totalLen: number, id: number, ttl: number, df: boolean, tos = 0,
): void {
  b[off] = 0x45;
  b[off + 1] = tos;
  b[off + 2] = totalLen >>> 8;
  b[off + 3] = totalLen;
  b[off + 4] = id >>> 8;
  b[off + 5] = id;
  b[off + 6] = df ? 0x40 : 0;
  b[off + 7] = 0;
  b[off + 8] = ttl;
  b[off + 9] = proto;
  b[off + 10] = 0;
  b[off + 11] = 0;
  writeU32(b, off + 12, src);
  writeU32(b, off + 16, dst);
  const c = finishChecksum(sum16(b, off, off + 20));
  b[off + 10] = c >>> 8;
  b[off + 11] = c;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = v >>> 16;
  b[off + 2] = v >>> 8;
  b[off + 3] = v;
}

function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v;
}

const ETH = 14;
const MAX_FRAME = 65535 + ETH + 40;

/**
 * Builds frames into one scratch buffer. Each build returns a view of the scratch that is
 * valid until the next build; views are cached per length so building does not allocate.
 */
export class FrameBuilder {
  readonly buf = Buffer.alloc(MAX_FRAME);
  private readonly views: (Uint8Array | undefined)[] = [];

  private view(len: number): Uint8Array {
    let v = this.views[len];
    if (v === undefined) {
      v = this.buf.subarray(0, len);
      this.views[len] = v;
    }
    return v;
  }

  /** Ethernet + IP header for an L4 payload of l4Len bytes; returns the L4 offset. */
  private l3(p: Path, proto: number, l4Len: number): number {
    const b = this.buf;
    b.set(p.dstMac, 0);
    b.set(p.srcMac, 6);
    if (p.src6 !== null && p.dst6 !== null) {
      b[12] = 0x86;
      b[13] = 0xdd;
      b[14] = 0x60 | ((p.tos >>> 4) & 0x0f);
      b[15] = ((p.tos & 0x0f) << 4) | ((p.flowLabel >>> 16) & 0x0f);
      b[16] = p.flowLabel >>> 8;
      b[17] = p.flowLabel;
      writeU16(b, 18, l4Len);
      b[20] = proto;
      b[21] = p.ttl;
      b.set(p.src6, 22);
      b.set(p.dst6, 38);
      return ETH + 40;
    }
    b[12] = 0x08;
    b[13] = 0x00;
    writeIp4Header(b, ETH, p.src4, p.dst4, proto, 20 + l4Len, p.ipId, p.ttl, p.df, p.tos);
    p.ipId = (p.ipId + p.ipIdStep) & 0xffff;
    return ETH + 20;
  }

  /** Pseudo-header sum for the L4 checksum. */
  private pseudo(p: Path, proto: number, l4Len: number): number {
    if (p.src6 !== null && p.dst6 !== null) {
      return sum16(this.buf, 22, 54) + proto + l4Len;
    }
    return (p.src4 >>> 16) + (p.src4 & 0xffff) + (p.dst4 >>> 16) + (p.dst4 & 0xffff) + proto + l4Len;
  }

  /**
   * A TCP segment. `options` must be a multiple of 4 bytes. `payload` may be null; bytes
   * payload[pOff, pOff + pLen) are copied.
   */
  tcp(
    p: Path, sport: number, dport: number, seq: number, ack: number, flags: number, win: number,
    payload: Uint8Array | null, pOff = 0, pLen = 0, options: Uint8Array | null = null, urgent = 0,
  ): Uint8Array {
    const optLen = options === null ? 0 : options.length;
    const hdr = 20 + optLen;
    const l4Len = hdr + pLen;
    const o = this.l3(p, PROTO_TCP, l4Len);
    const b = this.buf;
    writeU16(b, o, sport);
    writeU16(b, o + 2, dport);
    writeU32(b, o + 4, seq);
    writeU32(b, o + 8, ack);
    b[o + 12] = (hdr >>> 2) << 4;
    b[o + 13] = flags;
    writeU16(b, o + 14, win);
    b[o + 16] = 0;
    b[o + 17] = 0;
    writeU16(b, o + 18, urgent);
    if (options !== null) b.set(options, o + 20);
    if (pLen > 0 && payload !== null) copyInto(b, o + hdr, payload, pOff, pLen);
    const c = finishChecksum(sum16(b, o, o + l4Len, this.pseudo(p, PROTO_TCP, l4Len)));
    b[o + 16] = c >>> 8;
    b[o + 17] = c;
    return this.view(o + l4Len);
  }

  udp(p: Path, sport: number, dport: number, payload: Uint8Array | null, pOff = 0, pLen = 0): Uint8Array {
    const l4Len = 8 + pLen;
    const o = this.l3(p, PROTO_UDP, l4Len);
    const b = this.buf;
    writeU16(b, o, sport);
    writeU16(b, o + 2, dport);
    writeU16(b, o + 4, l4Len);
    b[o + 6] = 0;
    b[o + 7] = 0;
    if (pLen > 0 && payload !== null) copyInto(b, o + 8, payload, pOff, pLen);
    let c = finishChecksum(sum16(b, o, o + l4Len, this.pseudo(p, PROTO_UDP, l4Len)));
    if (c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
    writeU16(b, o + 6, c);
    return this.view(o + l4Len);
  }

  /**
   * ICMP (IPv4) or ICMPv6 (IPv6 paths): type, code, the 4 "rest of header" bytes, then the
   * payload (echo data, or the quoted IP header + 8 bytes of an error message).
   */
  icmp(p: Path, type: number, code: number, rest: number, payload: Uint8Array | null, pOff = 0, pLen = 0): Uint8Array {
    const l4Len = 8 + pLen;
    const proto = p.v6 ? PROTO_ICMP6 : PROTO_ICMP;
    const o = this.l3(p, proto, l4Len);
    const b = this.buf;
    b[o] = type;
    b[o + 1] = code;
    b[o + 2] = 0;
    b[o + 3] = 0;
    writeU32(b, o + 4, rest);
    if (pLen > 0 && payload !== null) copyInto(b, o + 8, payload, pOff, pLen);
    const init = p.v6 ? this.pseudo(p, proto, l4Len) : 0;
    const c = finishChecksum(sum16(b, o, o + l4Len, init));
    writeU16(b, o + 2, c);
    return this.view(o + l4Len);
  }
}

function copyInto(dst: Buffer, at: number, src: Uint8Array, off: number, len: number): void {
  if (Buffer.isBuffer(src)) src.copy(dst, at, off, off + len);
  else dst.set(src.subarray(off, off + len), at);
}

/** TCP options of a SYN (MSS, NOP, WS, NOP, NOP, SACK permitted) and its SYN-ACK. */
export function synOptions(mss: number, wscale: number): Uint8Array {
  return Uint8Array.of(2, 4, mss >>> 8, mss & 0xff, 1, 3, 3, wscale, 1, 1, 4, 2);
}
export function synAckOptions(mss: number, wscale: number): Uint8Array {
  return Uint8Array.of(2, 4, mss >>> 8, mss & 0xff, 1, 1, 4, 2, 1, 3, 3, wscale);
}

/** Sender indices for TcpSession. */
export const CLIENT = 0;
export const SERVER = 1;
export type Side = 0 | 1;

/** Per-side TCP parameters. */
export interface TcpSideOptions {
  mss: number;
  wscale: number;
  /** window field after the handshake (scaled) */
  win: number;
  synWin: number;
}

const DEFAULT_SIDE: TcpSideOptions = { mss: 1460, wscale: 7, win: 502, synWin: 64240 };

/**
 * A TCP connection between a client and a server. Keeps both sides' sequence numbers so
 * every segment, ACK and FIN is consistent (tshark's TCP analysis finds nothing to flag).
 * Times are microseconds; every method returns the time of the last frame it emitted.
 */
export class TcpSession {
  /** next sequence number each side will send */
  readonly seq: [number, number];
  /** bytes (segments) received by each side and not yet acknowledged */
  private readonly pendingAck: [number, number] = [0, 0];
  private readonly side: [TcpSideOptions, TcpSideOptions];
  packets = 0;
  bytes = 0;
  /** payload bytes sent by each side */
  readonly payloadBytes: [number, number] = [0, 0];
  closed = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly fb: FrameBuilder,
    readonly paths: [Path, Path],
    readonly ports: [number, number],
    isn: [number, number],
    client: Partial<TcpSideOptions> = {},
    server: Partial<TcpSideOptions> = {},
  ) {
    this.seq = [isn[0] >>> 0, isn[1] >>> 0];
    this.side = [{ ...DEFAULT_SIDE, ...client }, { ...DEFAULT_SIDE, ...server, win: server.win ?? 509, synWin: server.synWin ?? 65160 }];
  }

  private out(t: number, frame: Uint8Array): void {
    this.packets++;
    this.bytes += frame.length;
    this.sink.emit(t, frame);
  }

  private segment(t: number, from: Side, flags: number, data: Uint8Array | null, off: number, len: number, options: Uint8Array | null = null, win = this.side[from].win): void {
    const to = (1 - from) as Side;
    const ackNo = (flags & ACK) !== 0 ? this.seq[to] : 0;
    const f = this.fb.tcp(this.paths[from], this.ports[from], this.ports[to], this.seq[from], ackNo, flags, win, data, off, len, options);
    this.out(t, f);
    this.seq[from] = (this.seq[from] + len + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
    if ((flags & ACK) !== 0) this.pendingAck[from] = 0;
  }

  /** The client's SYN (MSS, window scale, SACK permitted). */
  syn(t: number): number {
    const c = this.side[CLIENT];
    this.segment(t, CLIENT, SYN, null, 0, 0, synOptions(c.mss, c.wscale), c.synWin);
    return t;
  }

  /** The server's SYN-ACK. */
  synAck(t: number): number {
    const s = this.side[SERVER];
    this.segment(t, SERVER, SYN | ACK, null, 0, 0, synAckOptions(s.mss, s.wscale), s.synWin);
    return t;
  }

  /** The client's ACK completing the handshake. */
  handshakeAck(t: number): number {
    this.segment(t, CLIENT, ACK, null, 0, 0);
    return t;
  }

  /** SYN, SYN-ACK after `rttUs`, ACK `lanUs` later (all in one go). */
  handshake(t: number, rttUs: number, lanUs = 150): number {
    this.syn(t);
    this.synAck(t + rttUs);
    return this.handshakeAck(t + rttUs + lanUs);
  }

  /** FIN+ACK from `from` (the first or the second of a close). */
  fin(from: Side, t: number): number {
    this.segment(t, from, FIN | ACK, null, 0, 0);
    return t;
  }

  /** The last ACK of a close, from the side that sent the first FIN. */
  finalAck(from: Side, t: number): number {
    this.segment(t, from, ACK, null, 0, 0);
    this.closed = true;
    return t;
  }

  /**
   * Sends data[off, off+len) from `from`, split by the receiver's MSS, one segment every
   * `gapUs`; the receiver ACKs every second segment after `ackDelayUs`, and (when
   * `finalAck`) the remainder at the end — otherwise the ACK rides on its next segment.
   */
  send(from: Side, data: Uint8Array, off: number, len: number, t: number, gapUs = 15, ackDelayUs = 40, finalAck = true): number {
    const to = (1 - from) as Side;
    const mss = this.side[to].mss;
    const end = off + len;
    let first = true;
    while (off < end) {
      const n = Math.min(mss, end - off);
      if (!first) t += gapUs;
      first = false;
      this.segment(t, from, off + n === end ? ACK | PSH : ACK, data, off, n);
      this.payloadBytes[from] += n;
      off += n;
      if (++this.pendingAck[to] >= 2) {
        this.segment(t + ackDelayUs, to, ACK, null, 0, 0);
        t += ackDelayUs;
      }
    }
    if (finalAck && this.pendingAck[to] > 0) {
      t += ackDelayUs;
      this.segment(t, to, ACK, null, 0, 0);
    }
    return t;
  }

  /** A pure ACK from `from` if it has anything unacknowledged (never a duplicate ACK). */
  ack(from: Side, t: number): number {
    if (this.pendingAck[from] > 0) this.segment(t, from, ACK, null, 0, 0);
    return t;
  }

  /** Orderly close in one go: FIN from `from`, FIN from the peer after `rttUs`, final ACK. */
  close(from: Side, t: number, rttUs: number, lanUs = 150): number {
    if (this.closed) return t;
    this.fin(from, t);
    this.fin((1 - from) as Side, t + rttUs);
    return this.finalAck(from, t + rttUs + lanUs);
  }

  /** Abort with RST+ACK from `from`. */
  reset(from: Side, t: number): number {
    if (this.closed) return t;
    this.segment(t, from, RST | ACK, null, 0, 0, null, 0);
    this.closed = true;
    return t;
  }

  /** A connection attempt refused by the server (SYN, RST+ACK). */
  refuse(t: number, rttUs: number): number {
    const c = this.side[CLIENT];
    this.segment(t, CLIENT, SYN, null, 0, 0, synOptions(c.mss, c.wscale), c.synWin);
    t += rttUs;
    this.segment(t, SERVER, RST | ACK, null, 0, 0, null, 0);
    this.closed = true;
    return t;
  }
}

/**
 * A UDP request and its response `rttUs` later (DNS, NTP …). Returns the response time, and
 * the frames' byte total through `counts` when given (for ground truth).
 */
export function udpExchange(
  sink: FrameSink, fb: FrameBuilder, c2s: Path, s2c: Path, cport: number, sport: number,
  request: Uint8Array, response: Uint8Array | null, t: number, rttUs: number,
  counts?: { packets: number; bytes: number },
): number {
  const q = fb.udp(c2s, cport, sport, request, 0, request.length);
  if (counts) { counts.packets++; counts.bytes += q.length; }
  sink.emit(t, q);
  if (response === null) return t;
  t += rttUs;
  const r = fb.udp(s2c, sport, cport, response, 0, response.length);
  if (counts) { counts.packets++; counts.bytes += r.length; }
  sink.emit(t, r);
  return t;
}
