import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createStratumConsumer, parseStratumJson } from '../../src/protocols/stratum.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import type { FlowView } from '../../src/events/flow.js';
import type { StratumFields } from '../../src/protocols/types.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, needTshark, replay, retransmittedMethodCounts, streamMethodCounts, tcpStreams } from '../detect/fixtures.js';

interface Got { flow: FlowView; msg: ProtocolMessage }

const runCache = new Map<string, ReturnType<typeof runFileUncached>>();
const retransCache = new Map<string, Map<string, number>>();
function runFile(file: string): ReturnType<typeof runFileUncached> {
  let r = runCache.get(file);
  if (!r) runCache.set(file, (r = runFileUncached(file)));
  return r;
}
function retransmitted(file: string): Map<string, number> {
  let r = retransCache.get(file);
  if (!r) retransCache.set(file, (r = retransmittedMethodCounts(sharedFile(file))));
  return r;
}

function runFileUncached(file: string): { got: Got[]; methods: Map<string, number>; dialects: Set<string>; inStreams: Map<string, number> } {
  const got: Got[] = [];
  const consumer = createStratumConsumer((flow, msg) => got.push({ flow, msg }));
  const streams = tcpStreams(sharedFile(file));
  for (const s of streams) replay(consumer, s);
  const methods = new Map<string, number>();
  const dialects = new Set<string>();
  for (const { msg } of got) {
    const f = msg.fields as unknown as StratumFields;
    dialects.add(f.dialect);
    if (f.method) methods.set(f.method, (methods.get(f.method) ?? 0) + 1);
  }
  return { got, methods, dialects, inStreams: streamMethodCounts(streams) };
}

/**
 * SOURCES.md counted methods per packet (retransmitted copies included); a reassembled
 * stream carries each message once, and a per-packet count misses a message split across
 * two segments (one 18 KB mining.notify in the cgminer probe). So: parsed == occurrences in
 * the reassembled bytes (independent regex count), and SOURCES − retransmitted ≤ parsed ≤ SOURCES + 1.
 */
function assertCount(file: string, r: ReturnType<typeof runFile>, method: string, sources: number): void {
  const parsed = r.methods.get(method) ?? 0;
  const retrans = retransmitted(file).get(method) ?? 0;
  assert.equal(parsed, r.inStreams.get(method) ?? 0, `${method}: parsed vs occurrences in reassembled stream`);
  assert.ok(parsed <= sources + 1 && parsed >= sources - retrans, `${method}: parsed ${parsed}, SOURCES ${sources}, retransmitted ${retrans}`);
}

// Counts as stated in /work/shared/data/SOURCES.md (verified there with tshark).
const EXPECTED: { file: string; dialect: string; methods: Record<string, number> }[] = [
  { file: 'mining/monero-xmrstak-dwarfpool-9050.pcap', dialect: 'cryptonote', methods: { login: 1, job: 10, submit: 33 } },
  { file: 'mining/monero-login-job-nanopool-14444.pcapng', dialect: 'cryptonote', methods: { login: 1, job: 3 } },
  { file: 'mining/monero-login-submit-suprnova-5222.pcapng', dialect: 'cryptonote', methods: { login: 1, job: 2, submit: 5 } },
  { file: 'mining/zcash-stratum-suprnova-2142.pcapng', dialect: 'stratum-v1', methods: { 'mining.subscribe': 1, 'mining.authorize': 1, 'mining.extranonce.subscribe': 1, 'mining.set_target': 2, 'mining.notify': 2, 'mining.submit': 11 } },
  { file: 'mining/zcash-stratum-nanopool-6666.pcapng', dialect: 'stratum-v1', methods: { 'mining.subscribe': 1, 'mining.authorize': 1, 'mining.extranonce.subscribe': 1, 'mining.set_target': 1, 'mining.notify': 6, 'mining.submit': 6 } },
  { file: 'mining/zcash-stratum-ewbf-flypool-3333.pcap', dialect: 'stratum-v1', methods: { 'mining.subscribe': 2, 'mining.authorize': 2, 'mining.set_target': 2, 'mining.notify': 28, 'mining.submit': 47 } },
  { file: 'mining/eth-stratum-nanopool-9999.pcapng', dialect: 'ethereum', methods: { eth_submitLogin: 1, eth_getWork: 30, eth_submitHashrate: 14, eth_submitWork: 1 } },
  { file: 'mining/eth-stratum-proxy-ethermine-4444.pcap', dialect: 'ethereum', methods: { eth_submitLogin: 2, eth_getWork: 131, eth_submitHashrate: 62, eth_submitWork: 10 } },
  { file: 'mining/eth-getwork-over-http-80.pcapng', dialect: 'getwork-http', methods: { eth_getWork: 41, eth_submitHashrate: 41 } },
  { file: 'mining/bitcoin-stratum-midstream-notify.pcap', dialect: 'stratum-v1', methods: { 'mining.notify': 3, 'mining.get_transactions': 3 } },
  { file: 'browser-miner/coinhive-stratum-proxy-supportxmr.pcap', dialect: 'cryptonote', methods: { login: 4, job: 6 } },
];

for (const e of EXPECTED) {
  void test(`stratum parser: ${e.file} method counts match SOURCES.md`, { skip: needSharedData() || needTshark() }, () => {
    const r = runFile(e.file);
    for (const [m, n] of Object.entries(e.methods)) assertCount(e.file, r, m, n);
    const dialects = r.dialects;
    assert.ok(dialects.has(e.dialect), `dialects ${[...dialects].join(',')}`);
  });
}

void test('stratum parser: mixed nDPI capture has all three dialects with the stated counts', { skip: needSharedData() || needTshark() }, () => {
  const f = 'mining/mixed-zcash-monero-eth-stratum.pcapng';
  const r = runFile(f);
  assert.deepEqual([...r.dialects].sort(), ['cryptonote', 'ethereum', 'stratum-v1']);
  assertCount(f, r, 'mining.notify', 28);
  assertCount(f, r, 'mining.submit', 47);
  assertCount(f, r, 'login', 1);
  assertCount(f, r, 'submit', 33);
  assertCount(f, r, 'eth_getWork', 30);
});

void test('stratum parser: bfgminer capture: stratum after HTTP getwork attempts', { skip: needSharedData() || needTshark() }, () => {
  const f = 'mining/bitcoin-bfgminer-stratum-gbt-getwork.pcap';
  const r = runFile(f);
  const { methods, got } = r;
  assertCount(f, r, 'mining.notify', 10);
  assertCount(f, r, 'mining.set_difficulty', 4);
  assertCount(f, r, 'mining.get_transactions', 8);
  const agents = got.map((g) => (g.msg.fields as unknown as StratumFields).agent).filter((a) => a !== '');
  assert.ok(agents.some((a) => a.startsWith('bfgminer/5.2.0')), agents.join(','));
  assert.ok((methods.get('getblocktemplate') ?? 0) + (methods.get('getwork') ?? 0) > 0, 'HTTP getwork attempts seen');
});

void test('stratum parser: cgminer probes', { skip: needSharedData() || needTshark() }, () => {
  const fa = 'mining/cgminer-subscribe-probe-many-pools.pcapng';
  const a = runFile(fa);
  assertCount(fa, a, 'mining.subscribe', 228);
  assertCount(fa, a, 'mining.authorize', 27);
  assertCount(fa, a, 'mining.notify', 7);
  const fb = 'mining/cgminer-getwork-gbt-stratum-probe.pcapng';
  const b = runFile(fb);
  assertCount(fb, b, 'getblocktemplate', 286);
  assertCount(fb, b, 'getwork', 106);
  assertCount(fb, b, 'mining.subscribe', 203);
  assertCount(fb, b, 'mining.notify', 33);
  assertCount(fb, b, 'mining.set_difficulty', 26);
});

void test('stratum parser: field extraction for the xmr-stak login', { skip: needSharedData() || needTshark() }, () => {
  const { got } = runFile('mining/monero-xmrstak-dwarfpool-9050.pcap');
  const login = got.find((g) => g.msg.kind === 'login')!.msg.fields as unknown as StratumFields;
  assert.equal(login.agent, 'xmr-stak-cpu/1.3.0-1.5.0');
  assert.equal(login.worker, 'ryzen');
  assert.ok(login.login.startsWith('4BCeEPhodgPMbPWFN1dPwhWXdRX8q4mhhdZdA1dtSMLTLCEYvAj9QXjXAfF7CugEbmfBhgkqHbdgK9b2wKA6nqRZQCgvCDm'));
  assert.equal(login.password, 'x');
  const resp = got.find((g) => g.msg.kind === 'response' && (g.msg.fields as unknown as StratumFields).jobId !== '')!.msg.fields as unknown as StratumFields;
  assert.equal(resp.jobId, '722134174127131');
  assert.equal(resp.target, 'dc460300');
});

const BENIGN = ['benign/ethereum-jsonrpc-geth-http.pcap', 'benign/crypto-p2p-bitcoin-node-8333.pcap', 'benign/crypto-p2p-monero-node-18080.pcap', 'benign/crypto-p2p-ethereum-devp2p-30303.pcap', 'benign/android-alexa-app.pcapng', 'benign/google-nest-log-sink.pcap'];
for (const f of BENIGN) {
  void test(`stratum parser: no mining messages in ${f}`, { skip: needSharedData() || needTshark() }, () => {
    assert.equal(runFile(f).got.length, 0);
  });
}

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
  assert.equal(c.malformed.get('stratum.line-too-long'), 1);
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
