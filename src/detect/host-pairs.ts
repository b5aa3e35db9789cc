/**
 * Host pairs already seen mining in clear text: (client IP, server IP:port). nDPI keeps a
 * similar cache keyed by the address pair so that a later TLS flow between the same hosts
 * is classified as mining; we key on the server port too (a pool's 443 web site is not its
 * 3333 Stratum port) and also remember the server alone, so a device moving its miner to a
 * TLS port of the same pool still gets a (weaker) hit. Bounded LRU.
 */
import { LruMap } from './common.js';

export interface HostPairHit {
  /** 'pair' = same client, server and port; 'server' = this server was a pool for anyone. */
  match: 'pair' | 'server';
  dialect: string;
  tsUs: number;
}

export class MiningHostPairs {
  private readonly pairs: LruMap<string, { dialect: string; tsUs: number }>;
  private readonly servers: LruMap<string, { dialect: string; tsUs: number }>;
  /**
   * Server ports any pair was remembered on (never cleared: a stale bit only costs a lookup).
   * Lets the end of every flow be checked with an integer before any address becomes text.
   */
  private readonly ports = new Uint8Array(65536);

  constructor(capacity = 20000) {
    this.pairs = new LruMap(capacity);
    this.servers = new LruMap(capacity);
  }

  remember(clientIp: string, serverIp: string, serverPort: number, dialect: string, tsUs: number): void {
    this.pairs.set(`${clientIp}|${serverIp}|${serverPort}`, { dialect, tsUs });
    this.ports[serverPort & 0xffff] = 1;
    this.servers.set(serverIp, { dialect, tsUs });
  }

  /** False when no pair on this server port was ever remembered (so lookup cannot return a 'pair' hit). */
  mayHavePair(serverPort: number): boolean {
    return this.ports[serverPort & 0xffff] === 1;
  }

  lookup(clientIp: string, serverIp: string, serverPort: number): HostPairHit | null {
    const p = this.pairs.get(`${clientIp}|${serverIp}|${serverPort}`);
    if (p) return { match: 'pair', ...p };
    const s = this.servers.get(serverIp);
    if (s) return { match: 'server', ...s };
    return null;
  }
}
