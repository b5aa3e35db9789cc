/**
 * The event model can fail: known event types are discriminated on `event_type` and must carry
 * their own body, and every event the project writes (analyze flows and alerts, telescope
 * alerts, scan events) validates against its own zod schema and against the JSON Schema
 * generated from it (`minewatch schema eve`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  analyze, telescope, telescopeReport, scanEveEvents, MemorySink, EveEvent, AnyEveEvent, AlertEvent, eveJsonSchema,
  type ScanResult,
} from '../../src/index.js';
import { generate, type DarknetTruth } from '../../src/synth/index.js';

const validateJson = new Ajv2020({ strict: false }).compile(eveJsonSchema());

const TS = '2026-01-05T18:00:00.000000+0000';
const alertBody = { signature_id: 9_000_001, signature: 'mining pool', category: 'Crypto Currency Mining Activity Detected', severity: 2 };

/** Both the zod schema and the generated JSON Schema accept (or both refuse) the event. */
function valid(e: unknown): boolean {
  const z = EveEvent.safeParse(e).success;
  const j = validateJson(e);
  assert.equal(j, z, `zod and JSON Schema disagree on ${JSON.stringify(e)}: ${JSON.stringify(validateJson.errors?.[0])}`);
  return z;
}

let dir = '';
before(() => { dir = mkdtempSync(join(tmpdir(), 'mw-eve-schema-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

void test('a known event type without its body is refused (no catch-all)', () => {
  assert.equal(valid({ timestamp: TS, event_type: 'alert', minewatch: { detector: 'stratum' } }), false, 'alert without alert{}');
  assert.equal(valid({ timestamp: TS, event_type: 'alert', alert: alertBody }), false, 'alert without minewatch.detector');
  assert.equal(valid({ timestamp: TS, event_type: 'alert', alert: alertBody, minewatch: { detector: 'stratum' } }), true);
  assert.equal(valid({ timestamp: TS, event_type: 'flow', flow_id: 1 }), false, 'flow without flow{}');
  assert.equal(valid({ timestamp: TS, event_type: 'scan', dest_ip: '192.168.1.1', minewatch: { detector: 'scan' } }), false, 'scan without minewatch.scan');
  assert.equal(valid({ timestamp: 'yesterday', event_type: 'alert', alert: alertBody, minewatch: { detector: 'x' } }), false, 'bad timestamp');
  // an unknown type is not an EveEvent; it is accepted only through the explicit AnyEveEvent,
  // which still refuses a malformed known type
  const smb = { timestamp: TS, event_type: 'smb', smb: { command: 'SMB2_COMMAND_NEGOTIATE' } };
  assert.equal(valid(smb), false);
  assert.equal(AnyEveEvent.safeParse(smb).success, true);
  // dns, tls and http are known types now (--eve-types): their bodies are checked
  assert.equal(AnyEveEvent.safeParse({ timestamp: TS, event_type: 'dns', dns: { rrname: 'pool.example' } }).success, false, 'dns without type and id');
  assert.equal(valid({ timestamp: TS, event_type: 'dns', dns: { type: 'query', id: 1, rrname: 'pool.example', rrtype: 'A', tx_id: 0 } }), true, 'Suricata 7 query (tx_id kept)');
  assert.equal(valid({ timestamp: TS, event_type: 'tls', tls: { sni: 'x' } }), false, 'tls without version');
  assert.equal(AnyEveEvent.safeParse({ timestamp: TS, event_type: 'alert', minewatch: { detector: 'x' } }).success, false);
});

void test('analyze: every flow and alert event of the sample capture validates', async () => {
  const pcap = join(dir, 'sample.pcap');
  await generate('sample', { seed: 1 }, pcap);
  const sink = new MemorySink();
  const { summary } = await analyze({ inputs: [pcap], workers: 1, sink, progress: false, sensor: 'schema-test' });
  const types = new Map<string, number>();
  for (const e of sink.events) {
    types.set(String(e.event_type), (types.get(String(e.event_type)) ?? 0) + 1);
    assert.ok(valid(e), `${JSON.stringify(e)}\n${EveEvent.safeParse(e).error?.issues[0]?.message}`);
  }
  assert.ok((types.get('flow') ?? 0) > 10, JSON.stringify([...types]));
  assert.ok((types.get('alert') ?? 0) >= 5, JSON.stringify([...types]));
  assert.equal(sink.events.length, Object.values(summary.events).reduce((a, b) => a + b, 0));
});

void test('telescope: owner alerts validate', async () => {
  const pcap = join(dir, 'darknet.pcap');
  const truthFile = join(dir, 'truth.json');
  await generate('darknet', { seed: 3, packets: 20_000, darknet: '198.18.0.0/16', hours: 2, truthFile }, pcap);
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as DarknetTruth;
  const watch = join(dir, 'watch.txt');
  writeFileSync(watch, truth.sources.slice(0, 3).map((s, i) => `Org ${i}: ${s.ip}/32`).join('\n') + '\n');
  const run = await telescope({ inputs: [pcap], darknets: ['198.18.0.0/16'], workers: 1, noGeo: true, watchFile: watch, progress: false });
  const report = telescopeReport(run.state);
  assert.ok(report.alerts.length >= 1);
  for (const a of report.alerts) {
    assert.ok(valid(a), JSON.stringify(a));
    assert.ok(AlertEvent.safeParse(a).success);
  }
});

void test('scan: host and finding events validate', () => {
  const result: ScanResult = {
    hosts: [{
      address: '192.168.1.20', state: 'up', discoveredBy: ['tcp'], mac: 'aa:bb:cc:dd:ee:ff', hostname: 'nas',
      ports: [{ port: 6379, proto: 'tcp', state: 'open', service: 'redis', product: 'Redis', version: '6.0.16', banner: '' }],
      findings: [{ id: 'redis-no-auth', severity: 'critical', title: 'Redis answers without a password', evidence: 'PING → PONG', remediation: 'set requirepass', port: 6379 }],
    }, { address: '192.168.1.21', state: 'down', discoveredBy: [], ports: [], findings: [] }],
    stats: { startedAt: '2026-01-05T18:00:00.000Z', finishedAt: '2026-01-05T18:00:05.000Z' } as ScanResult['stats'],
  };
  const events = scanEveEvents(result, { sensor: 's1' });
  assert.equal(events.length, 2);
  for (const e of events) assert.ok(valid(e), JSON.stringify(e));
  // a finding whose severity is not one of the five is refused
  const bad = structuredClone(events[1]) as { minewatch: { scan: { severity: string } } };
  bad.minewatch.scan.severity = 'catastrophic';
  assert.equal(valid(bad), false);
});
