/**
 * Scanner fingerprints exist once (src/decode/scanner-fingerprint.ts): the telescope and the
 * `scan` detector name the same families from the same SYNs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as shared from '../../src/decode/scanner-fingerprint.js';
import * as telescope from '../../src/telescope/fingerprint.js';
import { createScanDetector } from '../../src/detect/scan.js';
import { createPacketView, type PacketView } from '../../src/events/packet.js';
import type { AlertInput } from '../../src/events/detector.js';

test('the telescope uses the shared fingerprint function and bits', () => {
  assert.equal(telescope.synFingerprint, shared.synFingerprint);
  for (const k of ['FP_MIRAI', 'FP_MASSCAN', 'FP_MASSCAN_SHAPE', 'FP_ZMAP', 'FP_NMAP'] as const) assert.equal(telescope[k], shared[k], k);
});

function syn(i: number, fields: Partial<PacketView>): PacketView {
  const p = createPacketView();
  const dst = (0x0a000000 + i * 7919) >>> 0;
  Object.assign(p, { ipVersion: 4, proto: 6, tcpFlags: 0x02, layers: 15, src4: 0xc0a80009, dst4: dst, srcPort: 40000, dstPort: 22, ttl: 64, window: 29200, ipId: i, seq: (i * 2654435761) >>> 0, tsUs: 1e15 + i * 1000 }, fields);
  return p;
}

/** The family the scan detector names for 40 SYNs of one source, and the telescope's bits for each. */
function familyOf(fields: Partial<PacketView>): { alerts: number; detector: unknown; telescopeBits: number[] } {
  const det = createScanDetector();
  const alerts: AlertInput[] = [];
  const ctx = { emit: (_f: unknown, a: AlertInput) => { alerts.push(a); }, emitEvent: () => undefined };
  const bits: number[] = [];
  for (let i = 0; i < 40; i++) {
    const p = syn(i, fields);
    bits.push(telescope.synFingerprint(p));
    det.onPacket!(p, null, ctx);
  }
  det.onFinish?.(ctx);
  return { alerts: alerts.length, detector: alerts[0]?.evidence.family, telescopeBits: bits };
}

test('ZMap needs IP ID 54321, window 65535 and TTL >= 200 in both the detector and the telescope', () => {
  const zmap = familyOf({ ipId: 54321, window: 65535, ttl: 247 });
  assert.equal(zmap.alerts, 1);
  assert.equal(zmap.detector, 'ZMap');
  assert.ok(zmap.telescopeBits.every((b) => (b & shared.FP_ZMAP) !== 0));
  const lowTtl = familyOf({ ipId: 54321, window: 65535, ttl: 64 });
  assert.equal(lowTtl.alerts, 1, 'still a scan');
  assert.equal(lowTtl.detector, undefined, 'but no family');
  assert.ok(lowTtl.telescopeBits.every((b) => (b & shared.FP_ZMAP) === 0));
});
