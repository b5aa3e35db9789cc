import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateEncrypted, generateFlows, replayFlow } from '../../bench/lib/eval-encrypted.js';
import { createMiningEncryptedDetector, DEFAULT_THRESHOLD } from '../../src/detect/mining-encrypted.js';
import { MiningHostPairs } from '../../src/detect/host-pairs.js';
import type { HostIntel } from '../../src/events/intel.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { fakeFlow, msg, recordingContext } from './fixtures.js';

void test('mining-encrypted: held-out evaluation (seed 9, never used for tuning) reaches P/R/F1 ≥ 0.95', () => {
  const r = evaluateEncrypted({ seed: 9, flowsPerClass: 200 });
  console.log(`mining-encrypted eval seed 9: P ${r.precision} R ${r.recall} F1 ${r.f1} (tp ${r.tp} fp ${r.fp} fn ${r.fn} tn ${r.tn}); behaviour only: P ${r.behaviourOnly.precision} R ${r.behaviourOnly.recall} F1 ${r.behaviourOnly.f1}; FP by model ${JSON.stringify(r.falsePositivesByModel)}`);
  assert.ok(r.precision >= 0.95, `precision ${r.precision}`);
  assert.ok(r.recall >= 0.95, `recall ${r.recall}`);
  assert.ok(r.f1 >= 0.95, `F1 ${r.f1}`);
  assert.ok(r.behaviourOnly.f1 >= 0.95, `behaviour-only F1 ${r.behaviourOnly.f1}`);
  assert.ok(r.behaviourOnly.tp + r.behaviourOnly.fn > 50, 'a real share of flows had no knowledge');
});

void test('mining-encrypted: the evaluation can fail — a detector that ignores behaviour scores badly', () => {
  // Knowledge-only weights: behaviour indicators count for nothing.
  const zero = { longLived: 0, submitRate: 0, fixedSizeSubmits: 0, poissonSubmits: 0, jobPushes: 0, sharesAcked: 0, lowVolume: 0, poolName: 1, poolAddress: 1, hostPair: 1, poolServerSeen: 1, minerFingerprint: 1, miningPort: 0 };
  // the no-SNI scorer (9100501) likewise without its behaviour (handshake, cadence, Stratum exchange)
  const zeroNoSni = { noSni: 0, noAlpn: 0, opensslDefault: 0, reconnects: 0, unanswered: 0, periodicUploads: 0, loginFirst: 0, shareSubmits: 0, jobPushes: 0, stratumPort: 0, poolAnswer: 1, poolAddress: 1, hostPair: 1, poolServerSeen: 1, poolName: 1 };
  const r = evaluateEncrypted({ seed: 9, flowsPerClass: 60, weights: zero, noSniWeights: zeroNoSni });
  assert.ok(r.recall < 0.7, `recall ${r.recall}`);
});

function drive(flowOver: Parameters<typeof fakeFlow>[0], packets: { t: number; dir: 0 | 1; len: number }[], intel: HostIntel = NO_INTEL, pairs?: MiningHostPairs, sni = '') {
  const det = createMiningEncryptedDetector({ intel, hostPairs: pairs });
  const ctx = recordingContext();
  const flow = fakeFlow(flowOver);
  if (sni) det.onMessage!(msg('tls', 'client_hello', { sni, ja3Hash: '' }), flow, ctx);
  replayFlow(det, flow, packets, 1_700_000_000_000_000, ctx);
  return { ctx, det, flow };
}

void test('mining-encrypted: a generated mining flow alerts with explainable indicators; benign models do not', () => {
  const flows = generateFlows(11, 12);
  const m = flows.find((f) => f.label === 'mining')!;
  const { ctx } = drive({ serverPort: 443 }, m.packets);
  assert.equal(ctx.alerts.length, 1);
  const e = ctx.alerts[0].alert.evidence as { score: number; indicators: { name: string }[] };
  assert.ok(e.score >= DEFAULT_THRESHOLD);
  assert.ok(e.indicators.some((i) => i.name === 'sharesAcked'));
  assert.equal(ctx.alerts[0].alert.signatureId, 9100500);
  for (const b of flows.filter((f) => f.label === 'benign' && (f.model === 'video' || f.model === 'vpn' || f.model === 'update'))) {
    assert.equal(drive({ serverPort: 443 }, b.packets).ctx.alerts.length, 0, b.model);
  }
});

void test('mining-encrypted: host pair seen mining in clear text lifts a weaker-shaped flow over the threshold', () => {
  // Periodic (timer-like) fixed-size traffic with acks: behaviour alone stays below threshold.
  const packets: { t: number; dir: 0 | 1; len: number }[] = [];
  for (let t = 20; t < 1800; t += 30) { packets.push({ t, dir: 0, len: 250 }); packets.push({ t: t + 0.1, dir: 1, len: 80 }); }
  assert.equal(drive({ serverIp: '198.51.100.9', serverPort: 443 }, packets).ctx.alerts.length, 0);
  const pairs = new MiningHostPairs();
  pairs.remember('192.168.1.10', '198.51.100.9', 443, 'cryptonote', 1);
  const { ctx } = drive({ serverIp: '198.51.100.9', serverPort: 443 }, packets, NO_INTEL, pairs);
  assert.equal(ctx.alerts.length, 1);
  assert.ok((ctx.alerts[0].alert.evidence.indicators as { name: string }[]).some((i) => i.name === 'hostPair'));
});

void test('mining-encrypted: a listed SNI alone on a short flow is not enough (pool-tls covers names)', () => {
  const intel: HostIntel = { matchDomain: (n) => (n === 'pool.example' ? { entry: n, list: 't', kind: 'pool' } : null), matchIp: () => null };
  const packets = [{ t: 0.1, dir: 0 as const, len: 300 }, { t: 0.2, dir: 1 as const, len: 4000 }, { t: 30, dir: 0 as const, len: 200 }];
  assert.equal(drive({}, packets, intel, undefined, 'pool.example').ctx.alerts.length, 0);
});

void test('mining-encrypted: flows already identified as clear-text Stratum are left to the stratum detector', () => {
  const m = generateFlows(5, 2).find((f) => f.label === 'mining')!;
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  const flow = fakeFlow();
  flow.userData.set('detect.stratum', {});
  replayFlow(det, flow, m.packets, 1e15, ctx);
  assert.equal(ctx.alerts.length, 0);
});

void test('mining-encrypted: a flow record reused after its end starts a fresh shape', () => {
  const det = createMiningEncryptedDetector({ intel: NO_INTEL });
  const ctx = recordingContext();
  const flow = fakeFlow({});
  // two upstream bursts (1 s apart: more than the burst gap), then the flow ends
  replayFlow(det, flow, [{ t: 0, dir: 0, len: 100 }, { t: 1, dir: 0, len: 100 }], 1_700_000_000_000_000, ctx);
  assert.equal(det.score(flow)?.features.upBytes, 200);
  // The flow table recycles records: the next flow in this slot has empty userData.
  flow.userData.clear();
  replayFlow(det, flow, [{ t: 0, dir: 0, len: 100 }], 1_700_000_010_000_000, ctx);
  assert.equal(det.score(flow)?.features.upBytes, 100, 'the new flow counts only its own bytes');
});
