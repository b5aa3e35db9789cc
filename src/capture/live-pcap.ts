/**
 * Live capture through minewatch's own libpcap addon (native/pcap, optional, built by the
 * install script). A native thread runs pcap_dispatch on a handle opened with a large kernel
 * buffer and immediate mode off (TPACKET_V3 blocks delivered whole) and copies packets into
 * one of SLOTS caller-owned ArrayBuffers as records [ts_sec, ts_usec, caplen, len, bytes
 * padded to 4]. JS is called once per filled slot (full, or 20 ms after its first packet),
 * not once per packet, and reads the frames in place: no per-packet callback, no copy in JS.
 *
 * Back-pressure: a slot goes back to the thread when the consumer asks for the next batch.
 * While every slot is held, the thread waits and the kernel ring absorbs the burst; what the
 * ring cannot hold libpcap counts as dropped, visible through pcapStats() (pcap_stats).
 * Timestamps and wire lengths are libpcap's own.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReasonCounter } from '../events/counters.js';
import { BatchArrays, CaptureError, type FrameBatch, type LiveCaptureSource, type PcapStats } from './source.js';
import { countLinkTypes } from './link-counts.js';

interface AddonHandle { readonly __brand: 'mw_pcap' }
interface PcapAddon {
  open(device: string, filter: string, snaplen: number, bufferBytes: number, promisc: boolean, slots: ArrayBuffer[],
    onBatch: (slot: number, countOrError: number | string, used: number) => void): { handle: AddonHandle; linkType: number };
  release(handle: AddonHandle, slot: number): void;
  stats(handle: AddonHandle): PcapStats & { delivered: number };
  close(handle: AddonHandle): void;
  version(): string;
}

const SLOTS = 4;
const SLOT_BYTES = 8 << 20;
const REC_HDR = 16;

let loaded: { addon: PcapAddon | null; error: string } | null = null;

/** The addon, when it was built (native/pcap/build/Release/mw_pcap.node) and loads; else null with the reason. */
export function loadPcapAddon(): { addon: PcapAddon | null; error: string } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  // dist/src/capture/ (tsc) or dist/bundle/ (esbuild): look upwards for the package root
  let dir = dirname(fileURLToPath(import.meta.url));
  let path = '';
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'native', 'pcap', 'build', 'Release', 'mw_pcap.node');
    if (existsSync(p)) {
      path = p;
      break;
    }
    dir = dirname(dir);
  }
  if (!path) return (loaded = { addon: null, error: 'native/pcap addon not built (node native/pcap/build.mjs)' });
  try {
    loaded = { addon: require(path) as PcapAddon, error: '' };
  } catch (err) {
    loaded = { addon: null, error: `native/pcap addon does not load: ${(err as Error).message}` };
  }
  return loaded;
}

class PcapAddonSource implements LiveCaptureSource {
  readonly totalBytes = null;
  readonly linkTypeCounts = new Map<number, number>();
  readonly malformed = new ReasonCounter();
  readonly warnings: string[] = [];
  readonly backend = 'libpcap-batch';
  private readonly arrays = new BatchArrays(16384);
  private readonly ready: Array<{ slot: number; count: number; used: number }> = [];
  private held = -1;
  private bytes = 0;
  private closed = false;
  private error: string | null = null;
  private wake: (() => void) | null = null;
  handle: AddonHandle | null = null;
  linkType = 0;

  constructor(
    readonly name: string,
    private readonly addon: PcapAddon,
    readonly slots: ArrayBuffer[],
    private readonly snaplen: number,
  ) {}

  /** The addon's callback, once per filled slot (or once with slot -1 and libpcap's error text). */
  readonly onBatch = (slot: number, countOrError: number | string, used: number): void => {
    if (slot === -1) this.error = String(countOrError);
    else if (slot >= 0) this.ready.push({ slot, count: Number(countOrError), used });
    const w = this.wake;
    if (w !== null) {
      this.wake = null;
      w();
    }
  };

  bytesConsumed(): number {
    return this.bytes;
  }

  pcapStats(): PcapStats | null {
    if (this.handle === null) return null;
    const s = this.addon.stats(this.handle);
    return { received: s.received, dropped: s.dropped, ifdropped: s.ifdropped };
  }

  async *batches(): AsyncGenerator<FrameBatch> {
    for (;;) {
      if (this.held >= 0) {
        if (!this.closed && this.handle) this.addon.release(this.handle, this.held);
        this.held = -1;
      }
      while (this.ready.length === 0) {
        if (this.error !== null) throw new CaptureError(this.name, 0, `libpcap: ${this.error}`);
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      const { slot, count, used } = this.ready.shift()!;
      this.held = slot;
      yield this.parse(slot, count, used);
    }
  }

  /** Reads the slot's records into the batch arrays; the frames stay where the thread wrote them. */
  private parse(slot: number, count: number, used: number): FrameBatch {
    const buf = this.slots[slot];
    const words = new Uint32Array(buf, 0, used >>> 2);
    const a = this.arrays;
    while (a.capacity < count) a.grow();
    let off = 0;
    let n = 0;
    let bytes = 0;
    for (let i = 0; i < count && off + REC_HDR <= used; i++) {
      const w = off >>> 2;
      const capLen = words[w + 2];
      if (capLen > this.snaplen || off + REC_HDR + capLen > used) {
        this.malformed.add('live.bad-record');
        break;
      }
      if (capLen < words[w + 3]) this.malformed.add('live.truncated-to-snaplen');
      a.tsUs[n] = words[w] * 1e6 + words[w + 1];
      a.capLens[n] = capLen;
      a.wireLens[n] = words[w + 3];
      a.offsets[n] = off + REC_HDR;
      a.linkTypes[n] = this.linkType;
      a.ifIndexes[n] = 0;
      n++;
      bytes += capLen;
      off += REC_HDR + ((capLen + 3) & ~3);
    }
    this.bytes += bytes;
    const batch = a.batch(new Uint8Array(buf, 0, used), n, 0);
    countLinkTypes(batch, this.linkTypeCounts);
    return batch;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.handle) this.addon.close(this.handle);
      this.onBatch(-2, 0, 0);
    }
    return Promise.resolve();
  }
}

/** Opens IFACE through the addon; throws CaptureError with libpcap's reason. */
export function openPcapAddon(addon: PcapAddon, iface: string, snaplen: number, bufferBytes: number, opts: { filter?: string; promiscuous?: boolean }): LiveCaptureSource {
  const slots = Array.from({ length: SLOTS }, () => new ArrayBuffer(Math.max(SLOT_BYTES, 4 * (REC_HDR + snaplen))));
  const source = new PcapAddonSource(iface, addon, slots, snaplen);
  try {
    const { handle, linkType } = addon.open(iface, opts.filter ?? '', snaplen, bufferBytes, opts.promiscuous !== false, slots, source.onBatch);
    source.handle = handle;
    source.linkType = linkType & 0xffff;
  } catch (err) {
    const msg = (err as Error).message;
    const reason = /^bad filter/.test(msg) && opts.filter
      ? `bad capture filter "${opts.filter}": ${msg.replace(/^bad filter: /, '')}`
      : /No such device/i.test(msg) ? `no such capture interface (available: ${interfaceNames().join(', ') || 'none'})` : `cannot open interface for capture: ${msg}`;
    throw new CaptureError(iface, 0, reason);
  }
  return source;
}

function interfaceNames(): string[] {
  try {
    return [...readdirSync('/sys/class/net').sort(), 'any'];
  } catch {
    return [];
  }
}
