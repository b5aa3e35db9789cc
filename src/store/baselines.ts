/**
 * The sensor's device behaviour baselines in the store: one JSON state per sensor (the
 * baselines are bounded, see devices/baseline.ts), read at start and written periodically and
 * on stop, so a restart does not begin a new learning window.
 */
import type { Store } from './open.js';

/** The saved state of a sensor's baselines, or null. */
export async function loadBaselineState(store: Store, sensorId: number): Promise<unknown> {
  const r = await store.db.selectFrom('device_baselines').select('state').where('sensor_id', '=', sensorId).executeTakeFirst();
  if (!r) return null;
  try {
    return JSON.parse(r.state) as unknown;
  } catch {
    return null;
  }
}

export async function saveBaselineState(store: Store, sensorId: number, state: unknown, nowMs = Date.now()): Promise<void> {
  const text = JSON.stringify(state);
  await store.db.insertInto('device_baselines').values({ sensor_id: sensorId, state: text, updated_ms: nowMs })
    .onConflict((oc) => oc.column('sensor_id').doUpdateSet({ state: text, updated_ms: nowMs }))
    .execute();
}
