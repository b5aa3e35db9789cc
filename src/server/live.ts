/**
 * Live updates: one poller per server process reads incidents created since the last look
 * (every 2 s while anyone listens; incidents are few, and polling the store works the same
 * when several collector processes share one PostgreSQL) and hands each to the
 * subscribers whose organisation may see it (its scope), as server-sent events.
 */
import { incidentsAfter, maxIncidentId, type Store } from '../store/index.js';

export interface LiveIncident { id: number; signature: string | null; signature_id: number | null; src_ip: string | null; severity: number | null; last_ms: number; count: number; status: string }

interface Subscriber { orgId: number | null; send(event: string, data: unknown): void; end(): void }

/** Incidents handed out per tick at most (a burst is picked up over the next ticks). */
const PER_TICK = 500;

export class LiveHub {
  private readonly subs = new Set<Subscriber>();
  private timer: NodeJS.Timeout | null = null;
  private lastId: number | null = null;
  private ticking = false;

  constructor(private readonly store: Store, private readonly intervalMs = 2000) {}

  get subscribers(): number {
    return this.subs.size;
  }

  /** Adds a subscriber; returns the function that removes it. */
  async subscribe(sub: Subscriber): Promise<() => void> {
    if (this.lastId === null) this.lastId = await maxIncidentId(this.store);
    this.subs.add(sub);
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    return () => {
      this.subs.delete(sub);
      if (this.subs.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
        // the next subscriber starts from the incidents of its own time
        this.lastId = null;
      }
    };
  }

  async tick(): Promise<void> {
    if (this.ticking || this.lastId === null) return;
    this.ticking = true;
    try {
      const rows = await incidentsAfter(this.store, this.lastId, PER_TICK);
      for (const { scope, ...inc } of rows) {
        this.lastId = Math.max(this.lastId ?? 0, inc.id);
        // known noise: an incident an auto-archive rule stored archived is not announced
        if (inc.status === 'archived') continue;
        for (const s of this.subs) if (s.orgId === null || scope.includes(`,${s.orgId},`)) s.send('incident', inc);
      }
      for (const s of this.subs) s.send('ping', { at: Date.now() });
    } catch {
      // the store is away for a moment: the next tick tries again
    } finally {
      this.ticking = false;
    }
  }

  /** Ends every stream (the server is closing: open streams would hold it open). */
  close(): void {
    for (const s of [...this.subs]) s.end();
    this.subs.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
