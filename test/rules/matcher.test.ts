import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRule, type Rule } from '../../src/rules/parser.js';
import { RuleEngine, createMatchMeta, type MatchMeta } from '../../src/rules/matcher.js';

function rule(opts: string, header = 'alert tcp any any -> any any'): Rule {
  const r = parseRule(`${header} (msg:"t"; ${opts} sid:${Math.floor(Math.random() * 1e6) + 1};)`);
  if (!r.ok) throw new Error(`${r.skip.keyword}: ${r.skip.reason}`);
  return r.rule;
}

function meta(over: Partial<MatchMeta> = {}): MatchMeta {
  return Object.assign(createMatchMeta(), { srcIp: '192.168.1.2', dstIp: '203.0.113.1', srcPort: 40000, dstPort: 3333, serverPort: 3333 }, over);
}

function fires(r: Rule, payload: string, m: MatchMeta = meta()): boolean {
  const e = new RuleEngine([r]);
  e.clearSlots();
  e.setSlot('pkt', Buffer.from(payload, 'latin1'));
  return e.evaluate('packet', m).length === 1;
}

test('offset/depth bound absolute matches', () => {
  const r = rule('content:"abc"; offset:2; depth:5;');
  assert.equal(fires(r, 'xxabc'), true);
  assert.equal(fires(r, 'xxxxabc'), true);
  assert.equal(fires(r, 'xxxxxabc'), false, 'past depth');
  assert.equal(fires(r, 'xabc'), false, 'before offset');
});

test('distance/within are relative to the previous match and backtrack over earlier occurrences', () => {
  const r = rule('content:"A"; content:"B"; distance:1; within:2;');
  assert.equal(fires(r, 'AxB'), true);
  assert.equal(fires(r, 'AB'), false, 'distance 1 skips the adjacent byte');
  assert.equal(fires(r, 'AxxxB'), false, 'outside within');
  assert.equal(fires(r, 'AxxxxAxB'), true, 'second A satisfies after the first failed (backtracking)');
});

test('startswith/endswith/nocase/negation/isdataat/bsize/dsize', () => {
  assert.equal(fires(rule('content:"GET"; startswith;'), 'GET /'), true);
  assert.equal(fires(rule('content:"GET"; startswith;'), ' GET /'), false);
  assert.equal(fires(rule('content:"miner"; endswith;'), 'xminer'), true);
  assert.equal(fires(rule('content:"miner"; endswith;'), 'minerx'), false);
  assert.equal(fires(rule('content:"MiNeR"; nocase;'), 'xxminerxx'), true);
  assert.equal(fires(rule('content:"MiNeR";'), 'xxminerxx'), false);
  assert.equal(fires(rule('content:"a"; content:!"EHLO"; startswith;'), 'EHLO a'), false);
  assert.equal(fires(rule('content:"a"; content:!"EHLO"; startswith;'), 'HELO a'), true);
  assert.equal(fires(rule('content:"end"; isdataat:!1,relative;'), 'the end'), true);
  assert.equal(fires(rule('content:"end"; isdataat:!1,relative;'), 'the end.'), false);
  assert.equal(fires(rule('content:"abc"; dsize:<5;'), 'abcd'), true);
  assert.equal(fires(rule('content:"abc"; dsize:<5;'), 'abcde'), false);
  assert.equal(fires(rule('content:"abc"; bsize:3;'), 'abc'), true);
  assert.equal(fires(rule('content:"abc"; bsize:3;'), 'abcd'), false);
});

test('pcre relative (R) and absolute', () => {
  const r = rule('content:"id="; pcre:"/^[0-9]{3}\\b/R";');
  assert.equal(fires(r, 'x id=123 y'), true);
  assert.equal(fires(r, 'x id=12x'), false);
  const neg = rule('content:"miner"; pcre:!"/idleminer/i";');
  assert.equal(fires(neg, 'cpuminer'), true);
  assert.equal(fires(neg, 'IdleMiner'), false);
});

test('flow direction and established state', () => {
  const r = rule('flow:established,to_server; content:"x";');
  assert.equal(fires(r, 'x', meta({ dir: 0, established: true })), true);
  assert.equal(fires(r, 'x', meta({ dir: 1, established: true })), false);
  assert.equal(fires(r, 'x', meta({ dir: 0, established: false })), false);
});

test('flowbits: set in one packet, isset in a later one of the same flow; noalert', () => {
  const setter = rule('content:"login"; flowbits:set,mw.login; flowbits:noalert;');
  const checker = rule('content:"job"; flowbits:isset,mw.login;');
  const e = new RuleEngine([setter, checker]);
  const bits = new Set<string>();
  const m = meta({ flowbits: bits });
  const run = (p: string): number => { e.clearSlots(); e.setSlot('pkt', Buffer.from(p)); return e.evaluate('packet', m).length; };
  assert.equal(run('job'), 0, 'isset fails before the bit is set');
  assert.equal(run('login'), 0, 'noalert: no alert from the setter');
  assert.ok(bits.has('mw.login'));
  assert.equal(run('job'), 1);
  assert.equal(run('job'), 1, 'other flows (other bit sets) are independent');
  const fresh = meta({ flowbits: new Set() });
  e.clearSlots(); e.setSlot('pkt', Buffer.from('job'));
  assert.equal(e.evaluate('packet', fresh).length, 0);
});

test('threshold types: limit, threshold, both; detection_filter', () => {
  const run = (opts: string, n: number): number[] => {
    const e = new RuleEngine([rule(`content:"x"; ${opts}`)]);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      e.clearSlots(); e.setSlot('pkt', Buffer.from('x'));
      if (e.evaluate('packet', meta({ tsUs: 1e15 + i * 1e6 })).length) out.push(i + 1);
    }
    return out;
  };
  assert.deepEqual(run('threshold:type limit,track by_src,count 2,seconds 60;', 6), [1, 2]);
  assert.deepEqual(run('threshold:type threshold,track by_src,count 3,seconds 60;', 7), [3, 6]);
  assert.deepEqual(run('threshold:type both,track by_dst,count 3,seconds 60;', 7), [3]);
  assert.deepEqual(run('detection_filter:track by_src,count 4,seconds 60;', 6), [5, 6]);
});

test('hostile payload: backtracking is bounded by the step budget', () => {
  const r = rule('content:"a"; content:"a"; distance:0; content:"a"; distance:0; content:"b"; distance:0; within:1;');
  const e = new RuleEngine([r], { stepBudget: 2000 });
  e.clearSlots();
  e.setSlot('pkt', Buffer.alloc(20000, 0x61));
  const t = process.hrtime.bigint();
  assert.equal(e.evaluate('packet', meta()).length, 0);
  assert.ok(Number(process.hrtime.bigint() - t) / 1e6 < 500);
  assert.equal(e.stats.budgetExhausted, 1);
});

test('prefilter: only rules whose fast pattern occurs are evaluated', () => {
  const rules = Array.from({ length: 200 }, (_, i) => rule(`content:"pattern-${i}-end";`));
  const e = new RuleEngine(rules);
  e.clearSlots();
  e.setSlot('pkt', Buffer.from('xx pattern-17-end yy pattern-150-end'));
  const hits = e.evaluate('packet', meta());
  assert.equal(hits.length, 2);
  assert.equal(e.stats.candidates, 2);
  assert.equal(hits[0].evidence.matched, 'pattern-17-end');
  assert.equal(hits[0].evidence.offset, 3);
});

test('property: random and mutated payloads through the ET rules never throw', async () => {
  const { HAVE_SHARED_DATA, sharedFile } = await import('../helpers/shared-data.js');
  const { readFileSync } = await import('node:fs');
  const { parseRules } = await import('../../src/rules/parser.js');
  const fc = (await import('fast-check')).default;
  const text = HAVE_SHARED_DATA ? readFileSync(sharedFile('lists/et-open-coinmining-rules-all-categories.rules'), 'utf8') : 'alert tcp any any -> any any (msg:"x"; content:"a"; pcre:"/a.b/R"; sid:1;)';
  const e = new RuleEngine(parseRules(text).rules);
  const seed = Buffer.from('{"id": 1, "method": "mining.subscribe", "params": ["x"]}{"method":"login","params":{"login":"w","agent":"x"}}');
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 1500 }),
    fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 20 })).map(([at, ins]) => { const i = at % seed.length; return Buffer.concat([seed.subarray(0, i), ins, seed.subarray(i)]); }),
  );
  fc.assert(fc.property(payload, fc.constantFrom<0 | 1>(0, 1), (p, dir) => {
    for (const ctx of ['packet', 'dns', 'tls', 'http-request', 'http-response'] as const) {
      e.clearSlots();
      for (const b of e.buffersUsed(ctx)) e.setSlot(b, p);
      e.evaluate(ctx, meta({ dir, proto: ctx === 'dns' ? 17 : 6, flowbits: new Set() }));
    }
  }), { numRuns: 1500 });
});

test('RuleDetector: flowbits carried per flow across packets', async () => {
  const { RuleDetector } = await import('../../src/rules/detector.js');
  const { CollectingContext, packetOf } = await import('./rule-inputs.js');
  const setter = rule('flow:to_server; content:"login"; flowbits:set,mw.login; flowbits:noalert;');
  const checker = rule('flow:to_client; content:"job"; flowbits:isset,mw.login;');
  const det = new RuleDetector([setter, checker]);
  const mkFlow = (): import('../../src/events/flow.js').FlowView => ({
    id: 1, proto: 6, ipVersion: 4, vlan: 0, clientIp: '192.168.1.2', serverIp: '203.0.113.1', clientPort: 40000, serverPort: 3333,
    client4: 0, server4: 0, clientMac: '', serverMac: '', firstTsUs: 0, lastTsUs: 0, pktsToServer: 1, pktsToClient: 1,
    bytesToServer: 0, bytesToClient: 0, handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false, state: 'established',
    tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0, userData: new Map(),
  });
  const send = (flow: ReturnType<typeof mkFlow>, dir: 0 | 1, text: string, ctx: InstanceType<typeof CollectingContext>): void => {
    (flow as { lastDir: 0 | 1 }).lastDir = dir;
    const p = packetOf(Buffer.from(text));
    p.proto = 6;
    det.onPacket(p, flow, ctx);
  };
  const a = mkFlow();
  const b = mkFlow();
  const ctx = new CollectingContext();
  send(a, 1, 'job', ctx);
  assert.equal(ctx.alerts.length, 0);
  send(a, 0, '{"login"}', ctx);
  send(a, 1, '{"job"}', ctx);
  assert.deepEqual(ctx.alerts.map((x) => x.signatureId), [checker.sid]);
  send(b, 1, '{"job"}', ctx);
  assert.equal(ctx.alerts.length, 1, 'another flow has its own bits');
});
