/**
 * A campaign's report as Markdown, and its hosts as the infected-host records (types.ts
 * InfectedHost, JSON Lines) that `minewatch campaign package --hosts` turns into notification
 * packages.
 */
import type { CampaignHostRow, CampaignReport } from './campaign-store.js';
import { InfectedHost } from './types.js';

const pct = (x: number | null | undefined, sign = false) => (x === null || x === undefined ? '–' : `${sign && x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(1)} %`);
const dayText = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);

export function reportMarkdown(r: CampaignReport): string {
  const p = r.params;
  const lines: string[] = [];
  lines.push(`# Campaign ${r.campaign}: remediation`, '');
  lines.push(`Period ${r.firstDay} – ${r.lastDay}; owners notified ${r.notifiedAt.slice(0, 10)}. Host identity: **${r.identity}** (${r.identity === 'device-id' ? 'one host per device id a sensor reports, else per address' : 'one host per public address; daily counts are addresses per UTC day'}).`);
  lines.push(`A host counts as remediated after ${p.quietDays} observed days without being seen infected; baseline window ${p.baselineDays} days before notification.`, '');
  lines.push('| measure | value |', '|---|---|');
  lines.push(`| baseline infected hosts | ${r.baseline} |`);
  lines.push(`| infected in the last ${p.baselineDays} days | ${r.final} |`);
  lines.push(`| change since notification | ${pct(r.reduction, true)} |`);
  lines.push(`| remediated (of the baseline) | ${r.all.remediated} |`);
  lines.push(`| reinfected after remediation | ${r.all.reinfected} |`);
  lines.push(`| median time to clean-up (Kaplan–Meier) | ${r.all.medianDays === null ? 'not reached' : `${r.all.medianDays} days`} |`, '');
  const groups = [['all', r.all], ['notified', r.treatment], ...(r.control ? [['control (held back)', r.control] as const] : [])] as const;
  lines.push(`| share cleaned within | ${groups.map(([n, g]) => `${n} (n=${g.hosts})`).join(' | ')} |`, `|---|${groups.map(() => '---').join('|')}|`);
  for (const k of p.shareDays) lines.push(`| ${k} days | ${groups.map(([, g]) => `${pct(g.shareCleaned[k])} (KM ${pct(g.kmCleaned[k])})`).join(' | ')} |`);
  lines.push('');
  if (r.controlEffect) {
    const e = r.controlEffect;
    lines.push(`Notification effect at ${e.horizonDays} days: ${pct(e.p1)} of ${e.treated} notified vs ${pct(e.p2)} of ${e.controls} held back cleaned up: difference ${pct(e.difference, true)} (95 % CI ${pct(e.newcombe[0], true)} to ${pct(e.newcombe[1], true)}, Newcombe; Wald ${pct(e.wald[0], true)} to ${pct(e.wald[1], true)}).`, '');
  } else {
    lines.push('No control group (or too short a follow-up): the before/after change cannot tell notification from natural clean-up.', '');
  }
  const f = r.notifications;
  const real = f.messages - f.dryRun;
  lines.push('## Notification delivery', '');
  if (real === 0) lines.push(f.dryRun ? `${f.dryRun} messages prepared in dry runs; none sent yet (campaign notify --send).` : 'No notification messages recorded (campaign notify).', '');
  else {
    const of = (n: number) => `${n} (${pct(n / real)})`;
    lines.push('| messages | queued | sent | delivered | bounced | replied | acknowledged | failed |', '|---|---|---|---|---|---|---|---|');
    lines.push(`| ${real} | ${of(f.queued)} | ${of(f.sent)} | ${of(f.delivered)} | ${of(f.bounced)} | ${of(f.replied)} | ${of(f.acknowledged)} | ${of(f.failed)} |`, '');
    lines.push('Each column counts messages that ever reached the state; delivered, bounced, replied and acknowledged are set by hand (campaign mark) or by an inbound webhook.', '');
  }
  const rated = r.asRates.filter((a) => a.asn !== null).slice(0, 30);
  if (rated.length) {
    lines.push('## Infected hosts per AS, normalised by AS size', '');
    lines.push('| AS | announced IPv4 addresses | baseline | per 100k | last window | per 100k |', '|---|---|---|---|---|---|');
    const n = (x: number | null) => (x === null ? '–' : x.toFixed(2));
    for (const a of rated) lines.push(`| AS${a.asn} | ${a.announced ?? 'unknown'} | ${a.baseline} | ${n(a.baselinePer100k)} | ${a.final} | ${n(a.finalPer100k)} |`);
    lines.push('', 'Announced addresses: the AS range table (bundled @ip-location-db/asn data, or --asn-db); rates are hosts per 100,000 announced IPv4 addresses.', '');
  }
  lines.push('## Infected hosts per day and country', '');
  const countries = Object.keys(r.dailyByCountry);
  const days = r.daily.map((d) => d.day);
  lines.push(`| day | all | ${countries.join(' | ')} |`, `|---|---|${countries.map(() => '---').join('|')}|`);
  const at = (series: { day: number; hosts: number }[] | undefined, d: number) => series?.find((x) => x.day === d)?.hosts ?? 0;
  for (const d of days) lines.push(`| ${dayText(d)} | ${at(r.daily, d)} | ${countries.map((c) => at(r.dailyByCountry[c], d)).join(' | ')} |`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}

/** The host as an InfectedHost record (validated), or null when it has no public address record to give. */
export function hostRecord(h: CampaignHostRow, rule: 'ip-day' | 'device-id'): InfectedHost | null {
  const identity = rule === 'device-id' && h.deviceId ? { rule: 'device-id' as const, deviceId: h.deviceId } : { rule: 'ip-day' as const, ip: h.ip, day: h.lastSeen.slice(0, 10) };
  const state = h.notifyState === 'notified' ? 'sent' : h.notifyState === 'pending' ? 'pending' : undefined;
  const r = InfectedHost.safeParse({
    identity, ip: h.ip, asn: h.asn ?? undefined, country: h.country ?? undefined, firstSeen: h.firstSeen, lastSeen: h.lastSeen,
    detector: h.evidence.detectors[0] ?? 'campaign', signatureId: h.evidence.signatureIds[0],
    malware: h.evidence.malware[0] ?? 'coinminer',
    evidence: { poolNames: [], poolAddresses: [], wallets: [], scriptUrls: [], notes: h.evidence.detectors.slice(0, 10) },
    ...(state ? { notification: { state, ...(h.notifiedAt ? { at: h.notifiedAt } : {}) } } : {}),
  });
  return r.success ? r.data : null;
}
