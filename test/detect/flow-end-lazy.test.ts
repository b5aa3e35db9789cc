/**
 * The end of a flow that never carried what a detector reads costs integers only: on a
 * flood of one-packet flows the detectors' flow-end hooks must not open the flow's userData
 * (it allocates a Map) nor turn its addresses into text. The reconnect alert (a connection
 * to a pool endpoint this device was seen mining on) still fires on the right port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStratumDetector } from '../../src/detect/stratum.js';
import { createMiningEncryptedDetector } from '../../src/detect/mining-encrypted.js';
import { MiningHostPairs } from '../../src/detect/host-pairs.js';
import { NO_INTEL } from '../../src/events/intel.js';
import type { FlowView } from '../../src/events/flow.js';
import { fakeFlow, msg, recordingContext } from './fixtures.js';

/** A flow that counts reads of its userData and address text. */
function watchedFlow(over: Parameters<typeof fakeFlow>[0]): { flow: FlowView; reads: { userData: number; text: number } } {
  const base = fakeFlow(over);
  const reads = { userData: 0, text: 0 };
  const flow = Object.create(base) as FlowView;
  Object.defineProperty(flow, 'userData', { get: () => { reads.userData++; return base.userData; } });
  Object.defineProperty(flow, 'clientIp', { get: () => { reads.text++; return base.clientIp; } });
  Object.defineProperty(flow, 'serverIp', { get: () => { reads.text++; return base.serverIp; } });
  return { flow, reads };
}

test('stratum: flows that never spoke Stratum end without userData or address text, unless a mining pair used their port', () => {
  const pairs = new MiningHostPairs();
  const det = createStratumDetector({ intel: NO_INTEL, hostPairs: pairs });
  const ctx = recordingContext();
  // a flood before any mining: nothing read
  for (let i = 0; i < 100; i++) {
    const { flow, reads } = watchedFlow({ serverPort: 3333, clientIp: `198.51.100.${i}` });
    det.onFlowEnd!(flow, 'evicted', ctx);
    assert.deepEqual(reads, { userData: 0, text: 0 });
  }
  pairs.remember('192.168.1.10', '203.0.113.5', 3333, 'cryptonote', 1_700_000_000_000_000);
  // other ports: still integers only
  const other = watchedFlow({ serverPort: 443 });
  det.onFlowEnd!(other.flow, 'evicted', ctx);
  assert.deepEqual(other.reads, { userData: 0, text: 0 });
  assert.equal(ctx.alerts.length, 0);
  // the pair's port: looked up, and the same client and endpoint is a reconnect
  const again = watchedFlow({ serverPort: 3333 });
  det.onFlowEnd!(again.flow, 'tcp-closed', ctx);
  assert.ok(again.reads.text > 0);
  assert.equal(again.reads.userData, 0, 'no session lives anywhere: userData stays closed');
  assert.equal(ctx.alerts.length, 1);
  assert.match(ctx.alerts[0].alert.signature, /already seen mining from this device/);
  // a flow with a session: its end reads the session (and alerts on the unconfirmed login)
  const s = watchedFlow({ serverPort: 4444 });
  det.onMessage!(msg('stratum', 'login', { dialect: 'cryptonote', method: 'login', rpc: 'request', id: 1, login: '4'.repeat(95), agent: 'XMRig/6.21.0' }), s.flow, ctx);
  det.onFlowEnd!(s.flow, 'tcp-closed', ctx);
  assert.ok(s.reads.userData > 0);
  assert.equal(ctx.alerts.length, 2);
  // once that session ended, flows end cheaply again
  const after = watchedFlow({ serverPort: 80 });
  det.onFlowEnd!(after.flow, 'evicted', ctx);
  assert.deepEqual(after.reads, { userData: 0, text: 0 });
});

test('mining-encrypted: flows without a TLS hello or payload end without opening userData', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  for (let i = 0; i < 50; i++) {
    const { flow, reads } = watchedFlow({ serverPort: 443 });
    det.onFlowEnd!(flow, 'evicted', ctx);
    assert.equal(reads.userData, 0);
  }
  // a flow with a hello has a shape: its end reads it
  const hello = watchedFlow({ serverPort: 443 });
  det.onMessage!(msg('tls', 'client_hello', { sni: 'example.org' }), hello.flow, ctx);
  det.onFlowEnd!(hello.flow, 'tcp-closed', ctx);
  assert.ok(hello.reads.userData > 0);
  const later = watchedFlow({ serverPort: 443 });
  det.onFlowEnd!(later.flow, 'evicted', ctx);
  assert.equal(later.reads.userData, 0);
});
