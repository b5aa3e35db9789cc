import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMiningEncryptedDetector } from '../../src/detect/mining-encrypted.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { needTshark, recordingContext, runPacketDetector, tsharkPackets } from './fixtures.js';

// mining-encrypted reads only packet sizes, directions and times, never payload: real
// clear-text pool sessions therefore look to it exactly as they would inside TLS.
function alertsFor(file: string) {
  const ctx = recordingContext();
  runPacketDetector(createMiningEncryptedDetector({ intel: NO_INTEL }), ctx, tsharkPackets(sharedFile(file)));
  return ctx.alerts.map((a) => a.alert);
}

void test('mining-encrypted on real captures: the encrypted AuthedMine WebSocket (ws027.authedmine.com) is found by behaviour alone', { skip: needSharedData() || needTshark() }, () => {
  const a = alertsFor('browser-miner/authedmine-browser-tls-websocket.pcap');
  assert.deepEqual(a.map((x) => x.evidence.server), ['37.187.167.83:443']);
  assert.ok((a[0].evidence.indicators as { name: string }[]).every((i) => i.name !== 'poolName' && i.name !== 'poolAddress'));
});

void test('mining-encrypted on real captures: Monero and Zcash pool sessions by flow shape only', { skip: needSharedData() || needTshark() }, () => {
  assert.deepEqual(alertsFor('mining/monero-xmrstak-dwarfpool-9050.pcap').map((x) => x.evidence.server), ['178.32.196.217:9050']);
  assert.deepEqual(alertsFor('mining/zcash-stratum-ewbf-flypool-3333.pcap').map((x) => x.evidence.server), ['94.23.199.191:3333']);
});

void test('mining-encrypted on real captures: no alert on long-lived IoT and phone traffic', { skip: needSharedData() || needTshark() }, () => {
  for (const f of ['benign/google-nest-log-sink.pcap', 'benign/android-alexa-app.pcapng', 'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap', 'benign/sonos-speaker.pcapng', 'benign/crypto-p2p-bitcoin-node-8333.pcap']) {
    assert.deepEqual(alertsFor(f), [], f);
  }
});
