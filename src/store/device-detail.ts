/** One device by id, within the viewer's scope (the dashboard's device page). */
import type { Store } from './open.js';
import type { Viewer } from './queries.js';
import { scopePattern } from './scope.js';

export async function getDevice(store: Store, v: Viewer, id: number): Promise<Record<string, unknown> | null> {
  let q = store.read.selectFrom('devices')
    .select(['id', 'sensor_id', 'device_key', 'ip', 'mac', 'type', 'vendor', 'name', 'first_seen_ms', 'last_seen_ms', 'alerts', 'events'])
    .where('id', '=', id);
  if (v.orgId !== null) q = q.where('scope', 'like', scopePattern(v.orgId));
  return (await q.executeTakeFirst()) ?? null;
}
