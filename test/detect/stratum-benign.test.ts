import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStratumConsumer } from '../../src/protocols/stratum.js';
import { createStratumDetector } from '../../src/detect/stratum.js';
import { MiningHostPairs } from '../../src/detect/host-pairs.js';
import { NO_INTEL, type HostIntel } from '../../src/events/intel.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { needTshark, recordingContext, replay, tcpStreams, type RecordedAlert } from './fixtures.js';

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

void test('stratum detector: pool prober flows are reported as attempts; the listed pool is named', { skip: needSharedData() || needTshark() }, () => {
  const intel: HostIntel = { matchDomain: () => null, matchIp: (ip) => (ip === '185.71.66.20' ? { entry: ip, list: 'test-list', kind: 'pool', pool: 'nanopool' } : null) };
  const alerts = detectFile('mining/cgminer-subscribe-probe-many-pools.pcapng', intel);
  assert.ok(alerts.length >= 100, `alerts ${alerts.length}`);
  assert.ok(alerts.some((a) => a.alert.signatureId === 9100001 && a.alert.severity === 2));
  assert.ok(alerts.every((a) => String(a.alert.evidence.agent ?? 'cgminer/3.7.2').startsWith('cgminer') || a.alert.evidence.agent === undefined));
  const listed = detectFile('mining/zcash-stratum-nanopool-6666.pcapng', intel)[0];
  assert.deepEqual(listed.alert.evidence.listed, { entry: '185.71.66.20', list: 'test-list', kind: 'pool', pool: 'nanopool' });
});

const BENIGN = ['benign/ethereum-jsonrpc-geth-http.pcap', 'benign/crypto-p2p-bitcoin-node-8333.pcap', 'benign/crypto-p2p-monero-node-18080.pcap', 'benign/crypto-p2p-ethereum-devp2p-30303.pcap', 'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap'];
for (const f of BENIGN) {
  void test(`stratum detector: no alert on ${f}`, { skip: needSharedData() || needTshark() }, () => {
    assert.equal(detectFile(f).length, 0);
  });
}

