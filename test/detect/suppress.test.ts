import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipMatcher, suppressContext } from '../../src/detect/suppress.js';
import { parseSuppressionConfig } from '../../src/detect/suppress-config.js';
import type { AlertInput } from '../../src/events/detector.js';
import { fakeFlow, recordingContext } from './fixtures.js';

const alert = (over: Partial<AlertInput> = {}): AlertInput => ({ detector: 'stratum', signatureId: 9100000, signature: 's', category: 'c', severity: 1, evidence: {}, ...over });

void test('suppress: per device, per host/CIDR, per domain suffix; counted per rule; others pass', () => {
  const inner = recordingContext();
  const ctx = suppressContext(inner, parseSuppressionConfig({ rules: [
    { device: '02:00:00:00:00:aa', reason: 'my own miner' },
    { host: '198.51.100.0/24', detector: 'pool-dns', reason: 'lab pool' },
    { domain: 'exchange.example', reason: 'this exchange is not a pool' },
    { host: '2001:db8::/32', reason: 'v6 lab' },
  ] }));
  ctx.emit(fakeFlow(), alert({ device: { mac: '02:00:00:00:00:AA', ip: '192.168.1.5' } }));
  ctx.emit(fakeFlow({ serverIp: '198.51.100.9' }), alert({ detector: 'pool-dns' }));
  ctx.emit(fakeFlow({ serverIp: '198.51.100.9' }), alert({ detector: 'stratum' }));
  ctx.emit(fakeFlow(), alert({ detector: 'pool-tls', evidence: { sni: 'api.exchange.example' } }));
  ctx.emit(fakeFlow(), alert({ detector: 'pool-tls', evidence: { sni: 'notexchange.example' } }));
  ctx.emit(null, alert({ detector: 'scan', srcIp: '2001:db8:1::5' }));
  assert.equal(inner.alerts.length, 2);
  assert.deepEqual(ctx.counts().map((c) => c.suppressed), [1, 1, 1, 1]);
  assert.equal(ctx.counts()[2].reason, 'this exchange is not a pool');
});

void test('suppress: config validation', () => {
  assert.throws(() => parseSuppressionConfig({ rules: [{ reason: 'nothing to match' }] }));
  assert.throws(() => parseSuppressionConfig({ rules: [{ host: '300.1.1.1', reason: 'x' }] }));
  assert.throws(() => parseSuppressionConfig({ rules: [{ device: 'x' }] }));
  assert.ok(ipMatcher('10.0.0.0/8')!('10.255.1.2'));
  assert.ok(!ipMatcher('10.0.0.0/8')!('11.0.0.1'));
  assert.ok(ipMatcher('::ffff:192.0.2.0/120')!('::ffff:192.0.2.77'));
  assert.ok(ipMatcher('0.0.0.0/0')!('8.8.8.8'));
});
