/**
 * Live capture. openLive uses minewatch's libpcap batch addon (live-pcap.ts, native/pcap) when
 * it was built and loads, else the `cap` package; `backend` forces one.
 *
 * Through `cap`: packets arrive one by one in cap's
 * callback, are copied into one of two reusable slots (chunk + batch arrays), and the
 * consumer takes the filling slot when it is full or every FLUSH_MS. The consumer holds at
 * most one slot while libpcap fills the other; when that one is full, packets are dropped
 * and counted rather than buffered without bound.
 *
 * cap keeps only a raw pointer to the packet buffer given to open(); the source holds a
 * reference to it for its whole life (if it were collected, libpcap would write into freed
 * memory).
 *
 * What cap does not expose: the libpcap timestamp (we stamp arrival time in Node, so
 * timestamps carry event-loop latency), the wire length (wireLens = captured length), and
 * promiscuous mode off (cap always enables it).
 */
import { createRequire } from 'node:module';
import { ReasonCounter } from '../events/counters.js';
import { BatchArrays, CaptureError, type CaptureSource, type FrameBatch, type LiveCaptureSource } from './source.js';
import { loadPcapAddon, openPcapAddon } from './live-pcap.js';
import { countLinkTypes } from './link-counts.js';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): { name: string }[] };
}

const FLUSH_MS = 50;
const DEFAULT_SNAPLEN = 65535;
/**
 * cap fixes libpcap's snaplen at 65535, so each kernel ring frame takes 64–128 KiB and the
 * ring holds only bufferBytes / frame packets (128 at 16 MiB on lo): bursts beyond that are
 * dropped by the kernel before Node sees them. A larger default ring absorbs bursts.
 */
const DEFAULT_BUFFER_BYTES = 64 << 20;
const SLOT_CHUNK_BYTES = 4 << 20;
const SLOT_FRAMES = 8192;

/** cap reports the link type by name; map back to LINKTYPE numbers. */
function linkTypeNumber(name: string): number {
  switch (name) {
    case 'NULL': return 0;
    case 'ETHERNET': return 1;
    case 'RAW': return 101;
    case 'LINKTYPE_LINUX_SLL': return 113;
    case 'IEEE802_11_RADIO': return 127;
    default: {
      const m = /Unknown linktype (\d+)/.exec(name);
      return m ? Number(m[1]) & 0xffff : 0;
    }
  }
}

export interface OpenLiveOptions {
  /** BPF filter expression (pcap-filter syntax). */
  filter?: string;
  /** Bytes kept per packet (default 65535; libpcap itself captures at most 65535 through cap). */
  snaplen?: number;
  /** libpcap kernel ring size (default 64 MiB; see DEFAULT_BUFFER_BYTES for why it is large). */
  bufferBytes?: number;
  /** cap always opens in promiscuous mode; false is recorded as a warning. */
  promiscuous?: boolean;
  /**
   * Which libpcap binding: 'auto' (default: the addon when it loads, else cap), 'libpcap-batch'
   * (the addon; an error if it is not built) or 'cap'. The MINEWATCH_LIVE_BACKEND environment
   * variable sets the default.
   */
  backend?: 'auto' | 'libpcap-batch' | 'cap';
}

class Slot {
  readonly chunk = Buffer.allocUnsafe(SLOT_CHUNK_BYTES);
  readonly arrays = new BatchArrays(SLOT_FRAMES);
  count = 0;
  used = 0;
}

class LiveSource implements LiveCaptureSource {
  readonly backend = 'cap';
  readonly totalBytes = null;
  readonly linkTypeCounts = new Map<number, number>();
  readonly malformed = new ReasonCounter();
  readonly warnings: string[] = [];
  private readonly slots = [new Slot(), new Slot()];
  private filling = 0;
  private bytes = 0;
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly onPacket = (nbytes: number, truncated: boolean): void => this.take(nbytes, truncated);

  constructor(
    readonly name: string,
    private readonly cap: CapHandle,
    private readonly packetBuf: Buffer,
    private readonly linkType: number,
  ) {
    cap.on('packet', this.onPacket);
    this.timer = setInterval(() => {
      if (this.slots[this.filling].count > 0) this.notify();
    }, FLUSH_MS);
    this.timer.unref();
  }

  bytesConsumed(): number {
    return this.bytes;
  }

  pcapStats(): null {
    return null;
  }

  /** cap's callback: copy the packet out of cap's single buffer into the filling slot. */
  private take(nbytes: number, truncated: boolean): void {
    if (this.closed) return;
    const slot = this.slots[this.filling];
    if (slot.count >= SLOT_FRAMES || slot.used + nbytes > SLOT_CHUNK_BYTES) {
      this.malformed.add('live.dropped-consumer-slow');
      this.notify();
      return;
    }
    const i = slot.count;
    const a = slot.arrays;
    this.packetBuf.copy(slot.chunk, slot.used, 0, nbytes);
    a.offsets[i] = slot.used;
    a.capLens[i] = nbytes;
    a.wireLens[i] = nbytes;
    a.tsUs[i] = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    a.linkTypes[i] = this.linkType;
    a.ifIndexes[i] = 0;
    slot.count = i + 1;
    slot.used += nbytes;
    this.bytes += nbytes;
    if (truncated) this.malformed.add('live.truncated-to-snaplen');
    if (slot.count === SLOT_FRAMES) this.notify();
  }

  private notify(): void {
    const w = this.wake;
    if (w !== null) {
      this.wake = null;
      w();
    }
  }

  async *batches(): AsyncGenerator<FrameBatch> {
    for (;;) {
      if (this.slots[this.filling].count === 0) {
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        if (this.slots[this.filling].count === 0) continue;
      }
      // Hand the filling slot to the consumer; libpcap fills the other, which the consumer
      // released by asking for this batch.
      const slot = this.slots[this.filling];
      this.filling ^= 1;
      const next = this.slots[this.filling];
      next.count = 0;
      next.used = 0;
      const batch = slot.arrays.batch(slot.chunk, slot.count, 0);
      countLinkTypes(batch, this.linkTypeCounts);
      yield batch;
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.timer);
      this.cap.close();
      retainedHandles.push(this.cap, this.packetBuf);
      this.notify();
    }
    return Promise.resolve();
  }
}

/**
 * Opens a live interface. Throws CaptureError for an unknown interface, a bad BPF filter or
 * missing capture permission (reason text from libpcap).
 */
/**
 * cap's native handles must never be finalised by the garbage collector: a handle whose open
 * failed, or one already closed, can crash the process when V8 collects it (seen as a rare
 * crash at test-process exit). Live captures are opened a handful of times per process, so
 * keeping the handle and its packet buffer referenced for the process lifetime is cheap.
 */
const retainedHandles: unknown[] = [];

/**
 * Capture drops of a source, for Suricata's capture.kernel_drops: frames the cap backend had no
 * room for in user space, plus libpcap's own dropped count (batch addon). 0 for files.
 */
export function captureDrops(source: CaptureSource): number {
  const ps = 'pcapStats' in source ? (source as LiveCaptureSource).pcapStats() : null;
  return source.malformed.get('live.dropped-consumer-slow') + (ps?.dropped ?? 0);
}

function liveBackendFromEnv(): 'auto' | 'libpcap-batch' | 'cap' {
  const v = process.env.MINEWATCH_LIVE_BACKEND;
  return v === 'cap' || v === 'libpcap-batch' ? v : 'auto';
}

export function openLive(iface: string, opts: OpenLiveOptions = {}): Promise<LiveCaptureSource> {
  const backend = opts.backend ?? liveBackendFromEnv();
  if (backend !== 'cap') {
    const { addon, error } = loadPcapAddon();
    if (addon) {
      const snaplen = Math.max(64, Math.min(262144, Math.floor(opts.snaplen ?? DEFAULT_SNAPLEN)));
      try {
        return Promise.resolve(openPcapAddon(addon, iface, snaplen, Math.max(1 << 16, Math.min(0x7fffffff, opts.bufferBytes ?? DEFAULT_BUFFER_BYTES)), opts));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    if (backend === 'libpcap-batch') return Promise.reject(new CaptureError(iface, 0, `live capture backend libpcap-batch unavailable: ${error}`));
  }
  const require = createRequire(import.meta.url);
  let capModule: CapModule;
  try {
    capModule = require('cap') as CapModule;
  } catch (err) {
    return Promise.reject(new CaptureError(iface, 0, `live capture unavailable: cannot load libpcap binding (${(err as Error).message})`));
  }
  // cap crashes if a handle is reused after a failed open, so check the name first and use
  // a fresh handle for the one open attempt.
  const devices = capModule.Cap.deviceList().map((d) => d.name);
  if (!devices.includes(iface)) {
    return Promise.reject(new CaptureError(iface, 0, `no such capture interface (available: ${devices.join(', ') || 'none'})`));
  }
  const snaplen = Math.max(64, Math.min(DEFAULT_SNAPLEN, Math.floor(opts.snaplen ?? DEFAULT_SNAPLEN)));
  const packetBuf = Buffer.alloc(snaplen);
  const cap = new capModule.Cap();
  let linkName: string;
  try {
    linkName = cap.open(iface, opts.filter ?? '', Math.max(1 << 16, opts.bufferBytes ?? DEFAULT_BUFFER_BYTES), packetBuf);
  } catch (err) {
    retainedHandles.push(cap, packetBuf);
    const msg = (err as Error).message;
    const reason = /syntax|filter|parse|illegal|unknown/i.test(msg) && opts.filter
      ? `bad capture filter "${opts.filter}": ${msg}`
      : `cannot open interface for capture: ${msg}`;
    return Promise.reject(new CaptureError(iface, 0, reason));
  }
  const source = new LiveSource(iface, cap, packetBuf, linkTypeNumber(linkName));
  if (opts.promiscuous === false) source.warnings.push(`${iface}: promiscuous mode cannot be disabled through libpcap binding; capturing promiscuously`);
  return Promise.resolve(source);
}
