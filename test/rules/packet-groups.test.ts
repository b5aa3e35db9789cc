/**
 * Packet-rule groups (signature group heads) must never change which rules fire: the
 * grouped engine and the ungrouped reference see the same random rules and packets
 * (random directions, established states, protocols, app protocols, ports, payloads) and
 * must report the same hits in the same order, flowbits and thresholds included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { msg } from '../helpers/messages.js';
import { parseRule, parseRules, type Rule } from '../../src/rules/parser.js';
import { RuleEngine, createMatchMeta, type MatchMeta } from '../../src/rules/matcher.js';
import { generateContentRules } from '../../bench/lib/rules-matcher.js';

const PROTOS = ['tcp', 'udp', 'icmp', 'ip', 'http', 'tls', 'dns', 'tcp-pkt'];
const FLOW_STATES = ['', 'established', 'not_established', 'stateless'];
const FLOW_DIRS = ['', 'to_server', 'to_client', 'from_server', 'from_client'];
const PORTS = ['any', '80', '443', '53', '3333', '!80', '[80,443]', '1024:'];
const WORDS = ['ab', 'abc', 'mining', 'MiNe', 'xyzzy', 'a|00|b', 'stratum'];
const OPTIONS = ['', 'nocase;', 'depth:6;', 'offset:2; depth:8;', 'endswith;', 'startswith;'];
const EXTRAS = ['', 'dsize:>3;', 'flowbits:set,seen;', 'flowbits:isset,seen;', 'threshold:type limit, track by_src, count 2, seconds 60;'];

interface RuleSpec { proto: number; state: number; dir: number; src: number; dst: number; bidi: boolean; contents: [number, number][]; extra: number }

const ruleSpec = fc.record({
  proto: fc.nat(PROTOS.length - 1),
  state: fc.nat(FLOW_STATES.length - 1),
  dir: fc.nat(FLOW_DIRS.length - 1),
  src: fc.nat(PORTS.length - 1),
  dst: fc.nat(PORTS.length - 1),
  bidi: fc.boolean(),
  contents: fc.array(fc.tuple(fc.nat(WORDS.length - 1), fc.nat(OPTIONS.length - 1)), { maxLength: 2 }),
  extra: fc.nat(EXTRAS.length - 1),
});

function ruleText(s: RuleSpec, sid: number): string {
  const flow = [FLOW_STATES[s.state], FLOW_DIRS[s.dir]].filter((x) => x !== '').join(',');
  let opts = flow ? `flow:${flow}; ` : '';
  for (const [w, o] of s.contents) opts += `content:"${WORDS[w]}"; ${OPTIONS[o]} `;
  if (s.contents.length === 0 && EXTRAS[s.extra] === '') opts += 'dsize:>0; ';
  opts += EXTRAS[s.extra];
  return `alert ${PROTOS[s.proto]} any ${PORTS[s.src]} ${s.bidi ? '<>' : '->'} any ${PORTS[s.dst]} (msg:"r${sid}"; ${opts} sid:${sid};)`;
}

const PAYLOAD_PIECES = ['ab', 'abc', 'mining', 'MINING', 'xyzzy', 'a\u0000b', 'stratum', 'q', '  ', 'mine'];
const IP_PROTOS = [6, 17, 1, 58, 47];
const APPS = ['', 'dns', 'http', 'tls', 'ssh'];
const META_PORTS = [53, 80, 443, 8080, 8443, 3333, 22, 40000];

const packetSpec = fc.record({
  payload: fc.array(fc.nat(PAYLOAD_PIECES.length - 1), { minLength: 1, maxLength: 8 }),
  dir: fc.constantFrom<0 | 1>(0, 1),
  established: fc.boolean(),
  proto: fc.constantFrom(...IP_PROTOS),
  app: fc.constantFrom(...APPS),
  srcPort: fc.constantFrom(...META_PORTS),
  dstPort: fc.constantFrom(...META_PORTS),
  serverPort: fc.constantFrom(...META_PORTS),
  flow: fc.nat(2),
});
type PacketSpec = typeof packetSpec extends fc.Arbitrary<infer T> ? T : never;

/** Hits of both engines over the same packet sequence, each with its own per-flow flowbits. */
function compare(rules: Rule[], packets: PacketSpec[], payloadOf: (p: PacketSpec) => Uint8Array): { grouped: string[][]; reference: string[][] } {
  const engines = [new RuleEngine(rules), new RuleEngine(rules, { groupPacketRules: false })];
  const out: string[][][] = [[], []];
  const bits = engines.map(() => [new Set<string>(), new Set<string>(), new Set<string>()]);
  const meta: MatchMeta = createMatchMeta();
  packets.forEach((p, i) => {
    const payload = payloadOf(p);
    engines.forEach((e, k) => {
      Object.assign(meta, {
        srcIp: '192.168.1.10', dstIp: '203.0.113.7', srcPort: p.srcPort, dstPort: p.dstPort, proto: p.proto,
        dir: p.dir, established: p.established, appProto: p.app, serverPort: p.serverPort, flowbits: bits[k][p.flow], tsUs: i * 1000,
      });
      e.clearSlots();
      e.setSlot('pkt', payload);
      out[k].push(e.evaluate('packet', meta).map((h) => `${h.rule.sid}@${String(h.evidence.offset)}`));
    });
  });
  return { grouped: out[0], reference: out[1] };
}

test('grouped packet rules fire exactly like the ungrouped reference (random rules and packets)', () => {
  fc.assert(fc.property(fc.array(ruleSpec, { minLength: 1, maxLength: 30 }), fc.array(packetSpec, { minLength: 1, maxLength: 40 }), (specs, packets) => {
    const rules: Rule[] = [];
    specs.forEach((s, i) => {
      const r = parseRule(ruleText(s, i + 1));
      if (r.ok) rules.push(r.rule);
    });
    const { grouped, reference } = compare(rules, packets, (p) => Buffer.from(p.payload.map((x) => PAYLOAD_PIECES[x]).join(''), 'latin1'));
    assert.deepEqual(grouped, reference);
  }), { numRuns: 300, seed: 4242 });
});

test('the random rules load and fire often enough for the equivalence to mean something', () => {
  // Guard against a generator that only produces unparsable or never-matching rules.
  let loaded = 0;
  let hits = 0;
  const specs = fc.sample(ruleSpec, { numRuns: 200, seed: 7 });
  const rules: Rule[] = [];
  specs.forEach((s, i) => { const r = parseRule(ruleText(s, i + 1)); if (r.ok) { rules.push(r.rule); loaded++; } });
  const packets = fc.sample(packetSpec, { numRuns: 300, seed: 8 });
  const { grouped } = compare(rules, packets, (p) => Buffer.from(p.payload.map((x) => PAYLOAD_PIECES[x]).join(''), 'latin1'));
  for (const h of grouped) hits += h.length;
  assert.ok(loaded > 150, `loaded ${loaded}`);
  assert.ok(hits > 300, `hits ${hits}`);
});

test('to_client payloads with only to_server rules loaded scan nothing; to_server ones still fire', () => {
  const { rules } = parseRules(generateContentRules(200, 3).join('\n'));
  const e = new RuleEngine(rules);
  assert.equal(e.packetGroupCount, 2, 'one table for established to_server tcp, one empty table for the rest');
  assert.equal(e.packetMayMatch(1, true, 6), false, 'to_client: the detector skips the packet');
  assert.equal(e.packetMayMatch(0, false, 6), false, 'not established');
  assert.equal(e.packetMayMatch(0, true, 17), false, 'udp');
  assert.equal(e.packetMayMatch(0, true, 6), true);
  assert.equal(new RuleEngine(rules, { groupPacketRules: false }).packetMayMatch(1, true, 6), true, 'ungrouped never skips');
  const pattern = /content:"([^"]+)"/.exec(rules[0].text)![1];
  const payload = Buffer.from(`xx${pattern}yy`, 'latin1');
  const m = Object.assign(createMatchMeta(), { srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 40000, dstPort: 80, serverPort: 80 });
  e.clearSlots();
  e.setSlot('pkt', payload);
  m.dir = 1;
  assert.equal(e.evaluate('packet', m).length, 0);
  assert.equal(e.stats.candidates, 0, 'no candidate at all for the to_client payload');
  m.dir = 0;
  assert.deepEqual(e.evaluate('packet', m).map((h) => h.rule.sid), [rules[0].sid]);
});

test('depth-bounded fast patterns: a match past every depth is not a candidate, one inside fires', () => {
  const { rules } = parseRules([
    'alert tcp any any -> any any (msg:"a"; flow:to_client; content:"result"; depth:12; sid:1;)',
    'alert tcp any any -> any any (msg:"b"; flow:to_client; content:"params"; offset:4; depth:20; sid:2;)',
  ].join('\n'));
  const e = new RuleEngine(rules);
  const m = Object.assign(createMatchMeta(), { dir: 1 as const });
  e.clearSlots();
  e.setSlot('pkt', Buffer.from(`${'z'.repeat(30)}result params`, 'latin1'));
  assert.equal(e.evaluate('packet', m).length, 0);
  assert.equal(e.stats.candidates, 0);
  e.setSlot('pkt', Buffer.from('{"result":1,"params":[]}', 'latin1'));
  assert.deepEqual(e.evaluate('packet', m).map((h) => h.rule.sid), [1, 2]);
  e.setSlot('pkt', Buffer.from('zzzzzzresult', 'latin1'));
  assert.deepEqual(e.evaluate('packet', m).map((h) => h.rule.sid), [1], 'match ending exactly at the depth');
  e.setSlot('pkt', Buffer.from('zzzzzzzresult', 'latin1'));
  assert.deepEqual(e.evaluate('packet', m).map((h) => h.rule.sid), [], 'one byte past the depth');
});

test('a relative fast pattern is prefiltered through the rule\'s depth-anchored content and still fires past that depth', () => {
  const { rules } = parseRules('alert tcp any any -> any any (msg:"gbt"; flow:established,to_client; content:"|22|result|22 3A| {"; depth:50; content:"|22|coinbasetxn|22 3A| {"; distance:0; sid:7;)');
  const grouped = new RuleEngine(rules);
  const reference = new RuleEngine(rules, { groupPacketRules: false });
  const m = Object.assign(createMatchMeta(), { dir: 1 as const });
  const cases: [string, number[]][] = [
    [`{"result": {${' '.repeat(200)}"coinbasetxn": {}}`, [7]],
    [`${' '.repeat(60)}{"result": {"coinbasetxn": {}}`, []],
    ['{"result": {}}', []],
  ];
  for (const [payload, sids] of cases) {
    for (const e of [grouped, reference]) {
      e.clearSlots();
      e.setSlot('pkt', Buffer.from(payload, 'latin1'));
      assert.deepEqual(e.evaluate('packet', m).map((h) => h.rule.sid), sids, payload.slice(0, 20));
    }
  }
  assert.equal(grouped.stats.candidates, 2, 'only the two payloads with the anchor inside the depth are candidates');
});

test('ET rules plus generated content rules: grouped equals ungrouped on payloads built from their patterns', { skip: needSharedData() }, () => {
  const text = readFileSync(sharedFile('lists/et-open-coinmining-rules-all-categories.rules'), 'utf8')
    + '\n' + readFileSync(sharedFile('lists/et-open-emerging-coinminer.rules'), 'utf8')
    + '\n' + generateContentRules(300, 5).join('\n');
  const { rules } = parseRules(text);
  const pieces = rules.filter((r) => r.fastPattern).map((r) => Buffer.from(r.fastPattern!.bytes).toString('latin1'));
  pieces.push('GET / HTTP/1.1\r\n', 'zz', '{"id":1,"method":"mining.subscribe"}');
  const packets = fc.sample(packetSpec, { numRuns: 600, seed: 11 });
  const pick = fc.sample(fc.array(fc.nat(pieces.length - 1), { minLength: 1, maxLength: 4 }), { numRuns: 600, seed: 12 });
  const payloads = new Map(packets.map((p, i) => [p, Buffer.from(pick[i].map((x) => pieces[x]).join(' '), 'latin1')]));
  const { grouped, reference } = compare(rules, packets, (p) => payloads.get(p)!);
  assert.deepEqual(grouped, reference);
  assert.ok(grouped.flat().length > 20, `hits ${grouped.flat().length}`);
});

/**
 * The detector's fast path (packetGroupOf → app class only for gated groups → prefilterPacket
 * → metadata only for candidates) against a detector on the ungrouped reference engine: same
 * alerts for random rules and packets on flows of random protocol, state, direction, server
 * port and identified app protocol, plus packets without a flow. The prefilter must never drop
 * a packet a rule would match.
 */
test('RuleDetector fast path alerts exactly like the ungrouped reference (random rules, flows, packets)', async () => {
  const { RuleDetector } = await import('../../src/rules/detector.js');
  const { CollectingContext, packetOf } = await import('./rule-inputs.js');
  type Flow = import('../../src/events/flow.js').FlowView;
  const mkFlow = (p: PacketSpec): Flow => ({
    id: 1, proto: p.proto, ipVersion: 4, vlan: 0, clientIp: '192.168.1.10', serverIp: '203.0.113.7', clientPort: p.srcPort, serverPort: p.serverPort,
    client4: 0, server4: 0, clientMac: '', serverMac: '', firstTsUs: 0, lastTsUs: 0,
    pktsToServer: p.established ? 2 : 1, pktsToClient: p.established ? 2 : 0,
    bytesToServer: 0, bytesToClient: 0, handshakeSeen: p.established, synSeen: true, finSeen: false, rstSeen: false,
    state: p.established ? 'established' : 'new', tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: p.dir, userData: new Map(),
  } as Flow);
  let alerts = 0;
  fc.assert(fc.property(fc.array(ruleSpec, { minLength: 1, maxLength: 30 }), fc.array(packetSpec, { minLength: 1, maxLength: 40 }), (specs, packets) => {
    const rules: Rule[] = [];
    specs.forEach((s, i) => {
      const r = parseRule(ruleText(s, i + 1));
      if (r.ok) rules.push(r.rule);
    });
    const dets = [new RuleDetector(rules), new RuleDetector(rules, { groupPacketRules: false })];
    const out = dets.map(() => [] as string[]);
    packets.forEach((p, i) => {
      const payload = Buffer.from(p.payload.map((x) => PAYLOAD_PIECES[x]).join(''), 'latin1');
      dets.forEach((det, k) => {
        const ctx = new CollectingContext();
        const pkt = packetOf(payload, 1e15 + i * 1000);
        pkt.proto = p.proto;
        pkt.srcPort = p.srcPort;
        pkt.dstPort = p.dstPort;
        let flow: Flow | null = null;
        if (p.flow < 2) {
          flow = mkFlow(p);
          // What onMessage records once a parser identified the flow's protocol.
          if (p.app !== '') flow.userData.set('rule', { bits: new Set<string>(), app: p.app });
        }
        det.onPacket(pkt, flow, ctx);
        alerts += ctx.alerts.length;
        out[k].push(ctx.alerts.map((a) => `${a.signatureId}@${String((a.evidence as { offset?: number }).offset)}`).join(','));
      });
    });
    assert.deepEqual(out[0], out[1]);
  }), { numRuns: 500, seed: 4343 });
  assert.ok(alerts > 150, `alerts ${alerts}: the property must see rules fire`);
});

type MutableFlow = { -readonly [K in keyof import('../../src/events/flow.js').FlowView]: import('../../src/events/flow.js').FlowView[K] };

/** A TCP flow record as the flow table hands it out: one object, mutated as the flow goes on. */
function tcpFlow(fields: Partial<MutableFlow>): MutableFlow {
  return {
    id: 1, proto: 6, ipVersion: 4, vlan: 0, clientIp: '192.168.1.10', serverIp: '203.0.113.7', clientPort: 40000, serverPort: 5555,
    client4: 0, server4: 0, clientMac: '', serverMac: '', firstTsUs: 0, lastTsUs: 0, pktsToServer: 3, pktsToClient: 2,
    bytesToServer: 0, bytesToClient: 0, handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false,
    state: 'established', tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0, userData: new Map<string, unknown>(), ...fields,
  };
}

/** A detector with one rule, and the number of alerts one packet with `payload` raises on a flow. */
async function oneRuleDetector(ruleText: string, payload: string, options: import('../../src/rules/detector.js').RuleDetectorOptions = {}) {
  const { RuleDetector } = await import('../../src/rules/detector.js');
  const { CollectingContext, packetOf } = await import('./rule-inputs.js');
  const rule = parseRule(ruleText);
  assert.ok(rule.ok);
  const det = new RuleDetector([rule.rule], options);
  const hits = (flow: MutableFlow): number => {
    const ctx = new CollectingContext();
    det.onPacket(packetOf(Buffer.from(payload, 'latin1')), flow, ctx);
    return ctx.alerts.length;
  };
  return { det, hits, context: () => new CollectingContext() };
}

test('RuleDetector: an app-gated packet rule follows the flow\'s identified protocol across packets, and a reused flow record starts over (cached app class)', async () => {
  const { det, hits: hitsOn, context } = await oneRuleDetector(
    'alert http any any -> any any (msg:"miner agent in http"; flow:established,to_server; content:"XMRig/6"; sid:77; rev:1;)',
    'GET / HTTP/1.1\r\nUser-Agent: XMRig/6.21\r\n\r\n',
  );
  // One flow object, as the flow table hands out: reused for a later flow once this one ended.
  const flow = tcpFlow({});
  const hits = (): number => hitsOn(flow);
  // A stale app class could only make the prefilter skip the rule (evaluation checks the gate
  // again), so each step checks that the rule still fires where it must.
  assert.equal(hits(), 0, 'port 5555, protocol not identified yet: the http rule does not apply');
  det.onFlowEnd(flow);
  flow.userData = new Map();
  flow.serverPort = 8080;
  assert.equal(hits(), 1, 'the record reused for a flow to port 8080: HTTP by its port');
  det.onFlowEnd(flow);
  flow.userData = new Map();
  flow.serverPort = 5555;
  assert.equal(hits(), 0, 'reused again, for a flow to port 5555');
  assert.equal(hits(), 0);
  det.onMessage(
    msg('http', 'request', { method: 'GET', uri: '/', host: 'x', headers: [] }, 0, 1e15),
    flow, context(),
  );
  assert.equal(hits(), 1, 'identified as HTTP: the rule applies to the next packet of the same flow');
});

test('RuleDetector: a flow that becomes established on the same record is matched by an established-only rule from then on (cached group)', async () => {
  const { hits: hitsOn } = await oneRuleDetector(
    'alert tcp any any -> any any (msg:"stratum login"; flow:established,to_server; content:"mining.subscribe"; sid:78; rev:1;)',
    '{"id":1,"method":"mining.subscribe","params":[]}\n',
  );
  const flow = tcpFlow({ id: 2, clientPort: 40001, serverPort: 3333, pktsToServer: 1, pktsToClient: 0, handshakeSeen: false, state: 'new' });
  const hits = (): number => hitsOn(flow);
  assert.equal(hits(), 0, 'not established yet');
  assert.equal(hits(), 0);
  flow.handshakeSeen = true;
  flow.state = 'established';
  assert.equal(hits(), 1, 'established now');
  flow.state = 'closed';
  assert.equal(hits(), 1, 'a closing flow whose handshake was seen stays established');
});

test('RuleDetector: raw-content rules stop on a TLS flow once its handshake is done (encryption handling "default"), keep going with "full", and a reused record starts over', async () => {
  const rule = 'alert tcp any any -> any any (msg:"plain text in the stream"; flow:established; content:"needle"; sid:79; rev:1;)';
  const handshakeDone = msg('tls', 'handshake_done', {}, 1, 1e15);
  for (const groupPacketRules of [true, false]) {
    for (const encryptionHandling of ['default', 'full'] as const) {
      const { det, hits: hitsOn, context } = await oneRuleDetector(rule, 'hay needle hay', { encryptionHandling, groupPacketRules });
      const flow = tcpFlow({ id: 3, serverPort: 443 });
      const hits = (dir: 0 | 1): number => { flow.lastDir = dir; return hitsOn(flow); };
      const label = `${encryptionHandling}, grouped ${groupPacketRules}`;
      assert.equal(hits(0), 1, `${label}: before the handshake is done`);
      det.onMessage(handshakeDone, flow, context());
      const after = encryptionHandling === 'default' ? 0 : 1;
      assert.equal(hits(0), after, `${label}: client to server after the handshake`);
      assert.equal(hits(1), after, `${label}: server to client after the handshake`);
      det.onFlowEnd(flow);
      flow.userData = new Map();
      assert.equal(hits(0), 1, `${label}: the record reused for another flow`);
    }
  }
});
