/**
 * The dashboard's device page: GET /api/v1/devices/:id (the device, its learned behaviour
 * baseline and the advice for the kinds of incident it has) and GET /api/v1/devices/:id/anomalies
 * (its anomaly alerts with their evidence, paged under a time budget).
 */
import { z } from 'zod';
import { alertsOfCause, getDevice, listIncidents, loadBaselineState, type Store, type Viewer } from '../../store/index.js';
import { describeBaseline } from '../../devices/baseline.js';
import { SidBase } from '../../detect/common.js';
import { remediationFor } from '../../pipeline/remediation.js';
import { viewerOf } from '../auth.js';
import { evidencePage } from '../evidence.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Cursor, Id } from './common.js';

/** The baselines' anomaly signatures (devices/observer.ts): a long connection to a new host on a mining port, an upload jump. */
export const ANOMALY_SIDS = [SidBase.anomaly + 1, SidBase.anomaly + 2];
/** Incidents of a device read for its advice (the most recent). */
const ADVICE_INCIDENTS = 100;

/** A page of the drill-down: at most 100 alerts, read for at most budget_ms (default 300) before answering a partial page. */
export const EvidencePaging = {
  limit: z.coerce.number().int().min(1).max(100).optional().describe('alerts per page (default 25)'),
  cursor: Cursor,
  budget_ms: z.coerce.number().int().min(1).max(5000).optional().describe('time to read for before answering a partial page (default 300)'),
};

interface DeviceRow { id: number; sensor_id: number; device_key: string; ip: string | null; mac: string | null }

/** Advice per kind of incident the device has (its address on its sensor), one entry per distinct advice, most recent incident first. */
async function deviceAdvice(store: Store, v: Viewer, d: DeviceRow): Promise<Array<{ detectors: string[]; signatures: string[]; cause: string; steps: string[] }>> {
  if (!d.ip) return [];
  const incidents = (await listIncidents(store, v, { sensor_id: Number(d.sensor_id), src_ip: d.ip, limit: ADVICE_INCIDENTS })).items;
  const byCause = new Map<string, { detectors: string[]; signatures: string[]; cause: string; steps: string[] }>();
  for (const i of incidents) {
    const r = remediationFor(Number(i.signature_id), String(i.signature ?? ''), (i.detector as string | null) ?? null);
    let a = byCause.get(r.cause);
    if (!a) byCause.set(r.cause, (a = { detectors: [], signatures: [], cause: r.cause, steps: r.steps }));
    const det = typeof i.detector === 'string' ? i.detector : 'rule';
    if (!a.detectors.includes(det)) a.detectors.push(det);
    if (a.signatures.length < 5 && !a.signatures.includes(String(i.signature))) a.signatures.push(String(i.signature));
  }
  return [...byCause.values()];
}

/** The device's anomaly alerts: by its inventory id (or MAC) when the store keys it so, else by its address. */
function anomalyCause(d: DeviceRow) {
  const byAddress = d.ip !== null && d.device_key === d.ip;
  return { sensor_id: Number(d.sensor_id), signature_ids: ANOMALY_SIDS, ...(byAddress ? { src_ip: d.ip! } : { device_id: d.device_key }) };
}

export default function deviceRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/devices/:id', tag: 'read', access: 'viewer', params: Id,
      summary: 'One device seen in events: the device, its learned behaviour baseline (null when its sensor keeps none for it) and the advice for each kind of incident it has',
      errors: { 404: 'no such device in your scope' },
      handler: async ({ params, principal }) => {
        const v = viewerOf(principal);
        const device = await getDevice(ctx.store, v, params.id) as (Record<string, unknown> & DeviceRow) | null;
        if (!device) throw new HttpError(404, 'device.unknown', `no device ${params.id}`);
        const baseline = describeBaseline(await loadBaselineState(ctx.store, Number(device.sensor_id)), device.device_key);
        return { device, baseline, advice: await deviceAdvice(ctx.store, v, device) };
      },
    }),
    route({
      method: 'GET', url: '/api/v1/devices/:id/anomalies', tag: 'read', access: 'viewer', params: Id,
      summary: 'The device\'s anomaly alerts (departures from its baseline: 9101201 long connection to a new host on a mining port, 9101202 upload jump) with their evidence, newest first; partial when the time budget ended the page early',
      query: z.strictObject(EvidencePaging),
      errors: { 404: 'no such device in your scope' },
      handler: async ({ params, query, principal }) => {
        const v = viewerOf(principal);
        const device = await getDevice(ctx.store, v, params.id) as (Record<string, unknown> & DeviceRow) | null;
        if (!device) throw new HttpError(404, 'device.unknown', `no device ${params.id}`);
        return evidencePage(await alertsOfCause(ctx.store, v, anomalyCause(device), { limit: query.limit, cursor: query.cursor, budgetMs: query.budget_ms }));
      },
    }),
  ];
}
