import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Detector, DetectorContext, ProtocolMessage } from '../../src/events/detector.js';
import { alertContext } from '../../src/pipeline/alert-context.js';
import { createDetectors, createParsers, loadComponentModules } from '../../src/pipeline/analyzers.js';
import type { FlowView } from '../../src/events/flow.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { needTshark, recordingContext, replay, sharedListIntel, tcpStreams } from './fixtures.js';

const m = await loadComponentModules();

function runCapture(file: string, detectors: Detector[], ctx: DetectorContext): void {
  const queue: { flow: FlowView; msg: ProtocolMessage }[] = [];
  const consumers = createParsers(m, (flow, msg) => queue.push({ flow, msg }));
  const stratum = consumers.find((c) => c.id === 'stratum')!;
  for (const s of tcpStreams(sharedFile(file))) {
    const flow = replay(stratum, s);
    // as the pipeline routes them: each message to the detectors that read its protocol
    for (const { flow: f, msg } of queue.splice(0)) for (const d of detectors) if (d.protocols?.includes(msg.protocol)) d.onMessage?.(msg, f, ctx);
    for (const d of detectors) d.onFlowEnd?.(flow, 'tcp-closed', ctx);
  }
  for (const d of detectors) d.onFinish?.(ctx);
}

void test('index: all detectors, real lists, real capture: the Coinhive→Stratum proxy mines at a listed supportxmr address', { skip: needSharedData() || needTshark() }, () => {
  const ctx = recordingContext();
  runCapture('browser-miner/coinhive-stratum-proxy-supportxmr.pcap', createDetectors(m, { intel: sharedListIntel(sharedFile) }), ctx);
  const s = ctx.alerts.filter((a) => a.alert.detector === 'stratum');
  assert.ok(s.length >= 1);
  const listed = s[0].alert.evidence.listed as { list: string; pool?: string };
  assert.equal(listed.list, 'mining-pool-servers-smashed-2018-05.csv');
  assert.match(String(listed.pool), /supportxmr/i);
});

void test('index: suppression by device and home-net flag', { skip: needSharedData() || needTshark() }, () => {
  const detectors = createDetectors(m, { intel: NO_INTEL });
  const ctx = recordingContext();
  // the context the pipeline builds once around its own (pipeline/alert-context.ts)
  const set = alertContext(ctx, { homeNets: ['192.168.0.0/16'], suppress: { rules: [{ device: '192.168.2.92', reason: 'my own miner' }] } }, m.detect);
  runCapture('mining/monero-xmrstak-dwarfpool-9050.pcap', detectors, set.ctx);
  assert.equal(ctx.alerts.length, 0);
  assert.deepEqual(set.suppressed(), [{ rule: 0, reason: 'my own miner', suppressed: 1 }]);
  runCapture('mining/zcash-stratum-ewbf-flypool-3333.pcap', detectors, set.ctx);
  assert.ok(ctx.alerts.length >= 2);
  assert.equal(ctx.alerts[0].alert.evidence.deviceInHomeNet, true);
  assert.equal(set.suppressed()[0].suppressed, 1);
});

void test('index: consumers and detector ids are stable', () => {
  assert.deepEqual(createParsers(m, () => {}).map((c) => c.id), ['mdns', 'dhcp', 'ssdp', 'netbios', 'dns', 'tls', 'http', 'stratum', 'telnet', 'ftp', 'ssh', 'redis']);
  assert.deepEqual(createDetectors(m, { intel: NO_INTEL }).map((d) => d.id), ['devices', 'stratum', 'pool-dns', 'pool-tls', 'pool-ip', 'pool-http', 'browser-miner', 'mining-encrypted', 'scan', 'version-scan', 'bruteforce', 'redis-exploit']);
});
