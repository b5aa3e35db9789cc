import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createStratumConsumer, parseStratumJson } from '../../src/protocols/stratum.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import type { StratumFields } from '../../src/protocols/types.js';
import { fakeFlow } from '../detect/fixtures.js';

function feedSplit(bytes: Uint8Array, cuts: number[]): ProtocolMessage[] {
  const out: ProtocolMessage[] = [];
  const c = createStratumConsumer((_f, m) => out.push(m));
  const flow = fakeFlow();
  const points = [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  let accepted: boolean | null = null;
  for (const p of [...points, bytes.length]) {
    if (p <= prev) continue;
    const part = bytes.subarray(prev, p);
    prev = p;
    if (accepted === null) accepted = c.accepts(flow, 0, part);
    if (!accepted) break;
    if (c.onData(flow, 0, part, 1) === 1) break;
  }
  return out;
}

const SESSION = new TextEncoder().encode([
  '{"id":1,"method":"login","params":{"login":"44AFFq5kSiGBoZ.rig7","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/11.2.0","algo":["cn/0","cn/r","rx/0"]}}',
  '{"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"1","job_id":"abc","nonce":"deadbeef","result":"00"}}',
  '{"id":3,"method":"keepalived","params":{"id":"1"}}',
  '',
].join('\n'));

void test('stratum parser: same messages whatever the segmentation (property)', () => {
  const whole = feedSplit(SESSION, []);
  assert.deepEqual(whole.map((m) => m.kind), ['login', 'submit', 'keepalived']);
  const login = whole[0].fields as unknown as StratumFields;
  assert.deepEqual(login.algorithms, ['cn/0', 'cn/r', 'rx/0']);
  assert.equal(login.worker, 'rig7');
  fc.assert(fc.property(fc.array(fc.nat({ max: SESSION.length }), { maxLength: 12 }), (cuts) => {
    const got = feedSplit(SESSION, cuts);
    assert.deepEqual(got.map((m) => m.kind), ['login', 'submit', 'keepalived']);
  }), { numRuns: 300 });
});

void test('stratum parser: never throws on random or mutated input, buffers stay bounded', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
    feedSplit(bytes, cuts);
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: SESSION.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }), (muts) => {
    const b = SESSION.slice();
    for (const [i, v] of muts) b[i] = v;
    feedSplit(b, [7, 99]);
  }), { numRuns: 300 });
});

void test('stratum parser: a line over the limit is malformed and ends the flow', () => {
  const c = createStratumConsumer(() => {}, { maxLine: 1024 });
  const flow = fakeFlow();
  const big = new TextEncoder().encode(`{"id":1,"method":"mining.subscribe","params":["${'a'.repeat(2000)}`);
  assert.equal(c.accepts(flow, 0, big), true);
  assert.equal(c.onData(flow, 0, big, 1), 1);
  assert.equal(c.malformed.get('line-too-long'), 1);
});

void test('stratum parser: gives up quickly on non-JSON and non-mining JSON flows', () => {
  const c = createStratumConsumer(() => {});
  const flow = fakeFlow();
  assert.equal(c.accepts(flow, 0, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')), false);
  const rpc = new TextEncoder().encode('{"jsonrpc":"2.0","method":"web3_clientVersion","params":[],"id":67}\n'.repeat(6));
  const f2 = fakeFlow();
  assert.equal(c.accepts(f2, 0, rpc), true);
  assert.equal(c.onData(f2, 0, rpc, 1), 1);
  // "login"/"submit" without the pool shape are not mining.
  assert.equal(parseStratumJson('{"id":1,"method":"login","params":["bob","pw"]}', null).kind, 'other');
  assert.equal(parseStratumJson('{"id":1,"method":"submit","params":{"form":"x"}}', null).kind, 'other');
});

void test('stratum parser: NiceHash EthereumStratum subscribe labels the flow ethereum', () => {
  const out: ProtocolMessage[] = [];
  const c = createStratumConsumer((_f, m) => out.push(m));
  const flow = fakeFlow();
  const d = new TextEncoder().encode('{"id":1,"method":"mining.subscribe","params":["ethminer 0.19.0","EthereumStratum/1.0.0"]}\n{"id":2,"method":"mining.authorize","params":["0xabc.rig1","x"]}\n');
  assert.ok(c.accepts(flow, 0, d));
  c.onData(flow, 0, d, 1);
  assert.deepEqual(out.map((m) => (m.fields as unknown as StratumFields).dialect), ['ethereum', 'ethereum']);
  assert.equal((out[1].fields as unknown as StratumFields).worker, 'rig1');
});

function sv2Setup(): Uint8Array {
  const s = (t: string) => [t.length, ...Buffer.from(t)];
  const payload = [0, 2, 0, 2, 0, 1, 0, 0, 0, ...s('pool.example.org'), 0x2a, 0x0d, ...s('Bitmain'), ...s('S19'), ...s('fw-1.2'), ...s('dev-42')];
  const hdr = [0, 0, 0, payload.length & 0xff, (payload.length >> 8) & 0xff, 0];
  const open = [1, 0, 0, 0, ...s('alice.worker9'), 0, 0, 0x80, 0x3f];
  const hdr2 = [0, 0x80, 0x10, open.length, 0, 0];
  return Uint8Array.from([...hdr, ...payload, ...hdr2, ...open]);
}

void test('stratum parser: Stratum V2 plaintext SetupConnection and OpenStandardMiningChannel', () => {
  const out: ProtocolMessage[] = [];
  const c = createStratumConsumer((_f, m) => out.push(m));
  const flow = fakeFlow({ serverPort: 34254 });
  const b = sv2Setup();
  assert.ok(c.accepts(flow, 0, b.subarray(0, 20)));
  c.onData(flow, 0, b.subarray(0, 20), 1);
  c.onData(flow, 0, b.subarray(20), 2);
  assert.equal(out.length, 2);
  const f0 = out[0].fields as unknown as StratumFields;
  assert.equal(f0.dialect, 'stratum-v2');
  assert.equal(f0.method, 'SetupConnection');
  assert.equal(f0.agent, 'Bitmain S19 fw-1.2');
  assert.match(f0.raw, /endpoint=pool\.example\.org:3370/);
  assert.equal((out[1].fields as unknown as StratumFields).login, 'alice.worker9');
});
