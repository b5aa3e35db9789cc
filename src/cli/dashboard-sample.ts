/**
 * The sample the dashboard starts with (`minewatch dashboard`, what `npm start` runs):
 * generate the project's sample capture (a home network with miners and attacks), analyse
 * it, and send its EVE events through the collector's real ingest API with a sensor token,
 * so the store holds them exactly as a sensor would have sent them.
 *
 * The capture's clock is fixed (the generator is deterministic), so the events are moved in
 * time so that the last one is a minute ago: the dashboard's "last 24 hours" then shows them,
 * and retention (14 days of raw events) does not delete them at once. Only the top-level
 * `timestamp` is moved; times inside the event (flow start/end) keep the capture's clock.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eveTimestamp } from '../events/eve-format.js';
import { createToken } from '../store/index.js';
import type { RunningServer } from '../server/start.js';
import { uuidv7 } from '../transport/uuidv7.js';
import { UnavailableError } from '../util/errors.js';

export interface SampleResult {
  capture: string;
  packets: number;
  events: number;
  alerts: number;
  accepted: number;
}

/** Moves events so the newest is at `endMs`; gives each a `minewatch.event_id`. */
export function shiftEvents(events: Array<Record<string, unknown>>, endMs: number): Array<Record<string, unknown>> {
  let last = -Infinity;
  for (const e of events) {
    const t = Date.parse(String(e.timestamp));
    if (Number.isFinite(t) && t > last) last = t;
  }
  const delta = Number.isFinite(last) ? endMs - last : 0;
  return events.map((e) => {
    const t = Date.parse(String(e.timestamp));
    const mw = (typeof e.minewatch === 'object' && e.minewatch !== null ? e.minewatch : {}) as Record<string, unknown>;
    const ts = Number.isFinite(t) ? t + delta : endMs;
    return { ...e, timestamp: eveTimestamp(ts * 1000), minewatch: { ...mw, event_id: typeof mw.event_id === 'string' ? mw.event_id : uuidv7(ts) } };
  });
}

/** Sends events to POST /api/v1/ingest in batches; returns how many were stored. */
export async function ingestEvents(url: string, token: string, events: ReadonlyArray<Record<string, unknown>>, batch = 1000): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < events.length; i += batch) {
    const body = events.slice(i, i + batch).map((e) => JSON.stringify(e)).join('\n') + '\n';
    const res = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
    const text = await res.text();
    if (!res.ok) throw new UnavailableError('sample.ingest', `the collector refused the sample events (HTTP ${res.status}): ${text.slice(0, 500)}`, { subject: url });
    accepted += (JSON.parse(text) as { accepted: number }).accepted;
  }
  return accepted;
}

/** Generates and analyses the sample capture in `dir`, then ingests its events into `server` as sensor `sensor`. */
export async function loadSample(server: RunningServer, dir: string, o: { seed?: number; sensor?: string; endMs?: number } = {}): Promise<SampleResult> {
  mkdirSync(dir, { recursive: true });
  const { generate } = await import('../synth/index.js');
  const { analyze } = await import('../pipeline/analyze.js');
  const capture = join(dir, 'sample.pcap');
  const eve = join(dir, 'sample-eve.json');
  const g = await generate('sample', { seed: o.seed ?? 1, truthFile: join(dir, 'sample-truth.json') }, capture);
  await analyze({ inputs: [capture], workers: 1, eve, progress: false });
  const events = readFileSync(eve, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  const { token } = await createToken(server.store, o.sensor ?? 'sample-home-router', null, 'system:sample');
  const accepted = await ingestEvents(server.url, token, shiftEvents(events, o.endMs ?? Date.now() - 60_000));
  return { capture, packets: g.packets, events: events.length, alerts: events.filter((e) => e.event_type === 'alert').length, accepted };
}

export interface TelescopeSampleResult { packets: number; sources: number; accepted: number }

/**
 * A generated darknet (scanner families, backscatter, a spoofed burst over 24 hours ending
 * about now) run through the telescope and sent as one run's `telescope` event, so the
 * dashboard's Telescope view has data.
 */
export async function loadTelescopeSample(server: RunningServer, dir: string, o: { seed?: number; sensor?: string; endMs?: number; packets?: number } = {}): Promise<TelescopeSampleResult> {
  mkdirSync(dir, { recursive: true });
  const { generate } = await import('../synth/index.js');
  const { runTelescope } = await import('../telescope/run.js');
  const { buildReport } = await import('../telescope/report.js');
  const { telescopeSummaryEvent } = await import('../telescope/summary-event.js');
  const hours = 24;
  const endMs = o.endMs ?? Date.now() - 60_000;
  const capture = join(dir, 'darknet.pcap');
  const darknet = '198.18.0.0/16';
  await generate('darknet', { seed: o.seed ?? 3, packets: o.packets ?? 40_000, darknet, hours, startMs: endMs - hours * 3600_000 }, capture);
  const run = await runTelescope({ inputs: [capture], darknets: [darknet], workers: 1 });
  const report = buildReport(run.state);
  const ev = telescopeSummaryEvent(report, o.sensor ?? 'sample-telescope');
  const { token } = await createToken(server.store, o.sensor ?? 'sample-telescope', null, 'system:sample');
  const accepted = ev ? await ingestEvents(server.url, token, [ev]) : 0;
  return { packets: report.totals.packets, sources: report.totals.sources, accepted };
}

export interface CampaignSampleResult { campaignId: number; hosts: number; events: number }

/**
 * A generated notification campaign (synth campaign: infected routers seen by an ISP sensor
 * and telescopes in four countries over 120 days ending yesterday, notification on day 45,
 * a control group) sent through the ingest API, defined as a campaign, built and marked
 * notified, so the Campaigns view shows a remediation curve and Kaplan–Meier estimate; and a
 * recorded delivery funnel (two messages per country — its CERT and an AS abuse desk — sent at
 * the notification time, then delivered or bounced, some replied and acknowledged).
 */
async function sampleFunnel(server: RunningServer, id: number, campaign: string, notifiedAt: string): Promise<void> {
  const { campaignLog } = await import('../campaigns/campaign-notify.js');
  const log = await campaignLog(server.store, id);
  const countries = (await server.store.read.selectFrom('campaign_hosts').select('country').distinct().where('campaign_id', '=', id).where('country', 'is not', null).orderBy('country').execute())
    .map((r) => r.country!).slice(0, 20);
  const later = (days: number) => new Date(Date.parse(notifiedAt) + days * 86_400_000).toISOString();
  let i = 0;
  for (const cc of countries) {
    for (const [rid, email] of [[`cert:${cc}`, `cert@cert.${cc.toLowerCase()}.example`], [`as:${64_500 + i}`, `abuse@isp-${cc.toLowerCase()}.example`]]) {
      const messageId = `00000000-0000-5000-8000-${String(i).padStart(12, '0')}`;
      await log.record({ messageId, campaign, recipientId: rid, recipientEmail: email, subject: `[${campaign}] infected hosts in your network`, at: notifiedAt, status: 'sent', dryRun: false, history: [{ state: 'queued', at: notifiedAt }, { state: 'sent', at: notifiedAt }] });
      await log.setState(messageId, i % 4 === 3 ? 'bounced' : 'delivered', later(0.1));
      if (i % 3 === 0) await log.setState(messageId, 'replied', later(2));
      if (i % 6 === 0) await log.setState(messageId, 'acknowledged', later(3));
      i++;
    }
  }
}

export async function loadCampaignSample(server: RunningServer, o: { seed?: number; endMs?: number } = {}): Promise<CampaignSampleResult> {
  const { synthCampaign } = await import('../synth/campaign.js');
  const { buildCampaignHosts, createCampaign, markNotified } = await import('../campaigns/campaign-store.js');
  const days = 120;
  const end = o.endMs ?? Date.now();
  const start = new Date(Math.floor(end / 86_400_000) * 86_400_000 - days * 86_400_000).toISOString().slice(0, 10);
  const sim = synthCampaign({ seed: o.seed ?? 11, days, start });
  let events = 0;
  for (const [name, s] of sim.sensors) {
    const { token } = await createToken(server.store, name, null, 'system:sample');
    events += await ingestEvents(server.url, token, s.events, 2000);
  }
  const t = sim.truth;
  const c = await createCampaign(server.store, 'sample-stratum-routers', {
    selection: { sources: ['sensor', 'telescope'], detectors: ['stratum', 'darknet-source'] },
    period: t.period, identity: 'device-id', control: t.control, remediation: t.remediation,
  });
  const built = await buildCampaignHosts(server.store, c.id);
  await markNotified(server.store, c.id, Date.parse(t.notifiedAt));
  await sampleFunnel(server, c.id, c.name, t.notifiedAt);
  return { campaignId: c.id, hosts: built.hosts, events };
}
