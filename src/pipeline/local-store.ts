/**
 * Reading the sensor's local store for `minewatch incidents` and `minewatch devices`: rows of
 * the collector's tables (store/queries.ts) with the remediation advice of each incident, and
 * plain-text tables for the terminal.
 */
import { listDevices, listIncidents, openStore, type Store } from '../store/index.js';
import type { IncidentStatus, IncidentTable } from '../store/schema.js';
import { remediationFor, type Remediation } from './remediation.js';

/** An incident row as the commands show it: times as ISO text, with the advice for its cause. */
export type IncidentView = Pick<IncidentTable, 'signature_id' | 'signature' | 'src_ip' | 'dest_ip' | 'severity' | 'count'> & {
  id: number;
  sensor_id: number;
  first_seen: string;
  last_seen: string;
  status: string;
  remediation: Remediation;
};

/** Opens the store at `db` (the default file when undefined) for reading, runs `fn`, closes it. */
export async function withStore<T>(db: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export async function readIncidents(store: Store, opts: { status?: IncidentStatus; limit?: number } = {}): Promise<IncidentView[]> {
  const page = await listIncidents(store, { orgId: null }, { status: opts.status, limit: opts.limit ?? 1000 });
  return page.items.map((r) => ({
    id: Number(r.id), sensor_id: Number(r.sensor_id), signature_id: Number(r.signature_id), signature: String(r.signature),
    src_ip: String(r.src_ip), dest_ip: (r.dest_ip as string | null) ?? null, severity: Number(r.severity),
    first_seen: new Date(Number(r.first_ms)).toISOString(), last_seen: new Date(Number(r.last_ms)).toISOString(),
    count: Number(r.count), status: String(r.status),
    remediation: remediationFor(Number(r.signature_id), String(r.signature)),
  }));
}

export interface DeviceView {
  id: number;
  device: string;
  ip: string | null;
  mac: string | null;
  type: string | null;
  vendor: string | null;
  name: string | null;
  first_seen: string;
  last_seen: string;
  alerts: number;
  events: number;
  open_incidents: number;
}

export async function readDevices(store: Store, opts: { limit?: number } = {}): Promise<DeviceView[]> {
  const page = await listDevices(store, { orgId: null }, { limit: opts.limit ?? 1000 });
  // open incidents per address (incidents are keyed by the alert's source)
  const open = await store.read.selectFrom('incidents').select(['src_ip', (eb) => eb.fn.countAll<number>().as('n')]).where('status', '=', 'open').groupBy('src_ip').execute();
  const byIp = new Map(open.map((r) => [r.src_ip, Number(r.n)]));
  return page.items.map((r) => ({
    id: Number(r.id), device: String(r.device_key), ip: (r.ip as string | null) ?? null, mac: (r.mac as string | null) ?? null,
    type: (r.type as string | null) ?? null, vendor: (r.vendor as string | null) ?? null, name: (r.name as string | null) ?? null,
    first_seen: new Date(Number(r.first_seen_ms)).toISOString(), last_seen: new Date(Number(r.last_seen_ms)).toISOString(),
    alerts: Number(r.alerts), events: Number(r.events), open_incidents: r.ip ? byIp.get(r.ip as string) ?? 0 : 0,
  }));
}

const SEVERITY = ['', 'high', 'medium', 'low'];

export function formatIncidents(items: IncidentView[]): string {
  if (items.length === 0) return 'No incidents.\n';
  const out: string[] = [];
  for (const i of items) {
    out.push(`#${i.id} [${SEVERITY[i.severity] ?? `severity ${i.severity}`}] ${i.signature}`);
    out.push(`   device ${i.src_ip}${i.dest_ip ? ` → ${i.dest_ip}` : ''}; ${i.count} alert${i.count === 1 ? '' : 's'} from ${i.first_seen} to ${i.last_seen}; ${i.status}`);
    out.push(`   cause: ${i.remediation.cause}. What to do:`);
    for (const s of i.remediation.steps) out.push(`     - ${s}`);
  }
  return out.join('\n') + '\n';
}

export function formatDevices(items: DeviceView[]): string {
  if (items.length === 0) return 'No devices.\n';
  const rows = items.map((d) => [d.device, d.ip ?? '', d.mac ?? '', d.type ?? 'unknown', d.vendor ?? '', d.name ?? '', d.last_seen, String(d.alerts), String(d.open_incidents)]);
  const head = ['DEVICE', 'IP', 'MAC', 'TYPE', 'VENDOR', 'NAME', 'LAST SEEN', 'ALERTS', 'OPEN INCIDENTS'];
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  return [head, ...rows].map((r) => r.map((x, c) => x.padEnd(w[c])).join('  ').trimEnd()).join('\n') + '\n';
}
