/**
 * Issue 15, class 6 (Stratum part): the algorithm in a Stratum alert follows the pool's jobs.
 * XMRig offers a list of algorithms at login; the pool's job says which one it hands out, and
 * pools switch. The session alert names the job's algorithm, and a later job with another
 * algorithm raises the session again with the new and the previous one. Cut evidence says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStratumConsumer } from '../../src/protocols/stratum.js';
import { createStratumDetector } from '../../src/detect/stratum.js';
import { clip } from '../../src/detect/common.js';
import { NO_INTEL } from '../../src/events/intel.js';
import { recordingContext, replay } from './fixtures.js';

const enc = (s: string) => Uint8Array.from(Buffer.from(s));
const LOGIN = '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0","cn/r","cn/2","cn-lite/1"]}}\n';
const job = (id: string, algo: string, rpc: 'result' | 'push') => rpc === 'result'
  ? `{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"w1","job":{"blob":"0707aabb","job_id":"${id}","target":"b88d0600","algo":"${algo}"},"status":"OK"}}\n`
  : `{"jsonrpc":"2.0","method":"job","params":{"blob":"0707ccdd","job_id":"${id}","target":"b88d0600","algo":"${algo}"}}\n`;

function run(lines: [0 | 1, string][]) {
  const ctx = recordingContext();
  const det = createStratumDetector({ intel: NO_INTEL });
  const consumer = createStratumConsumer((flow, m) => { if (m.protocol === 'stratum') det.onMessage!(m, flow, ctx); });
  const flow = replay(consumer, { clientIp: '192.168.1.10', serverIp: '203.0.113.5', clientPort: 40000, serverPort: 3333, chunks: lines.map(([dir, l]) => ({ dir, data: enc(l) })) } as Parameters<typeof replay>[1]);
  det.onFlowEnd!(flow, 'tcp-closed', ctx);
  return ctx.alerts.map((a) => a.alert);
}

void test('the session alert names the algorithm of the pool\'s job, not the miner\'s offer list', () => {
  const a = run([[0, LOGIN], [1, job('j1', 'rx/0', 'result')]]);
  assert.equal(a.length, 1);
  assert.equal(a[0].evidence.algorithm, 'rx/0');
  assert.equal(a[0].evidence.algorithmsOffered, 'rx/0,cn/r,cn/2,cn-lite/1');
});

void test('a later job with another algorithm updates the alert (new + previous); the same algorithm again does not', () => {
  const a = run([[0, LOGIN], [1, job('j1', 'rx/0', 'result')], [1, job('j2', 'rx/0', 'push')], [1, job('j3', 'cn/r', 'push')], [1, job('j4', 'cn/r', 'push')]]);
  assert.deepEqual(a.map((x) => [x.signatureId, x.evidence.algorithm, x.evidence.previousAlgorithm ?? null]), [[9100000, 'rx/0', null], [9100000, 'cn/r', 'rx/0']]);
  assert.match(a[1].signature, /algorithm now cn\/r \(was rx\/0\)/);
  assert.notEqual(a[0].dedupKey, a[1].dedupKey);
});

void test('algorithm updates stay bounded on a pool that flips every job', () => {
  const lines: [0 | 1, string][] = [[0, LOGIN], [1, job('j0', 'rx/0', 'result')]];
  for (let i = 1; i <= 20; i++) lines.push([1, job(`j${i}`, i % 2 ? 'cn/r' : 'rx/0', 'push')]);
  assert.equal(run(lines).length, 1 + 4);
});

void test('cut evidence says it was cut and how long the original was', () => {
  assert.equal(clip('abc', 5), 'abc');
  assert.equal(clip('x'.repeat(300), 10), `${'x'.repeat(10)}… [cut: 10 of 300 chars]`);
  const agent = `XMRig/6.21.0 ${'(build flags) '.repeat(12)}`.trim();
  const a = run([[0, LOGIN.replace(/"agent":"[^"]*"/, `"agent":"${agent}"`)], [1, job('j1', 'rx/0', 'result')]]);
  assert.equal(String(a[0].evidence.agent), `${agent.slice(0, 128)}… [cut: 128 of ${agent.length} chars]`);
});
