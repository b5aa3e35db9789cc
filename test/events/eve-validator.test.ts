/**
 * The collector's Ajv validator (compiled from the zod schemas' JSON Schema) accepts and
 * refuses exactly the events zod does: valid events of every known type and an unknown one,
 * then generated mutations of them (a field replaced by random JSON, a field removed, a field
 * added, a nested body replaced), and random JSON objects. Refusals carry zod's path + message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileEveValidator } from '../../src/events/eve-validator.js';
import { EVE_SCHEMAS, OtherEveEvent } from '../../src/events/eve.js';
import { alertEvent } from '../helpers/collector.js';

const v = compileEveValidator();
const TS = '2026-01-05T18:00:00.000000+0000';

function zodAccepts(e: unknown): boolean {
  const t = (e as { event_type?: unknown } | null)?.event_type;
  const s = typeof t === 'string' && Object.hasOwn(EVE_SCHEMAS, t) ? EVE_SCHEMAS[t as keyof typeof EVE_SCHEMAS] : OtherEveEvent;
  return s.safeParse(e).success;
}

const SEEDS: Array<Record<string, unknown>> = [
  alertEvent(1, Date.parse('2026-01-05T18:00:00Z')),
  alertEvent(2, Date.parse('2026-01-05T18:00:00Z'), { src: '203.0.113.9' }),
  {
    timestamp: TS, event_type: 'flow', flow_id: 7, src_ip: '10.0.0.2', src_port: 4000, dest_ip: '198.51.100.1', dest_port: 3333, proto: 'TCP',
    flow: { pkts_toserver: 3, pkts_toclient: 2, bytes_toserver: 300, bytes_toclient: 200, start: TS, end: TS, age: 1, state: 'closed', reason: 'timeout', alerted: false },
    tcp: { tcp_flags: '1b', tcp_flags_ts: '1b', tcp_flags_tc: '1b', syn: true, fin: true },
    minewatch: { event_id: 'f-1', sensor: 's' },
  },
  { timestamp: TS, event_type: 'stats', stats: { uptime: 10, decoder: { pkts: 5 } }, minewatch: { event_id: 's-1' } },
  {
    timestamp: TS, event_type: 'scan', dest_ip: '192.168.1.5',
    minewatch: { detector: 'scan', event_id: 'sc-1', scan: { kind: 'finding', id: 'redis-open', severity: 'high', title: 't', remediation: 'r' } },
  },
  {
    timestamp: TS, event_type: 'scan', dest_ip: '192.168.1.6',
    minewatch: { detector: 'scan', event_id: 'sc-2', scan: { kind: 'host', state: 'up', discovered_by: ['arp'], ports: [{ port: 22, proto: 'tcp', service: 'ssh', product: 'OpenSSH', version: '9' }] } },
  },
  {
    timestamp: TS, event_type: 'device',
    minewatch: {
      event_id: 'd-1', device: { id: 'dev-1', type: 'nas', mac: '02:00:00:00:00:01' },
      inventory: { macs: ['02:00:00:00:00:01'], ips: ['192.168.1.9'], hostnames: [], randomized: false, score: 80, reasons: ['oui'], first_seen: TS, last_seen: TS },
    },
  },
  { timestamp: TS, event_type: 'dns', dns: { version: 2, type: 'answer', id: 5, rrname: 'pool.example', answers: [{ rrname: 'pool.example', rrtype: 'A', ttl: 60, rdata: '1.2.3.4' }], tx_id: 1 }, minewatch: { event_id: 'n-1' } },
  { timestamp: TS, event_type: 'tls', tls: { version: 'TLS 1.3', sni: 'pool.example', ja3: { hash: 'h', string: 's' }, serial: '00' }, minewatch: { event_id: 't-1' } },
  { timestamp: TS, event_type: 'http', http: { hostname: 'x', url: '/', status: 200, length: 0 }, minewatch: { event_id: 'h-1' } },
  { timestamp: TS, event_type: 'smb', smb: { command: 'SMB2_COMMAND_NEGOTIATE' }, src_port: 445, minewatch: { event_id: 'o-1' } },
];

const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x)) as unknown;

/** Every path (key list) to a value inside the event. */
function paths(x: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (x !== null && typeof x === 'object') {
    for (const [k, c] of Object.entries(x)) {
      const p = [...prefix, k];
      out.push(p);
      paths(c, p, out);
    }
  }
  return out;
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown };

function mutate(seed: Record<string, unknown>, pathIndex: number, m: Mutation): unknown {
  const e = json(seed) as Record<string, unknown>;
  const all = paths(e);
  const p = all[pathIndex % all.length];
  let parent: Record<string, unknown> = e;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
  const last = p[p.length - 1];
  if (m.kind === 'set') parent[last] = m.value;
  else if (m.kind === 'delete') delete parent[last];
  else {
    const target = parent[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = m.value;
    else parent[m.key] = m.value;
  }
  return json(e);
}

// values that sit near the schemas' edges, beside fully random JSON
const edgy = fc.oneof(
  fc.constantFrom(0, -1, 1, 1.5, 65535, 65536, 4, 5, 2 ** 53, -(2 ** 53), 1e300, '', 'x', 'a'.repeat(64), 'a'.repeat(65), '😀'.repeat(32), '😀'.repeat(33),
    TS, '2026-01-05T18:00:00.000000Z', '2026-01-05T18:00:00.000000+0000\n', 'alert', 'flow', 'dns', 'scan', 'allowed', 'blocked', 'query', 'host', 'finding', 'up',
    true, false, null, [], {}, [1], ['a']),
  fc.jsonValue({ maxDepth: 3 }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: edgy }),
  fc.constant({ kind: 'delete' as const }),
  fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.constantFrom('event_type', 'minewatch', 'detector', 'severity', 'kind', 'extra', 'tx_id'), fc.string({ maxLength: 6 })), value: edgy }),
);

void test('every seed event is valid for both, and a few known-bad ones are refused by both', () => {
  for (const s of SEEDS) {
    assert.equal(zodAccepts(s), true, JSON.stringify(s));
    assert.equal(v.valid(s), true, JSON.stringify(s));
    assert.deepEqual(v.reasons(s), []);
  }
  const bad = json(SEEDS[0]) as { src_port: unknown };
  bad.src_port = 70000;
  assert.equal(v.valid(bad), false);
  assert.ok(v.reasons(bad).some((r) => r.startsWith('src_port: ')), String(v.reasons(bad)));
  assert.equal(v.valid({ timestamp: TS, event_type: 'alert', minewatch: { detector: 'x' } }), false, 'alert without alert{}');
  assert.equal(v.valid(null), false);
  assert.equal(v.valid([]), false);
});

void test('property: Ajv and zod accept and refuse the same mutated events', () => {
  let accepted = 0;
  let refused = 0;
  fc.assert(fc.property(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (si, pi, ms) => {
    let e: unknown = SEEDS[si];
    for (const [k, m] of ms.entries()) e = typeof e === 'object' && e !== null ? mutate(e as Record<string, unknown>, pi + k * 7, m) : e;
    const z = zodAccepts(e);
    const a = v.valid(e);
    if (z) accepted++;
    else refused++;
    assert.equal(a, z, `Ajv ${a} vs zod ${z} on ${JSON.stringify(e)}`);
    if (!a) assert.ok(v.reasons(e).length > 0);
  }), { numRuns: 4000, seed: 20261207 });
  // the generator must exercise both sides, or the property proves nothing
  assert.ok(accepted > 200 && refused > 200, `accepted ${accepted}, refused ${refused}`);
});

void test('property: random JSON objects (with a known or random event_type) get the same verdict', () => {
  const obj = fc.record({
    timestamp: fc.oneof(fc.constant(TS), fc.string()),
    event_type: fc.oneof(fc.constantFrom(...Object.keys(EVE_SCHEMAS), 'smb', ''), fc.string({ maxLength: 5 }), fc.integer()),
  }).chain((base) => fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }).map((extra) => json({ ...extra, ...base })));
  fc.assert(fc.property(obj, (e) => {
    assert.equal(v.valid(e), zodAccepts(e), JSON.stringify(e));
  }), { numRuns: 2000, seed: 7 });
});
