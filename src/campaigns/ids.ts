/**
 * Deterministic identifiers: UUIDv5 (RFC 9562 §5.5, SHA-1 over namespace + name) so the same
 * campaign input gives the same report, event and STIX ids every time (packages are
 * byte-identical across runs and re-sends can be matched by id).
 */
import { createHash } from 'node:crypto';

/** The minewatch namespace: UUIDv5 of "minewatch.campaigns" in the RFC 9562 URL namespace. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

function bytesOf(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

export function uuidv5(name: string, namespace: string = MINEWATCH_NAMESPACE): string {
  const h = createHash('sha1').update(bytesOf(namespace)).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const MINEWATCH_NAMESPACE = uuidv5('https://minewatch.invalid/campaigns', URL_NAMESPACE);

/** A stable text key of a value: JSON with sorted object keys. */
export function stableKey(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
