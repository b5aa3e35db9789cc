import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createPacketView } from '../../src/events/packet.js';
import { FP_MASSCAN, FP_MIRAI, FP_NMAP, FP_ZMAP, H_BAD_FLAGS, H_CLEAN, H_SRC_EQ_DST, H_TTL, hygieneReason, K_SYN, K_SYNACK, packetKind, synFingerprint } from '../../src/telescope/fingerprint.js';
import { classifySource, MATCH_COUNT, M_MASSCAN } from '../../src/telescope/classify.js';
import { KIND_COUNT } from '../../src/telescope/fingerprint.js';
import { TelescopeAggregator } from '../../src/telescope/aggregator.js';
import { parseCidr } from '../../src/util/ip.js';
import { BatchArrays } from '../../src/capture/source.js';

function syn(fields: Partial<ReturnType<typeof createPacketView>>) {
  const p = createPacketView();
  Object.assign(p, { ipVersion: 4, proto: 6, tcpFlags: 0x02, layers: 15, src4: 0x01020304, dst4: 0xc6120a0b, srcPort: 40000, dstPort: 23, ttl: 50, window: 5840, ipId: 1, seq: 99 }, fields);
  return p;
}

test('fingerprints need two fields: Mirai seq = dst, masscan id/window, ZMap id+window+TTL, nmap window+MSS only', () => {
  const dst = 0xc6120a0b;
  assert.equal(synFingerprint(syn({ seq: dst })) & FP_MIRAI, FP_MIRAI);
  const seq = 0x12345678;
  const id = (dst ^ 6379 ^ seq) & 0xffff;
  assert.equal(synFingerprint(syn({ seq, dstPort: 6379, ipId: id, window: 1024 })) & FP_MASSCAN, FP_MASSCAN);
  assert.equal(synFingerprint(syn({ seq, dstPort: 6379, ipId: id, window: 65535 })) & FP_MASSCAN, 0, 'the 16-bit match alone is not masscan');
  assert.equal(synFingerprint(syn({ ipId: 54321, window: 65535, ttl: 240 })) & FP_ZMAP, FP_ZMAP);
  assert.equal(synFingerprint(syn({ ipId: 54321, window: 65535, ttl: 50 })) & FP_ZMAP, 0, 'ID 54321 with a low TTL is not ZMap');
  const buf = Uint8Array.of(2, 4, 5, 0xb4);
  assert.equal(synFingerprint(syn({ window: 2048, buf, tcpOptionsOffset: 0, tcpOptionsLength: 4 })) & FP_NMAP, FP_NMAP);
});

test('hygiene filters: TTL only for probes without a scanner fingerprint; src = dst; impossible flags', () => {
  assert.equal(hygieneReason(syn({ ttl: 240 }), K_SYN, 0, false), H_TTL);
  assert.equal(hygieneReason(syn({ ttl: 240 }), K_SYN, FP_MASSCAN, false), H_CLEAN);
  assert.equal(hygieneReason(syn({ ttl: 250, tcpFlags: 0x12 }), K_SYNACK, 0, false), H_CLEAN, 'replies from TTL-255 stacks are not spoofing');
  assert.equal(hygieneReason(syn({ src4: 0xc6120a0b }), K_SYN, 0, false), H_SRC_EQ_DST);
  assert.equal(hygieneReason(syn({ tcpFlags: 0x03 }), packetKind(syn({ tcpFlags: 0x03 })), 0, false), H_BAD_FLAGS);
});

test('a family needs a majority of the source\'s SYNs', () => {
  const kinds = new Uint32Array(KIND_COUNT);
  const matches = new Uint32Array(MATCH_COUNT);
  kinds[K_SYN] = 100;
  matches[M_MASSCAN] = 2; // chance matches
  const base = { packets: 100, kinds, kindBase: 0, matches, matchBase: 0, hardFailures: 0, highTtlProbes: 0, fixedSourcePort: false, burst: false, topPort: 23 };
  assert.equal(classifySource(base).family, 'unknown');
  matches[M_MASSCAN] = 80;
  assert.equal(classifySource(base).family, 'masscan');
});

test('random frames never throw out of the aggregator and are all accounted for', () => {
  const agg = new TelescopeAggregator({ darknets: [parseCidr('0.0.0.0/1')!, parseCidr('::/1')!], darknetText: ['0.0.0.0/1', '::/1'], intervalUs: 60e6 });
  fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 120 }), { minLength: 1, maxLength: 40 }), fc.constantFrom(1, 101, 113, 0), (frames, link) => {
    const arrays = new BatchArrays(64);
    const buf = new Uint8Array(frames.reduce((a, f) => a + f.length, 0));
    let off = 0;
    frames.forEach((f, i) => {
      buf.set(f, off);
      arrays.offsets[i] = off;
      arrays.capLens[i] = f.length;
      arrays.wireLens[i] = f.length;
      arrays.tsUs[i] = 1.7e15 + i * 1e6;
      arrays.linkTypes[i] = link;
      off += f.length;
    });
    agg.processBatch(arrays.batch(buf, frames.length));
  }), { numRuns: 300 });
  const state = agg.finish();
  const counted = state.packets + Object.values(state.ignored).reduce((a, b) => a + b, 0);
  assert.equal(counted, agg.framesSeen, 'every frame is a darknet packet or an ignored one');
});
