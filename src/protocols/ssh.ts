/**
 * SSH, recognised on any port by its identification line ("SSH-2.0-…", RFC 4253 §4.2), read
 * only as far as the shape of the connection: the two identification lines, the clear-text
 * binary packets of the key exchange (length, padding, message number) up to each side's
 * NEWKEYS (message 21), then only the count and size of the encrypted chunks each side sends
 * (a chunk is one delivery of in-order bytes, about one TCP segment). Nothing encrypted is
 * read. When the connection ends one 'connection' message sums it up; the bruteforce
 * detector judges from it whether the connection looked like a login attempt (key exchange,
 * then a short encrypted exchange, then close).
 *
 * Messages (protocol 'ssh'):
 * - 'connection' {clientSoftware, serverSoftware, kexDone, clientChunks, clientBytes,
 *   serverChunks, serverBytes, durationUs}
 *
 * Never throws; per-flow memory bounded (identification lines capped at 255 bytes, packet
 * headers parsed incrementally, no payload buffered).
 */
import { ReasonCounter } from '../events/counters.js';
import type { DirectionValue, FlowView } from '../events/flow.js';
import { ConsumerVerdict, type ConsumerVerdictValue, type StreamConsumer } from '../events/stream.js';
import { message, type MessageSink, type SshConnectionFields } from './types.js';

export const SSH_ID = 'ssh';
/** RFC 4253 §4.2: the identification line, CR LF included, is at most 255 bytes. */
const MAX_IDENT = 255;
/** RFC 4253 §6.1: implementations must handle packets of 35000 bytes; refuse absurd lengths. */
const MAX_PACKET = 256 * 1024;
const MSG_NEWKEYS = 21;

const enum Phase { IDENT = 0, CLEAR = 1, ENCRYPTED = 2, BROKEN = 3 }

interface SideState {
  phase: Phase;
  ident: string;
  /** Bytes of the current packet header (4 length + 1 padding length + 1 message number) seen. */
  headerHave: number;
  length: number;
  /** Bytes of the current clear packet still to skip. */
  skip: number;
  /** The current clear packet is NEWKEYS. */
  newkeys: boolean;
  chunks: number;
  bytes: number;
}

interface SshState {
  side: [SideState, SideState];
  firstUs: number;
  lastUs: number;
}

function side(): SideState {
  return { phase: Phase.IDENT, ident: '', headerHave: 0, length: 0, skip: 0, newkeys: false, chunks: 0, bytes: 0 };
}

/** Does this first payload start an SSH identification line? */
export function looksLikeSsh(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x53 && data[1] === 0x53 && data[2] === 0x48 && data[3] === 0x2d;
}

/** "SSH-2.0-OpenSSH_9.2p1 Debian-2" → "OpenSSH_9.2p1 Debian-2" (the software and comment). */
function software(ident: string): string {
  const m = /^SSH-[^-]*-(.*)$/.exec(ident);
  return m ? m[1] : '';
}

export function createSshConsumer(sink: MessageSink, opts: { malformed?: ReasonCounter } = {}): StreamConsumer & { malformed: ReasonCounter } {
  const malformed = opts.malformed ?? new ReasonCounter();

  /** Walks clear binary packets from `i`; returns where the encrypted bytes start (or data.length). */
  function clear(s: SideState, data: Uint8Array, i: number): number {
    while (i < data.length && s.phase === Phase.CLEAR) {
      if (s.skip > 0) {
        const n = Math.min(s.skip, data.length - i);
        s.skip -= n;
        i += n;
        // Everything after NEWKEYS is encrypted.
        if (s.skip === 0 && s.newkeys) s.phase = Phase.ENCRYPTED;
        continue;
      }
      const b = data[i++];
      const h = s.headerHave++;
      if (h < 4) s.length = (s.length * 256 + b) >>> 0;
      else if (h === 4 && (s.length < 12 || s.length > MAX_PACKET || b >= s.length)) {
        malformed.add('bad-packet-length');
        s.phase = Phase.BROKEN;
      } else if (h === 5) {
        s.newkeys = b === MSG_NEWKEYS;
        s.skip = s.length - 2;
        s.headerHave = 0;
        s.length = 0;
      }
    }
    return i;
  }

  function onSide(s: SideState, data: Uint8Array): void {
    let i = 0;
    if (s.phase === Phase.IDENT) {
      // Lines before the identification line are allowed from the server (RFC 4253 §4.2).
      while (i < data.length && s.phase === Phase.IDENT) {
        const b = data[i++];
        if (b === 0x0a) {
          const line = s.ident.endsWith('\r') ? s.ident.slice(0, -1) : s.ident;
          if (line.startsWith('SSH-')) { s.ident = line; s.phase = Phase.CLEAR; } else s.ident = '';
        } else if (s.ident.length < MAX_IDENT) s.ident += String.fromCharCode(b);
        else { malformed.add('identification-too-long'); s.phase = Phase.BROKEN; }
      }
    }
    if (s.phase === Phase.CLEAR) i = clear(s, data, i);
    if (s.phase === Phase.ENCRYPTED && i < data.length) {
      s.chunks++;
      s.bytes += data.length - i;
    }
  }

  return {
    id: SSH_ID,
    malformed,
    accepts(flow: FlowView, _dir: DirectionValue, data: Uint8Array): boolean {
      return flow.proto === 6 && looksLikeSsh(data);
    },
    onData(flow: FlowView, dir: DirectionValue, data: Uint8Array, tsUs: number): ConsumerVerdictValue {
      let st = flow.userData.get(SSH_ID) as SshState | undefined;
      if (st === undefined) {
        st = { side: [side(), side()], firstUs: tsUs, lastUs: tsUs };
        flow.userData.set(SSH_ID, st);
      }
      st.lastUs = tsUs;
      onSide(st.side[dir], data);
      return ConsumerVerdict.CONTINUE;
    },
    onGap(flow: FlowView, dir: DirectionValue): ConsumerVerdictValue {
      const st = flow.userData.get(SSH_ID) as SshState | undefined;
      // Lost bytes in the clear phase lose the packet framing; encrypted chunks are only counted.
      if (st && st.side[dir].phase !== Phase.ENCRYPTED) { malformed.add('gap'); st.side[dir].phase = Phase.BROKEN; }
      return ConsumerVerdict.CONTINUE;
    },
    onEnd(flow: FlowView): void {
      const st = flow.userData.get(SSH_ID) as SshState | undefined;
      if (!st) return;
      flow.userData.delete(SSH_ID);
      const [c, s] = st.side;
      const fields: SshConnectionFields = {
        clientSoftware: software(c.ident), serverSoftware: software(s.ident),
        kexDone: c.phase === Phase.ENCRYPTED && s.phase === Phase.ENCRYPTED,
        clientChunks: c.chunks, clientBytes: c.bytes, serverChunks: s.chunks, serverBytes: s.bytes,
        durationUs: Math.max(0, st.lastUs - st.firstUs),
      };
      sink(flow, message(SSH_ID, 'connection', 0, st.lastUs, fields));
    },
  };
}
