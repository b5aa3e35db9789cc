/**
 * Choosing detectors and parsers (`--detectors`, `--parsers`), and routing each protocol
 * message only to the detectors that read its protocol (Detector.protocols).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/open.js';
import type { Detector } from '../../src/events/detector.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { analyzerFactory, createDetectors, createParsers, loadComponentModules, type AnalyzerConfig } from '../../src/pipeline/analyzers.js';
import { COMPONENTS, DETECTOR_IDS, DETECTORS, PARSER_IDS } from '../../src/pipeline/components.js';
import type { ParsedHttpResponse } from '../../src/protocols/http.js';
import { PacketPipeline } from '../../src/pipeline/packet-pipeline.js';
import { generate } from '../../src/synth/index.js';

let dir = '';
let pcap = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-components-'));
  pcap = join(dir, 'sample.pcap');
  // the demo sample: Stratum miners, a browser-miner page, telnet brute force, Redis
  // exploitation and a port scan among ordinary DNS, TLS and HTTP
  await generate('sample', { seed: 1 }, pcap);
});

after(() => rmSync(dir, { recursive: true, force: true }));

const run = (analyzers: Record<string, unknown>, workers = 1) =>
  analyze({ inputs: [pcap], workers, progress: false, analyzers: { detect: true, ...analyzers } });

const modules = await loadComponentModules();

test('the id lists the command line checks are the detectors and parsers the pipeline builds, and every protocol a detector reads has a parser', () => {
  const detectors = createDetectors(modules, { intel: NO_INTEL });
  assert.deepEqual(detectors.map((d) => d.id), [...DETECTOR_IDS]);
  const parsers = createParsers(modules, () => {});
  assert.deepEqual(parsers.map((c) => c.id), [...PARSER_IDS]);
  // the lists are the registry's, in its order: parsers first (offer order), then detectors (run order)
  assert.deepEqual(COMPONENTS.map((c) => c.id), [...PARSER_IDS, ...DETECTOR_IDS]);
  assert.deepEqual([...PARSER_IDS], ['mdns', 'dhcp', 'ssdp', 'netbios', 'dns', 'tls', 'http', 'stratum', 'telnet', 'ftp', 'ssh', 'redis']);
  assert.deepEqual([...DETECTOR_IDS], ['devices', 'stratum', 'pool-dns', 'pool-tls', 'pool-ip', 'pool-http', 'browser-miner', 'mining-encrypted', 'scan', 'version-scan', 'bruteforce', 'redis-exploit']);
  for (const d of detectors) {
    const entry = DETECTORS.find((c) => c.id === d.id)!;
    assert.deepEqual([...(d.protocols ?? [])], [...entry.protocols], `${d.id}: the protocols it reads are the registry's`);
    assert.equal(d.partition ?? 'flow', entry.partition, `${d.id}: partition`);
    if (!d.onMessage) {
      assert.deepEqual(entry.protocols, [], `${d.id} reads no messages`);
      continue;
    }
    assert.ok(d.protocols !== undefined && d.protocols.length > 0, `${d.id} says which protocols it reads`);
    for (const p of d.protocols) assert.ok((PARSER_IDS as readonly string[]).includes(p), `${d.id} reads ${p}`);
  }
  assert.deepEqual(DETECTORS.filter((c) => c.partition === 'source').map((c) => c.id), ['scan']);
});

test('the registry module loads no parser or detector (the command line checks ids from it at start-up)', async () => {
  const { readFileSync } = await import('node:fs');
  // the compiled module: its imports were types only, so it imports nothing at run time
  const js = readFileSync(new URL('../../src/pipeline/components.js', import.meta.url), 'utf8');
  assert.doesNotMatch(js, /^\s*(?:import|export)\b[^;]*\bfrom\s*['"]/m);
  assert.doesNotMatch(js, /\bimport\s*\(/);
  assert.ok(js.includes('createBrowserMinerDetector'), 'the create functions are in it, calling into the modules they are given');
});

test('a message reaches only the detectors that read its protocol; messages carry their parser\'s id', async () => {
  const all: string[] = [];
  const dnsOnly: string[] = [];
  const tlsHttp: string[] = [];
  const detectors: Detector[] = [
    { id: 'all', onMessage: (m) => { all.push(m.protocol); } },
    { id: 'dns-only', protocols: ['dns'], onMessage: (m) => { dnsOnly.push(m.protocol); } },
    { id: 'tls-http', protocols: ['tls', 'http'], onMessage: (m) => { tlsHttp.push(m.protocol); } },
  ];
  const pipeline = new PacketPipeline({
    sink: () => {},
    analyzers: (onMessage) => ({ consumers: createParsers(modules, onMessage), detectors, collect() {} }),
  });
  const source = await openCapture([pcap]);
  for await (const batch of source.batches()) pipeline.processBatch(batch);
  await source.close();
  pipeline.finish();
  const seen = new Set(all);
  for (const p of ['dns', 'tls', 'http', 'stratum', 'telnet', 'redis']) assert.ok(seen.has(p), `the sample has ${p} messages`);
  for (const p of seen) assert.ok((PARSER_IDS as readonly string[]).includes(p), `message protocol ${p} is a parser id`);
  assert.deepEqual(dnsOnly, all.filter((p) => p === 'dns'));
  assert.deepEqual(tlsHttp, all.filter((p) => p === 'tls' || p === 'http'));
});

test('--detectors runs only the chosen detectors: their alerts are the same as in a full run, with 1 thread and with 2 workers', async () => {
  const full = await run({});
  const picked = ['stratum', 'scan', 'redis-exploit'];
  const expected = Object.fromEntries(Object.entries(full.summary.alerts).filter(([d]) => picked.includes(d)));
  assert.equal(Object.keys(expected).length, picked.length, 'the sample makes each picked detector alert');
  assert.ok(Object.keys(full.summary.alerts).length > picked.length, 'and others too');
  for (const workers of [1, 2]) {
    const only = await run({ detectors: picked }, workers);
    assert.deepEqual(only.summary.alerts, expected, `${workers} worker(s)`);
    assert.deepEqual(only.summary.protocols, full.summary.protocols, 'every parser still runs');
  }
  const none = await run({ detectors: [] });
  assert.deepEqual(none.summary.alerts, {});
  assert.deepEqual(none.summary.protocols, full.summary.protocols);
});

test('--parsers runs only the chosen parsers, and names each detector left without one it reads (once, whatever the workers)', async () => {
  const dns = await run({ parsers: ['dns'], detectors: ['pool-dns'] });
  assert.ok(Object.keys(dns.summary.protocols).length > 0);
  for (const k of Object.keys(dns.summary.protocols)) assert.match(k, /^dns\./);
  assert.deepEqual(dns.summary.warnings, []);

  for (const workers of [1, 2]) {
    const bare = await run({ parsers: [] }, workers);
    assert.deepEqual(bare.summary.protocols, {});
    assert.deepEqual(bare.summary.stream['dispatch.flowsOffered'] ?? 0, 0, 'no parser: no stream is offered');
    // packet detectors still work: the port scan is found from packets alone
    assert.ok((bare.summary.alerts.scan ?? 0) > 0);
    assert.equal(bare.summary.alerts.stratum, undefined);
    const named = bare.summary.warnings.filter((w) => w.startsWith('detector '));
    assert.deepEqual(named.map((w) => w.split(' ')[1]), ['devices', 'stratum', 'pool-dns', 'pool-tls', 'pool-ip', 'pool-http', 'browser-miner', 'mining-encrypted', 'version-scan', 'bruteforce', 'redis-exploit'], `${workers} worker(s)`);
    assert.ok(named[1].includes('reads stratum and http messages, but the stratum and http parsers are off'), named[1]);
  }
});

test('HTTP response bodies are kept only when a running detector reads them (browser-miner) or rules are loaded', async () => {
  /** Response bodies the HTTP parser handed over (non-empty) and passed over, under `config`. */
  const bodies = async (config: Partial<AnalyzerConfig>) => {
    const factory = await analyzerFactory({ detect: true, ...config });
    const seen = { kept: 0, skipped: 0 };
    const pipeline = new PacketPipeline({
      sink: () => {},
      analyzers: (onMessage, ctx) => factory((flow, msg) => {
        if (msg.protocol === 'http' && msg.kind === 'response') {
          const f = msg.fields as unknown as ParsedHttpResponse;
          if (f.bodySkipped === true) seen.skipped++;
          else if (f.body.length > 0) seen.kept++;
        }
        onMessage(flow, msg);
      }, ctx),
    });
    const source = await openCapture([pcap]);
    for await (const batch of source.batches()) pipeline.processBatch(batch);
    await source.close();
    pipeline.finish();
    return seen;
  };
  const all = await bodies({});
  assert.ok(all.kept > 0 && all.skipped > 0, `browser-miner keeps the pages and passes over the rest: ${JSON.stringify(all)}`);
  const noReader = await bodies({ detectors: ['stratum', 'pool-http', 'scan'] });
  assert.deepEqual(noReader, { kept: 0, skipped: all.kept + all.skipped });
  // rules may match any body (file.data): every body is kept, whatever the detectors
  const rules = join(dir, 'one.rules');
  writeFileSync(rules, 'alert http any any -> any any (msg:"never"; file.data; content:"no such bytes anywhere"; sid:1000001; rev:1;)\n');
  const withRules = await bodies({ detectors: ['stratum'], rules: [rules] });
  assert.equal(withRules.skipped, 0);
  assert.ok(withRules.kept > all.kept);
});

test('unknown detector or parser ids are refused with the known ones listed', async () => {
  await assert.rejects(run({ detectors: ['stratum', 'nope'] }), /unknown detector "nope" \(known: devices, stratum, pool-dns/);
  await assert.rejects(run({ parsers: ['quic'] }), /unknown parser "quic" \(known: mdns, dhcp/);
});

test('--suppress and --home-net: the context around the pipeline is built once, detectors always get the same one, and it covers rule alerts too', async () => {
  const suppressFile = join(dir, 'suppress.json');
  const rulesFile = join(dir, 'stratum.rules');
  writeFileSync(rulesFile, 'alert tcp any any -> any any (msg:"stratum subscribe"; flow:established,to_server; content:"mining.subscribe"; sid:1000002; rev:1;)\n');
  const plain = await run({ rules: [rulesFile] });
  const ruleAlerts = plain.summary.alerts.rule ?? 0;
  assert.ok(ruleAlerts > 0, 'the rule fires on the sample');
  writeFileSync(suppressFile, JSON.stringify({ rules: [{ signatureId: 1000002, reason: 'rule suppressed' }, { detector: 'scan', reason: 'scans suppressed' }] }));
  const scans = plain.summary.alerts.scan ?? 0;
  assert.ok(scans > 0);
  for (const workers of [1, 2]) {
    const r = await run({ rules: [rulesFile], suppress: suppressFile, homeNets: ['10.0.0.0/8', '192.168.0.0/16'] }, workers);
    assert.equal(r.summary.alerts.rule, undefined, `${workers} worker(s): rule alerts suppressed`);
    assert.equal(r.summary.alerts.scan, undefined);
    assert.deepEqual(r.summary.alerts_suppressed, { 'rule 0: rule suppressed': ruleAlerts, 'rule 1: scans suppressed': scans }, `${workers} worker(s): each suppression counted once`);
    const { scan: _s, rule: _r, ...others } = plain.summary.alerts;
    assert.deepEqual(r.summary.alerts, others, 'the other alerts are untouched');
  }

  // One context per pipeline: count how it is built and which contexts the detectors receive.
  const factory = await analyzerFactory({ detect: true, suppress: suppressFile, homeNets: ['192.168.0.0/16'] });
  let wrapped = 0;
  const seen = new Map<string, Set<unknown>>();
  const pipeline = new PacketPipeline({
    sink: () => {},
    analyzers: (onMessage, ctx) => {
      const a = factory(onMessage, ctx);
      const wrap = a.wrapContext!.bind(a);
      a.wrapContext = (c) => { wrapped++; return wrap(c); };
      for (const d of a.detectors) {
        const calls = new Set<unknown>();
        seen.set(d.id, calls);
        const onPacket = d.onPacket?.bind(d);
        const onMessageOf = d.onMessage?.bind(d);
        if (onPacket) (d as { onPacket: typeof onPacket }).onPacket = (p, f, c) => { calls.add(c); onPacket(p, f, c); };
        if (onMessageOf) (d as { onMessage: typeof onMessageOf }).onMessage = (m, f, c) => { calls.add(c); onMessageOf(m, f, c); };
      }
      return a;
    },
  });
  const source = await openCapture([pcap]);
  for await (const batch of source.batches()) pipeline.processBatch(batch);
  await source.close();
  pipeline.finish();
  assert.equal(wrapped, 1, 'built once for the pipeline, not per packet or per detector');
  for (const [id, ctxs] of seen) {
    if (ctxs.size === 0) continue;
    assert.equal(ctxs.size, 1, `${id} always gets the same context`);
  }
  assert.ok([...seen.values()].filter((s) => s.size > 0).length >= 5, 'most detectors were called');
  assert.ok(pipeline.summary().alerts_suppressed['rule 1: scans suppressed'] > 0);
});
