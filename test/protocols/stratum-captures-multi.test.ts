import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StratumFields } from '../../src/protocols/types.js';
import { needSharedData } from '../helpers/shared-data.js';
import { needTshark } from '../detect/fixtures.js';
import { assertCount, runFile } from './stratum-replay.js';

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

