import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStratumConsumer } from '../../src/protocols/stratum.js';
import { createStratumDetector } from '../../src/detect/stratum.js';
import { MiningHostPairs } from '../../src/detect/host-pairs.js';
import { DnsAnswerCache } from '../../src/detect/dns-answer-cache.js';
import { NO_INTEL, type HostIntel } from '../../src/events/intel.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, msg, needTshark, recordingContext, replay, tcpStreams, type RecordedAlert } from './fixtures.js';

const cache = new Map<string, RecordedAlert[]>();
function detectFile(file: string, intel: HostIntel = NO_INTEL, pairs = new MiningHostPairs()): RecordedAlert[] {
  if (intel !== NO_INTEL) return detectFileUncached(file, intel, pairs);
  let r = cache.get(file);
  if (!r) cache.set(file, (r = detectFileUncached(file, intel, pairs)));
  return r;
}
function detectFileUncached(file: string, intel: HostIntel, pairs: MiningHostPairs): RecordedAlert[] {
  const ctx = recordingContext();
  const det = createStratumDetector({ intel, hostPairs: pairs });
  // the consumer emits only Stratum messages, which this detector reads
  const consumer = createStratumConsumer((flow, m) => { if (m.protocol === 'stratum') det.onMessage!(m, flow, ctx); });
  for (const s of tcpStreams(sharedFile(file))) {
    const flow = replay(consumer, s);
    det.onFlowEnd!(flow, 'tcp-closed', ctx);
  }
  return ctx.alerts;
}

const CASES: { file: string; pools: string[]; dialect: string; agent?: RegExp; worker?: string; algorithm: RegExp; miner: string }[] = [
  { file: 'mining/monero-xmrstak-dwarfpool-9050.pcap', pools: ['178.32.196.217:9050'], dialect: 'cryptonote', agent: /^xmr-stak-cpu\/1\.3\.0/, worker: 'ryzen', algorithm: /cryptonight/, miner: '192.168.2.92' },
  { file: 'mining/monero-login-job-nanopool-14444.pcapng', pools: ['185.71.66.20:14444'], dialect: 'cryptonote', agent: /^xmr\/1\.0$/, algorithm: /cryptonight/, miner: '147.229.13.222' },
  { file: 'mining/monero-login-submit-suprnova-5222.pcapng', pools: ['37.59.21.58:5222'], dialect: 'cryptonote', agent: /^xmr\/1\.0$/, worker: 'worker1', algorithm: /cryptonight/, miner: '' },
  { file: 'mining/zcash-stratum-ewbf-flypool-3333.pcap', pools: ['94.23.199.191:3333', '116.211.167.195:3333'], dialect: 'stratum-v1', agent: /^EWBF 0\.3\.4b/, algorithm: /equihash/, miner: '192.168.2.148' },
  { file: 'mining/zcash-stratum-suprnova-2142.pcapng', pools: ['37.187.149.70:2142'], dialect: 'stratum-v1', agent: /equihashminer/, algorithm: /equihash/, miner: '' },
  { file: 'mining/zcash-stratum-nanopool-6666.pcapng', pools: ['185.71.66.20:6666'], dialect: 'stratum-v1', agent: /equihashminer/, algorithm: /equihash/, miner: '' },
  { file: 'mining/eth-stratum-nanopool-9999.pcapng', pools: ['185.71.66.39:9999'], dialect: 'ethereum', worker: 'kvetak.worker1', algorithm: /ethash/, miner: '147.229.13.222' },
  { file: 'mining/eth-stratum-proxy-ethermine-4444.pcap', pools: ['94.23.36.128:4444', '91.121.222.33:4444'], dialect: 'ethereum', worker: 'rig2', algorithm: /ethash/, miner: '192.168.2.92' },
  { file: 'mining/eth-getwork-over-http-80.pcapng', pools: ['88.198.15.41:80'], dialect: 'getwork-http', algorithm: /ethash/, miner: '' },
  { file: 'mining/bitcoin-stratum-midstream-notify.pcap', pools: ['74.84.128.158:3333'], dialect: 'stratum-v1', algorithm: /sha256d/, miner: '' },
  { file: 'mining/bitcoin-bfgminer-stratum-gbt-getwork.pcap', pools: ['74.84.128.158:3333'], dialect: 'stratum-v1', agent: /^bfgminer\/5\.2\.0/, algorithm: /sha256d/, miner: '10.0.2.15' },
  { file: 'browser-miner/coinhive-stratum-proxy-supportxmr.pcap', pools: ['192.110.160.114:3333'], dialect: 'cryptonote', algorithm: /cryptonight/, miner: '' },
];

for (const c of CASES) {
  void test(`stratum detector: ${c.file}`, { skip: needSharedData() || needTshark() }, () => {
    const alerts = detectFile(c.file).filter((a) => a.alert.signatureId === 9100000 || a.alert.signatureId === 9100002);
    const pools = new Set(alerts.map((a) => a.alert.evidence.pool));
    for (const p of c.pools) assert.ok(pools.has(p), `pool ${p} in ${[...pools].join(',')}`);
    const main = alerts.find((a) => a.alert.evidence.pool === c.pools[0])!;
    assert.equal(main.alert.evidence.dialect, c.dialect);
    assert.match(String(main.alert.evidence.algorithm), c.algorithm);
    if (c.agent) assert.match(String(main.alert.evidence.agent), c.agent);
    if (c.worker) assert.ok(alerts.some((a) => a.alert.evidence.worker === c.worker), `worker ${c.worker}: ${alerts.map((a) => String(a.alert.evidence.worker)).join(',')}`);
    if (c.miner) assert.equal(main.alert.device?.ip, c.miner);
    assert.equal(main.alert.category, 'Crypto Currency Mining Activity Detected');
    assert.equal(main.alert.severity, 1);
    // One alert per flow, never repeated for the same session.
    const perFlow = new Map<number, number>();
    for (const a of detectFile(c.file)) perFlow.set(a.flow!.id, (perFlow.get(a.flow!.id) ?? 0) + 1);
    assert.ok([...perFlow.values()].every((n) => n === 1));
  });
}

void test('stratum detector: records the host pair and names the pool from the DNS cache', () => {
  const pairs = new MiningHostPairs();
  const dns = new DnsAnswerCache();
  dns.remember('203.0.113.5', 'pool.supportxmr.com', 1);
  const ctx = recordingContext();
  const det = createStratumDetector({ intel: NO_INTEL, hostPairs: pairs, dnsCache: dns });
  const flow = fakeFlow({ serverPort: 443 });
  const base = { id: 1, agent: '', login: '', worker: '', password: '', algorithms: [], jobId: '', target: '', raw: '' };
  det.onMessage!(msg('stratum', 'login', { ...base, dialect: 'cryptonote', method: 'login', rpc: 'request', agent: 'XMRig/6.21.0', login: '4Abc.rig', worker: 'rig', algorithms: ['rx/0'] }, 0), flow, ctx);
  assert.equal(ctx.alerts.length, 0, 'a login alone is not yet a session');
  det.onMessage!(msg('stratum', 'response', { ...base, dialect: 'cryptonote', method: '', rpc: 'response', jobId: 'j1' }, 1), flow, ctx);
  det.onMessage!(msg('stratum', 'job', { ...base, dialect: 'cryptonote', method: 'job', rpc: 'notification', jobId: 'j2' }, 1), flow, ctx);
  assert.equal(ctx.alerts.length, 1);
  const e = ctx.alerts[0].alert.evidence;
  assert.equal(e.poolName, 'pool.supportxmr.com');
  assert.equal(e.algorithm, 'rx/0');
  assert.equal(e.agent, 'XMRig/6.21.0');
  assert.deepEqual(pairs.lookup('192.168.1.10', '203.0.113.5', 443)?.match, 'pair');
  det.onFlowEnd!(flow, 'tcp-closed', ctx);
  assert.equal(ctx.alerts.length, 1);
});

void test('stratum detector: getwork JSON in an HTTP request message', () => {
  const ctx = recordingContext();
  const det = createStratumDetector({ intel: NO_INTEL });
  const flow = fakeFlow({ serverPort: 8545 });
  const body = new TextEncoder().encode('{"jsonrpc":"2.0","method":"eth_getWork","params":[],"id":73}');
  det.onMessage!(msg('http', 'request', { method: 'POST', uri: '/?miner=30@0x4b99aa@rig7', host: 'x', userAgent: 'ethminer', version: 'HTTP/1.1', headers: [], body, websocketUpgrade: false }), flow, ctx);
  assert.equal(ctx.alerts.length, 1);
  assert.equal(ctx.alerts[0].alert.evidence.dialect, 'getwork-http');
  assert.equal(ctx.alerts[0].alert.evidence.wallet, '0x4b99aa');
  assert.equal(ctx.alerts[0].alert.evidence.worker, 'rig7');
  const benign = new TextEncoder().encode('{"jsonrpc":"2.0","method":"web3_clientVersion","params":[],"id":67}');
  const f2 = fakeFlow();
  det.onMessage!(msg('http', 'request', { method: 'POST', uri: '/', host: 'x', userAgent: 'curl', version: 'HTTP/1.1', headers: [], body: benign, websocketUpgrade: false }), f2, ctx);
  det.onFlowEnd!(f2, 'tcp-closed', ctx);
  assert.equal(ctx.alerts.length, 1);
});
