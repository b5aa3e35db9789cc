import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetectorSet, createDetectors, createMinerConsumers } from '../../src/detect/index.js';
import type { Detector, DetectorContext, ProtocolMessage } from '../../src/events/detector.js';
import type { FlowView } from '../../src/events/flow.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { needTshark, recordingContext, replay, sharedListIntel, tcpStreams } from './fixtures.js';

function runCapture(file: string, detectors: Detector[], ctx: DetectorContext): void {
  const queue: { flow: FlowView; msg: ProtocolMessage }[] = [];
  const consumers = createMinerConsumers((flow, msg) => queue.push({ flow, msg }));
  const stratum = consumers.find((c) => c.id === 'stratum')!;
  for (const s of tcpStreams(sharedFile(file))) {
    const flow = replay(stratum, s);
    for (const { flow: f, msg } of queue.splice(0)) for (const d of detectors) d.onMessage?.(msg, f, ctx);
    for (const d of detectors) d.onFlowEnd?.(flow, 'tcp-closed', ctx);
  }
  for (const d of detectors) d.onFinish?.(ctx);
}

void test('index: all detectors, real lists, real capture: the Coinhive→Stratum proxy mines at a listed supportxmr address', { skip: needSharedData() || needTshark() }, () => {
  const ctx = recordingContext();
  runCapture('browser-miner/coinhive-stratum-proxy-supportxmr.pcap', createDetectors({ intel: sharedListIntel(sharedFile) }), ctx);
  const s = ctx.alerts.filter((a) => a.alert.detector === 'stratum');
  assert.ok(s.length >= 1);
  const listed = s[0].alert.evidence.listed as { list: string; pool?: string };
  assert.equal(listed.list, 'mining-pool-servers-smashed-2018-05.csv');
  assert.match(String(listed.pool), /supportxmr/i);
});

void test('index: suppression by device and home-net flag', { skip: needSharedData() || needTshark() }, () => {
  const set = createDetectorSet({ intel: NO_INTEL, homeNets: ['192.168.0.0/16'], suppress: { rules: [{ device: '192.168.2.92', reason: 'my own miner' }] } });
  const ctx = recordingContext();
  runCapture('mining/monero-xmrstak-dwarfpool-9050.pcap', set.detectors, ctx);
  assert.equal(ctx.alerts.length, 0);
  assert.deepEqual(set.suppressed(), [{ rule: 0, reason: 'my own miner', suppressed: 1 }]);
  const ctx2 = recordingContext();
  runCapture('mining/zcash-stratum-ewbf-flypool-3333.pcap', set.detectors, ctx2);
  assert.ok(ctx2.alerts.length >= 2);
  assert.equal(ctx2.alerts[0].alert.evidence.deviceInHomeNet, true);
  assert.equal(set.suppressed()[0].suppressed, 1);
});

void test('index: consumers and detector ids are stable', () => {
  assert.deepEqual(createMinerConsumers(() => {}).map((c) => c.id), ['stratum', 'telnet', 'ftp', 'redis']);
  assert.deepEqual(createDetectors({ intel: NO_INTEL }).map((d) => d.id), ['stratum', 'pool-dns', 'pool-tls', 'pool-http', 'browser-miner', 'mining-encrypted', 'scan', 'bruteforce', 'redis-exploit']);
});
