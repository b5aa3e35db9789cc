import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { parseRules, type Rule } from '../../src/rules/parser.js';
import { RuleDetector } from '../../src/rules/detector.js';
import type { ProtocolMessage } from '../../src/events/messages.js';
import { inputFor, mutateFastPattern, runInput, type RuleInput } from './rule-inputs.js';

const COINMINER = 'lists/et-open-emerging-coinminer.rules';
const ALL = 'lists/et-open-coinmining-rules-all-categories.rules';

/** Where the fast pattern is split across reconstructed fields, the negative breaks the URI. */
const NEGATIVE_OVERRIDES: Record<number, RuleInput> = {
  2031464: { request: { method: 'GET', uri: '/updates', headers: [['Host', '203.0.113.5:8000'], ['Connection', 'Keep-Alive']] }, serverPort: 8000 },
  2031465: { request: { method: 'GET', uri: '/banners', headers: [['Host', '203.0.113.5:8000'], ['Connection', 'Keep-Alive']] }, serverPort: 8000 },
};

test('ET COINMINER file: 23 loaded, 3 skipped (tls.cert_subject), 3 commented out', { skip: needSharedData() }, () => {
  const r = parseRules(readFileSync(sharedFile(COINMINER), 'utf8'));
  assert.equal(r.rules.length, 23);
  assert.equal(r.disabled, 3);
  // The TLS parser exposes only the certificate CN, not the full subject DN these rules match.
  assert.deepEqual(r.skippedByKeyword, { 'tls.cert_subject': 3 });
  assert.deepEqual(r.skipped.map((s) => s.sid).sort(), [2025536, 2025582, 2028623]);
  for (const s of r.skipped) assert.match(s.reason, /tls\.cert_subject/);
});

test('ET all-categories extract: 42 loaded, 4 tls.cert_subject + 1 tls.cert_serial skipped', { skip: needSharedData() }, () => {
  const r = parseRules(readFileSync(sharedFile(ALL), 'utf8'));
  assert.equal(r.rules.length, 42);
  assert.equal(r.disabled, 0);
  assert.deepEqual(r.skippedByKeyword, { 'tls.cert_serial': 1, 'tls.cert_subject': 4 });
  assert.deepEqual(r.skipped.map((s) => s.sid).sort(), [2024786, 2025318, 2025536, 2025582, 2028623]);
  const byContext: Record<string, number> = {};
  for (const rule of r.rules) byContext[rule.context] = (byContext[rule.context] ?? 0) + 1;
  assert.deepEqual(byContext, { packet: 13, dns: 10, tls: 1, 'http-request': 13, 'http-response': 5 } as Record<string, number>);
  // Every rule got a prefilter pattern (none evaluated on every packet).
  assert.equal(r.rules.filter((x) => x.fastPattern === null).length, 0);
});

function checkRules(file: string): { fired: number; rules: Rule[] } {
  const { rules } = parseRules(readFileSync(sharedFile(file), 'utf8'));
  let fired = 0;
  for (const rule of rules) {
    const input = inputFor(rule);
    assert.ok(input, `sid ${rule.sid}: no input could be generated`);
    // Fresh detector per rule: thresholds and flowbits must not leak between cases.
    const det = new RuleDetector(rules);
    const alerts = runInput(det, rule, input);
    const mine = alerts.filter((a) => a.signatureId === rule.sid);
    assert.equal(mine.length, 1, `sid ${rule.sid} (${rule.msg}) should fire once; got ${alerts.map((a) => a.signatureId).join(',') || 'nothing'}`);
    const a = mine[0];
    assert.equal(a.detector, 'rule');
    assert.equal(a.signature, rule.msg);
    assert.equal(a.rev, rule.rev);
    assert.equal(a.category, rule.category);
    const ev = a.evidence as { buffer: string; matched: string; matched_hex: string; matches: { hex: string; buffer: string }[] };
    const fpHex = Buffer.from(rule.fastPattern!.bytes).toString('hex');
    const hexes = ev.matches.map((m) => m.hex.toLowerCase());
    const found = rule.fastPattern!.nocase
      ? hexes.some((h) => Buffer.from(h, 'hex').toString('latin1').toLowerCase().includes(Buffer.from(fpHex, 'hex').toString('latin1').toLowerCase().slice(0, 64)))
      : hexes.some((h) => fpHex.startsWith(h) || h.includes(fpHex));
    assert.ok(found, `sid ${rule.sid}: evidence shows the fast-pattern bytes (${fpHex}); got ${JSON.stringify(ev.matches)}`);
    assert.equal(ev.buffer, rule.fastPattern!.buffer);
    fired++;

    const negative = NEGATIVE_OVERRIDES[rule.sid] ?? mutateFastPattern(rule, input);
    const neg = runInput(new RuleDetector(rules), rule, negative).filter((x) => x.signatureId === rule.sid);
    assert.equal(neg.length, 0, `sid ${rule.sid}: must not fire once its fast pattern is broken`);
  }
  return { fired, rules };
}

test('every loaded COINMINER rule fires on the input it intends, with matched bytes in evidence, and not on a mutant', { skip: needSharedData() }, () => {
  assert.equal(checkRules(COINMINER).fired, 23);
});

test('every loaded rule of the all-categories extract fires on its input and not on a mutant', { skip: needSharedData() }, () => {
  assert.equal(checkRules(ALL).fired, 42);
});

test('severity and category follow classification.config', { skip: needSharedData() }, () => {
  const { rules } = parseRules(readFileSync(sharedFile(ALL), 'utf8'));
  const bySid = new Map(rules.map((r) => [r.sid, r]));
  assert.equal(bySid.get(2024828)!.category, 'Crypto Currency Mining Activity Detected');
  assert.equal(bySid.get(2024828)!.priority, 2);
  assert.equal(bySid.get(2025535)!.category, 'A Network Trojan was detected');
  assert.equal(bySid.get(2025535)!.priority, 1);
  assert.equal(bySid.get(2026867)!.category, 'Potential Corporate Privacy Violation');
});

test('threshold limit: Repl.it miner check-in alerts once per source per hour', { skip: needSharedData() }, () => {
  const { rules } = parseRules(readFileSync(sharedFile(COINMINER), 'utf8'));
  const rule = rules.find((r) => r.sid === 2046702)!;
  const det = new RuleDetector(rules);
  const input = inputFor(rule)!;
  const t0 = 1e15;
  assert.equal(runInput(det, rule, input, t0).length, 1);
  assert.equal(runInput(det, rule, input, t0 + 60e6).length, 0, 'second check-in within the hour is suppressed');
  assert.equal(runInput(det, rule, input, t0 + 3601e6).length, 1, 'after an hour it alerts again');
  assert.equal(det.engine.stats.suppressed, 1);
});

test('header constraints: direction, addresses and ports gate a matching payload', { skip: needSharedData() }, () => {
  const { rules } = parseRules(readFileSync(sharedFile(COINMINER), 'utf8'));
  const login = rules.find((r) => r.sid === 2022886)!;
  const input = inputFor(login)!;
  const det = new RuleDetector([login]);
  assert.equal(runInput(det, login, input).length, 1);
  // Same bytes from the server side (to_client) must not match a to_server rule.
  const flipped = { ...login, flow: { ...login.flow, dir: 1 as const } };
  assert.equal(runInput(det, flipped, input).length, 0);
  // Dst port 1024: rule (Pascalcoin) does not match a server on port 80.
  const pascal = rules.find((r) => r.sid === 2026750)!;
  assert.equal(runInput(new RuleDetector([pascal]), pascal, { ...inputFor(pascal)!, serverPort: 80 }).length, 0);
  assert.equal(runInput(new RuleDetector([pascal]), pascal, { ...inputFor(pascal)!, serverPort: 3333 }).length, 1);
});

test('rule alerts become valid EVE alert events (pipeline AlertBuilder + zod schema); target: marks the device', { skip: needSharedData() }, async () => {
  const { AlertBuilder } = await import('../../src/pipeline/alerts.js');
  const { AlertEvent } = await import('../../src/events/eve.js');
  const { rules } = parseRules(readFileSync(sharedFile(COINMINER), 'utf8'));
  const rule = rules.find((r) => r.sid === 2048922)!; // monerohash DNS rule with target:src_ip
  assert.equal(rule.target, 'src_ip');
  const alerts = runInput(new RuleDetector(rules), rule, inputFor(rule)!);
  assert.equal(alerts.length, 1);
  assert.deepEqual(alerts[0].device, { ip: '192.168.1.10' });
  const ev = new AlertBuilder().build(null, { ...alerts[0], srcIp: '192.168.1.10', destIp: '203.0.113.5' }, 1e15);
  const parsed = AlertEvent.safeParse(ev);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.equal(ev!.alert.signature_id, 2048922);
  assert.equal(ev!.minewatch.detector, 'rule');
  assert.equal((ev!.minewatch.evidence as { matched: string }).matched, 'monerohash.com');
});

test('property: malformed message fields never throw out of RuleDetector', { skip: needSharedData() }, async () => {
  const fc = (await import('fast-check')).default;
  const { rules } = parseRules(readFileSync(sharedFile(ALL), 'utf8'));
  const det = new RuleDetector(rules);
  const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.uint8Array({ maxLength: 64 }),
    fc.array(fc.oneof(fc.tuple(fc.string(), fc.string()), fc.string(), fc.constant(null)), { maxLength: 5 }));
  const fields = fc.dictionary(fc.constantFrom('qname', 'response', 'sni', 'method', 'uri', 'host', 'userAgent', 'headers', 'body', 'status', 'version'), value);
  fc.assert(fc.property(fc.constantFrom('dns', 'tls', 'http'), fc.constantFrom('query', 'client_hello', 'request', 'response'), fields, fc.constantFrom<0 | 1>(0, 1), (protocol, kind, f, dir) => {
    const flow = {
      id: 1, proto: 6, ipVersion: 4, vlan: 0, clientIp: '192.168.1.2', serverIp: '203.0.113.1', clientPort: 40000, serverPort: 80,
      client4: 0, server4: 0, clientMac: '', serverMac: '', firstTsUs: 0, lastTsUs: 0, pktsToServer: 1, pktsToClient: 1,
      bytesToServer: 0, bytesToClient: 0, handshakeSeen: true, synSeen: true, finSeen: false, rstSeen: false, state: 'established' as const,
      tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: dir, userData: new Map(),
    };
    // Fields the contract (events/messages.ts) forbids, on purpose: the rule engine must not throw even then.
    det.onMessage({ protocol, kind, dir, tsUs: 1e15, fields: f } as unknown as ProtocolMessage, flow, { emit: () => {}, emitEvent: () => {} });
  }), { numRuns: 1500 });
});
