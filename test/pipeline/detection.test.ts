/**
 * What minewatch must find in the shared captures, file by file (docs/detection.md keeps the
 * same table for people): every mining session with the right detector, pool address,
 * dialect and algorithm family; the attacks in the darknet/IoT captures; and nothing at all
 * in the benign captures (which include Bitcoin, Monero and Ethereum node traffic, JSON-RPC
 * to a Geth node, Tuya/TP-Link on Stratum-like ports).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { analyze } from '../../src/pipeline/analyze.js';
import { needSharedData, sharedFile, HAVE_SHARED_DATA } from '../helpers/shared-data.js';

type Alert = { src_ip?: string; dest_ip?: string; alert: { signature: string }; minewatch: { detector: string; evidence: Record<string, unknown> } };

async function alertsOf(rel: string): Promise<Alert[]> {
  const { alerts } = await analyze({ inputs: [sharedFile(rel)], workers: 1, progress: false, keepAlerts: 100_000 });
  return alerts as unknown as Alert[];
}

interface Session { pool: string; dialect: string; algorithm: RegExp; agent?: RegExp }

const MINING: Record<string, Session[]> = {
  'mining/monero-xmrstak-dwarfpool-9050.pcap': [{ pool: '178.32.196.217:9050', dialect: 'cryptonote', algorithm: /cryptonight/, agent: /xmr-stak-cpu\/1\.3\.0/ }],
  'mining/monero-login-job-nanopool-14444.pcapng': [{ pool: '185.71.66.20:14444', dialect: 'cryptonote', algorithm: /cryptonight/, agent: /xmr\/1\.0/ }],
  'mining/monero-login-submit-suprnova-5222.pcapng': [{ pool: '37.59.21.58:5222', dialect: 'cryptonote', algorithm: /cryptonight/ }],
  'mining/zcash-stratum-ewbf-flypool-3333.pcap': [
    { pool: '94.23.199.191:3333', dialect: 'stratum-v1', algorithm: /equihash/, agent: /EWBF/ },
    { pool: '116.211.167.195:3333', dialect: 'stratum-v1', algorithm: /equihash/ },
  ],
  'mining/zcash-stratum-nanopool-6666.pcapng': [{ pool: '185.71.66.20:6666', dialect: 'stratum-v1', algorithm: /equihash/ }],
  'mining/zcash-stratum-suprnova-2142.pcapng': [{ pool: '37.187.149.70:2142', dialect: 'stratum-v1', algorithm: /equihash/ }],
  'mining/eth-stratum-nanopool-9999.pcapng': [{ pool: '185.71.66.39:9999', dialect: 'ethereum', algorithm: /ethash/ }],
  'mining/eth-stratum-proxy-ethermine-4444.pcap': [
    { pool: '94.23.36.128:4444', dialect: 'ethereum', algorithm: /ethash/ },
    { pool: '91.121.222.33:4444', dialect: 'ethereum', algorithm: /ethash/ },
  ],
  'mining/eth-getwork-over-http-80.pcapng': [{ pool: '88.198.15.41:80', dialect: 'getwork-http', algorithm: /ethash/ }],
  'mining/mixed-zcash-monero-eth-stratum.pcapng': [
    { pool: '94.23.199.191:3333', dialect: 'stratum-v1', algorithm: /equihash/ },
    { pool: '116.211.167.195:3333', dialect: 'stratum-v1', algorithm: /equihash/ },
    { pool: '178.32.196.217:9050', dialect: 'cryptonote', algorithm: /cryptonight/ },
    { pool: '185.71.66.39:9999', dialect: 'ethereum', algorithm: /ethash/ },
  ],
  'mining/bitcoin-stratum-midstream-notify.pcap': [{ pool: '74.84.128.158:3333', dialect: 'stratum-v1', algorithm: /sha256d/ }],
  'mining/bitcoin-bfgminer-stratum-gbt-getwork.pcap': [{ pool: '74.84.128.158:3333', dialect: 'stratum-v1', algorithm: /sha256d/ }],
  'browser-miner/coinhive-stratum-proxy-supportxmr.pcap': [{ pool: '192.110.160.114:3333', dialect: 'cryptonote', algorithm: /cryptonight/ }],
};

for (const [file, sessions] of Object.entries(MINING)) {
  test(`${file}: every mining session found by the stratum detector with pool, dialect and algorithm`, { skip: needSharedData() }, async () => {
    const alerts = await alertsOf(file);
    const stratum = alerts.filter((a) => a.minewatch.detector === 'stratum');
    for (const s of sessions) {
      const hit = stratum.find((a) => a.minewatch.evidence.pool === s.pool && a.minewatch.evidence.dialect === s.dialect);
      assert.ok(hit, `no stratum alert for ${s.pool} (${s.dialect}); got ${JSON.stringify(stratum.map((a) => [a.minewatch.evidence.pool, a.minewatch.evidence.dialect]))}`);
      assert.match(String(hit.minewatch.evidence.algorithm), s.algorithm);
      if (s.agent) assert.match(String(hit.minewatch.evidence.agent), s.agent);
    }
  });
}

test('cgminer pool catalogue probes: Stratum on many pools and ports (incl. 443), each flow reported', { skip: needSharedData() }, async () => {
  const alerts = await alertsOf('mining/cgminer-subscribe-probe-many-pools.pcapng');
  const pools = new Set(alerts.filter((a) => a.minewatch.detector === 'stratum').map((a) => a.minewatch.evidence.pool));
  assert.ok(pools.size >= 50, `expected ≥ 50 distinct pool endpoints, got ${pools.size}`);
});

test('browser miners: AuthedMine over TLS named by SNI/DNS and the WebSocket session by behaviour; Coinhive named by DNS', { skip: needSharedData() }, async () => {
  const authed = await alertsOf('browser-miner/authedmine-browser-tls-websocket.pcap');
  assert.ok(authed.some((a) => a.minewatch.detector === 'pool-tls' && a.minewatch.evidence.sni === 'authedmine.com'));
  assert.ok(authed.some((a) => a.minewatch.detector === 'pool-dns' && a.minewatch.evidence.qname === 'ws027.authedmine.com'));
  assert.ok(authed.some((a) => a.minewatch.detector === 'mining-encrypted'), 'the encrypted WebSocket mining session is recognised');
  const coinhive = await alertsOf('browser-miner/coinhive-stratum-proxy-supportxmr.pcap');
  assert.ok(coinhive.some((a) => a.minewatch.detector === 'pool-dns' && a.minewatch.evidence.qname === 'coinhive.com'));
});

test('attacks: masscan and nmap port scans, the Hide\'n\'Seek bot scanning telnet', { skip: needSharedData() }, async () => {
  const masscan = await alertsOf('darknet/masscan-tcp-ports-0-1000.pcap');
  assert.ok(masscan.some((a) => a.minewatch.detector === 'scan' && /masscan/.test(a.alert.signature) && a.src_ip === '172.31.15.102'));
  const nmap = await alertsOf('darknet/nmap-syn-scan-1000-ports.pcap');
  assert.ok(nmap.some((a) => a.minewatch.detector === 'scan' && a.src_ip === '172.16.0.8'));
  const hns = await alertsOf('iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap');
  const scans = hns.filter((a) => a.minewatch.detector === 'scan');
  assert.deepEqual([...new Set(scans.map((a) => a.src_ip))], ['192.168.2.16']);
});

test('no alert at all on any benign capture (crypto P2P nodes, JSON-RPC, IoT on Stratum-like ports, phones)', { skip: needSharedData() }, async () => {
  const files = HAVE_SHARED_DATA ? readdirSync(sharedFile('benign')) : [];
  assert.ok(files.length >= 10);
  for (const f of files) {
    const alerts = await alertsOf(`benign/${f}`);
    assert.deepEqual(alerts.map((a) => `${a.minewatch.detector}: ${a.alert.signature}`), [], f);
  }
});

test('SYN floods and backscatter are not mistaken for mining or scanning hosts inside the network', { skip: needSharedData() }, async () => {
  for (const f of ['darknet/spoofed-synflood-37k-sources.pcap', 'darknet/synack-reflection-backscatter-7k-sources.pcap', 'darknet/syn-synack-flood-60-sources.pcap']) {
    const alerts = await alertsOf(f);
    assert.equal(alerts.filter((a) => /stratum|pool|mining/.test(a.minewatch.detector)).length, 0, f);
  }
});

test('ET Open coin-mining rules run in the pipeline: Stratum/xmr-stak rules fire on the mining captures with the matched bytes', { skip: needSharedData() }, async () => {
  const { alerts, summary } = await analyze({
    inputs: [sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap'), sharedFile('mining/zcash-stratum-ewbf-flypool-3333.pcap')],
    workers: 1, progress: false, keepAlerts: 100_000,
    analyzers: { detect: true, rules: [sharedFile('lists/et-open-emerging-coinminer.rules')] },
  });
  const rule = (alerts as unknown as (Alert & { alert: { signature_id: number } })[]).filter((a) => a.minewatch.detector === 'rule');
  assert.ok(rule.length > 0, JSON.stringify(summary.alerts));
  for (const a of rule) {
    assert.ok(a.alert.signature_id >= 2000000 && a.alert.signature_id < 3000000, `ET sid range: ${a.alert.signature_id}`);
    assert.ok(typeof a.minewatch.evidence.matched === 'string' && (a.minewatch.evidence.matched as string).length > 0);
  }
  // the benign P2P node capture raises no rule alert
  const benign = await analyze({ inputs: [sharedFile('benign/crypto-p2p-bitcoin-node-8333.pcap')], workers: 1, progress: false, analyzers: { detect: true, rules: [sharedFile('lists/et-open-emerging-coinminer.rules')] } });
  assert.deepEqual(benign.summary.alerts, {});
});
