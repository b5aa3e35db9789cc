/** The mixed capture as tshark sees it: valid, no TCP analysis problems, content equal to the truth. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate, type FlowSetTruth } from '../../src/synth/index.js';
import { needTshark, tempDir, tsharkProblems, tsharkRows } from './tools.js';
import { checkFlowSet } from './flowset-checks.js';

test('mixed capture: valid, and tshark sees exactly the truth', { skip: needTshark() }, async () => {
  const tmp = tempDir();
  try {
    const r = await generate('mixed', { seed: 11, sizeBytes: 4e6, durationSec: 150, truthFile: tmp.file('m.json') }, tmp.file('m.pcap'));
    const truth = JSON.parse(readFileSync(tmp.file('m.json'), 'utf8')) as FlowSetTruth;
    assert.equal(truth.packets, r.packets);
    for (const label of ['dns', 'web-http', 'web-tls', 'video-streaming', 'chat-websocket', 'push-notification', 'stratum-v1', 'xmrig-cryptonote', 'mining-tls', 'browser-miner-page']) {
      assert.ok((truth.summary.byLabel[label] ?? 0) > 0, `${label} present`);
    }
    assert.ok(truth.network.devices.length >= 20 && truth.network.devices.length <= 50);
    const tlsBytes = truth.flows.filter((f) => f.tls).reduce((a, f) => a + f.bytes, 0);
    assert.ok(tlsBytes > 0.6 * truth.bytes, `most bytes are TLS (${tlsBytes / truth.bytes})`);
    for (const f of truth.flows.filter((x) => x.label === 'mining-tls')) {
      assert.equal(f.sni, f.pool);
      assert.ok([443, 5555, 14433].includes(f.dport));
    }
    assert.deepEqual(tsharkProblems(tmp.file('m.pcap')), []);
    checkFlowSet(tsharkRows(tmp.file('m.pcap')), truth);
  } finally {
    tmp.cleanup();
  }
});
