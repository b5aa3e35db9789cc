/**
 * External evidence into a campaign: Shadowserver-style CSV reports (a header row; `timestamp`
 * "YYYY-MM-DD HH:MM:SS" UTC or ISO, `ip`, optional `port`, `asn`, `geo`, `infection`/`family`/
 * `tag`) and IntelMQ events (JSON Lines or a JSON array; `time.source` (or
 * `time.observation`), `source.ip`, optional `source.port`, `source.asn`,
 * `source.geolocation.cc`, `malware.name`, `feed.name`). Each good row becomes one
 * `campaign_evidence` row (a sighting of that address); a bad row is reported with its line
 * and skipped, never thrown. A feed counts as observing on each day it delivered any row.
 */
import type { Store } from '../store/open.js';
import type { CampaignEvidenceTable } from '../store/schema.js';
import { canonicalIp } from '../util/ip.js';
import { parseCsv } from './contacts.js';

/** One imported sighting: a campaign_evidence row without its ids. */
export type EvidenceRow = Omit<CampaignEvidenceTable, 'id' | 'campaign_id'>;

export interface EvidenceParse {
  rows: EvidenceRow[];
  problems: { line: number; reason: string }[];
}

function time(s: string): number {
  const t = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(s) ? Date.parse(`${s.replace(' ', 'T')}Z`) : /(Z|[+-]\d\d:?\d\d)$/.test(s) ? Date.parse(s) : NaN;
  return t;
}

function fields(ip: unknown, ts: unknown, port: unknown, asn: unknown, cc: unknown): { row?: Omit<EvidenceRow, 'feed' | 'malware' | 'detail'>; reason?: string } {
  const addr = typeof ip === 'string' ? canonicalIp(ip.trim()) : null;
  if (!addr) return { reason: `no valid address (${String(ip).slice(0, 60)})` };
  const t = typeof ts === 'string' ? time(ts.trim()) : NaN;
  if (!Number.isFinite(t)) return { reason: `no valid UTC time (${String(ts).slice(0, 40)})` };
  const p = port === undefined || port === null || port === '' ? null : Number(port);
  const a = asn === undefined || asn === null || asn === '' ? null : Number(String(asn).replace(/^AS/i, ''));
  const c = typeof cc === 'string' && /^[A-Za-z]{2}$/.test(cc.trim()) ? cc.trim().toUpperCase() : null;
  return {
    row: { ts: t, ip: addr, port: p !== null && Number.isInteger(p) && p > 0 && p < 65536 ? p : null, asn: a !== null && Number.isInteger(a) && a >= 0 && a <= 4294967295 ? a : null, country: c },
  };
}

/** Shadowserver-style CSV (header row names the columns). */
export function parseShadowserverCsv(text: string, feed: string): EvidenceParse {
  const lines = parseCsv(text);
  const out: EvidenceParse = { rows: [], problems: [] };
  if (lines.length === 0) return out;
  const header = lines[0].cells.map((c) => c.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('ip') < 0 || col('timestamp') < 0) {
    out.problems.push({ line: lines[0].line, reason: 'the header has no "timestamp" and "ip" columns' });
    return out;
  }
  for (const { line, cells } of lines.slice(1)) {
    const get = (name: string) => (col(name) >= 0 ? cells[col(name)] : undefined);
    const f = fields(get('ip'), get('timestamp'), get('port'), get('asn'), get('geo'));
    if (!f.row) {
      out.problems.push({ line, reason: f.reason! });
      continue;
    }
    const malware = (get('infection') || get('family') || get('tag') || '').trim().toLowerCase() || null;
    out.rows.push({ ...f.row, feed, malware, detail: JSON.stringify(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']).filter(([, v]) => v !== ''))).slice(0, 4000) });
  }
  return out;
}

/** IntelMQ events: JSON Lines, or one JSON array. */
export function parseIntelmqEvents(text: string, defaultFeed: string): EvidenceParse {
  const out: EvidenceParse = { rows: [], problems: [] };
  let items: { line: number; value: unknown }[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const arr = JSON.parse(text) as unknown;
      items = Array.isArray(arr) ? arr.map((value, i) => ({ line: i + 1, value })) : [];
    } catch (err) {
      out.problems.push({ line: 1, reason: `not JSON: ${(err as Error).message}` });
      return out;
    }
  } else {
    text.split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      try {
        items.push({ line: i + 1, value: JSON.parse(l) });
      } catch {
        out.problems.push({ line: i + 1, reason: 'not a JSON object' });
      }
    });
  }
  for (const { line, value } of items) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      out.problems.push({ line, reason: 'not a JSON object' });
      continue;
    }
    const e = value as Record<string, unknown>;
    const f = fields(e['source.ip'], e['time.source'] ?? e['time.observation'], e['source.port'], e['source.asn'], e['source.geolocation.cc']);
    if (!f.row) {
      out.problems.push({ line, reason: f.reason! });
      continue;
    }
    const feed = typeof e['feed.name'] === 'string' && e['feed.name'] ? e['feed.name'] : defaultFeed;
    const malware = typeof e['malware.name'] === 'string' ? e['malware.name'].toLowerCase() : null;
    out.rows.push({ ...f.row, feed, malware, detail: JSON.stringify(e).slice(0, 4000) });
  }
  out.problems.sort((a, b) => a.line - b.line);
  return out;
}

/** Stores parsed evidence for a campaign (rebuild the campaign's hosts afterwards). */
export async function importEvidence(store: Store, campaignId: number, rows: readonly EvidenceRow[]): Promise<number> {
  for (let i = 0; i < rows.length; i += 500) {
    await store.db.insertInto('campaign_evidence').values(rows.slice(i, i + 500).map((r) => ({ campaign_id: campaignId, ...r }))).execute();
  }
  return rows.length;
}
