/**
 * Collector test fixtures: both store dialects (a temp SQLite file and a private PostgreSQL
 * database), and realistic alert events shaped like the ones minewatch's detectors write
 * (stratum mining sessions, pool DNS/TLS names, darknet sources) with unique event ids.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eveTimestamp } from '../../src/events/eve-format.js';
import { openStore, type Store } from '../../src/store/open.js';
import { createTestDatabase } from './postgres.js';

export interface DialectCase {
  name: 'sqlite' | 'postgres';
  /** A fresh migrated store, or a skip reason. */
  open(): Promise<{ store: Store; url: string; cleanup: () => Promise<void> } | string>;
}

export const DIALECTS: DialectCase[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'mw-store-'));
      const url = `sqlite:${join(dir, 'minewatch.db')}`;
      const store = await openStore(url);
      return { store, url, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    async open() {
      const db = await createTestDatabase('mw_collector');
      if (typeof db === 'string') return db;
      const store = await openStore(db.url);
      return { store, url: db.url, cleanup: async () => { await store.close(); await db.drop(); } };
    },
  },
];

let seq = 0;
/** A time-ordered unique id (UUIDv7 layout). */
export function eventId(ms = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  b.writeUInt16BE((seq++ & 0xffff), 10);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const POOLS = [['pool.supportxmr.com', '141.94.96.144', 3333], ['xmr.pool.minergate.com', '94.130.143.162', 45700], ['gulf.moneroocean.stream', '18.210.126.40', 10128], ['xmr-eu1.nanopool.org', '51.15.58.224', 14444]] as const;
const PUBLIC_SRC = ['1.0.16.1', '14.207.0.5', '27.54.112.9', '36.66.0.2', '49.128.176.3', '103.1.28.7', '113.160.0.4', '202.28.0.8'];

/**
 * One realistic alert (about 950 bytes of JSON). `i` varies pool, signature and device; a
 * device keeps its address (one of 40 home devices, every third alert from a public source),
 * so alerts repeat per device as they do from a real sensor.
 */
export function alertEvent(i: number, tsMs = Date.now(), opts: { sensor?: string; src?: string } = {}): Record<string, unknown> {
  const [pool, poolIp, port] = POOLS[i % POOLS.length];
  const src = opts.src ?? (i % 3 === 0 ? PUBLIC_SRC[i % PUBLIC_SRC.length] : `192.168.1.${(i % 40) + 2}`);
  const wallet = `4${'8ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789'.repeat(2).slice(i % 7, (i % 7) + 94)}`;
  return {
    timestamp: eveTimestamp(tsMs * 1000 + (i % 1000)),
    flow_id: 1_000_000_000_000 + i,
    event_type: 'alert',
    src_ip: src,
    src_port: 40000 + (i % 20000),
    dest_ip: poolIp,
    dest_port: port,
    proto: 'TCP',
    app_proto: 'stratum',
    alert: {
      action: 'allowed', gid: 1, signature_id: 9_100_001 + (i % 5), rev: 1,
      signature: `MINEWATCH COINMINER Stratum (Monero/XMRig) mining session to ${pool}:${port}`,
      category: 'Crypto Currency Mining Activity Detected', severity: 1 + (i % 3),
    },
    minewatch: {
      detector: 'stratum',
      sensor: opts.sensor ?? 'home-router-1',
      event_id: eventId(tsMs),
      device: { id: `dev-${i % 40}`, mac: `02:42:ac:11:00:${(i % 40).toString(16).padStart(2, '0')}`, ip: src, type: i % 2 ? 'ip-camera' : 'nas', vendor: i % 2 ? 'Hikvision' : 'Synology' },
      evidence: {
        poolName: pool, agent: 'XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0', wallet, worker: `cam${i % 40}`,
        methods: ['login', 'job', 'submit'], jobId: `${(i * 7919).toString(16)}a9f3`, target: 'b88d0600',
      },
    },
  };
}
