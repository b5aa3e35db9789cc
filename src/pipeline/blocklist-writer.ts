/**
 * The sensor's blocking support (`--blocklist-nft FILE --blocklist-interval S`): the pool
 * addresses the sensor watched devices resolve (the DNS answer cache: addresses answered for a
 * listed mining name) or reach (stratum and pool alerts' pool addresses), written on a schedule as an nftables file — table
 * `inet minewatch` with sets pool4/pool6 and drop rules, the renderer of `lists export -f
 * nftables` — atomically (a reader or `nft -f` never sees half a file). Apply it with
 * `nft -f FILE` (e.g. a systemd path unit); names for dnsmasq/unbound come from `lists export
 * --seen EVE`. Bounded: SeenHostsReader keeps at most SEEN_LIMIT addresses.
 */
import { renderBlocklist, seenBlocklist, SeenHostsReader } from '../rules/export/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EventSink } from './eve-writer.js';

export interface BlocklistWriterOptions {
  /** Rewrite interval (default 300 s); also written at close. */
  intervalMs?: number;
  onError?: (err: Error) => void;
  /** Addresses resolved for listed mining names (the pipeline's DNS answer cache), read at every write. */
  resolved?: () => Iterable<string>;
}

export class NftBlocklistWriter implements EventSink {
  private readonly reader = new SeenHostsReader();
  private readonly timer: NodeJS.Timeout;
  private writtenFor = -1;
  /** Files written. */
  writes = 0;

  constructor(readonly path: string, private readonly opts: BlocklistWriterOptions = {}) {
    this.timer = setInterval(() => this.flush(), opts.intervalMs ?? 300_000);
    this.timer.unref();
    // an empty set from the start: `nft -f` has a file to load before the first pool is seen
    // (and a path that cannot be written fails here, at start, not an hour later)
    this.render();
  }

  private render(): void {
    const n = this.reader.seen.ips.size;
    writeFileAtomic(this.path, renderBlocklist('nftables', seenBlocklist({ ...this.reader.seen, domains: new Set() })));
    this.writtenFor = n;
    this.writes++;
  }

  /** Addresses in the set. */
  get size(): number {
    return this.reader.seen.ips.size;
  }

  write(event: object): void {
    const e = event as Record<string, unknown>;
    if (e.event_type === 'alert') this.reader.addEvent(e);
  }

  /** Writes the file if the set changed since the last write. */
  flush(): void {
    for (const ip of this.opts.resolved?.() ?? []) this.reader.addAddress(ip);
    if (this.reader.seen.ips.size === this.writtenFor) return;
    try {
      this.render();
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
