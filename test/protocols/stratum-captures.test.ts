import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStratumConsumer } from '../../src/protocols/stratum.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { fakeFlow, needTshark, tcpStreams } from '../detect/fixtures.js';
import { assertCount, runFile } from './stratum-replay.js';

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


void test('stratum parser: mutated real sessions never throw and never exceed the line bound', { skip: needSharedData() || needTshark() }, async () => {
  const { default: fc } = await import('fast-check');
  const streams = tcpStreams(sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap'));
  const chunks = streams[0].chunks.slice(0, 40);
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: chunks.length - 1 }), fc.nat({ max: 4000 }), fc.integer({ min: 0, max: 255 })), { maxLength: 30 }), (muts) => {
    const copy = chunks.map((c) => ({ dir: c.dir, data: Uint8Array.from(c.data) }));
    for (const [ci, off, v] of muts) { const d = copy[ci].data; if (d.length) d[off % d.length] = v; }
    const consumer = createStratumConsumer(() => {}, { maxLine: 2048 });
    const flow = fakeFlow();
    if (!consumer.accepts(flow, copy[0].dir, copy[0].data)) return;
    for (const c of copy) if (consumer.onData(flow, c.dir, c.data, 1) === 1) break;
    const st = flow.userData.get('stratum') as { pending: ({ buf: Uint8Array; len: number } | null)[] };
    for (const p of st.pending) assert.ok(p === null || (p.len <= 2048 && p.buf.length <= 2049), `pending ${p?.len}/${p?.buf.length}`);
  }), { numRuns: 200 });
});
