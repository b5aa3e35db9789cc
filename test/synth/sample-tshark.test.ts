/** The demo capture: every scenario present, valid, and visible to tshark as the truth says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate, type SampleTruth } from '../../src/synth/index.js';
import { needTshark, tempDir, tsharkProblems, tsharkRows } from './tools.js';
import { checkFlowSet } from './flowset-checks.js';

test('sample capture: miners, browser miner, telnet brute force, Redis exploitation, port scan', { skip: needTshark() }, async () => {
  const tmp = tempDir();
  try {
    await generate('sample', { seed: 1, truthFile: tmp.file('s.json') }, tmp.file('s.pcap'));
    const pcap = tmp.file('s.pcap');
    const truth = JSON.parse(readFileSync(tmp.file('s.json'), 'utf8')) as SampleTruth;
    assert.ok(truth.packets >= 2000 && truth.packets <= 5000, `${truth.packets} packets`);
    for (const l of ['xmrig-cryptonote', 'stratum-v1', 'browser-miner-page', 'telnet-bruteforce', 'redis-exploitation', 'port-scan']) assert.ok(truth.summary.byLabel[l] > 0, l);
    assert.deepEqual(tsharkProblems(pcap), []);
    const rows = tsharkRows(pcap);
    checkFlowSet(rows, truth);

    // telnet brute force with Mirai defaults; exactly the last attempt succeeds
    const telnet = rows.filter((r) => r.dport === 23 || r.dport === 2323).map((r) => r.payload.toString('latin1')).join('');
    assert.ok(telnet.includes('root\r\n') && telnet.includes('xc3511\r\n') && telnet.includes('/bin/busybox MIRAI'));
    const brute = truth.flows.filter((f) => f.label === 'telnet-bruteforce');
    assert.equal(brute.filter((f) => f.details?.success === true).length, 1);
    assert.equal(brute[brute.length - 1].details?.success, true);
    // Redis: the cron write and the rogue master, in RESP
    const redis = rows.filter((r) => r.dport === 6379 && r.tcpLen > 0).map((r) => r.payload.toString('utf8')).join('');
    for (const s of ['$3\r\ndir\r\n$15\r\n/var/spool/cron', '$10\r\ndbfilename\r\n$4\r\nroot', '*/1 * * * * curl', '$4\r\nSAVE', '$7\r\nSLAVEOF']) assert.ok(redis.includes(s), s);
    // the port scan: one SYN per probed port, window 1024 with an MSS option
    const scan = truth.flows.filter((f) => f.label === 'port-scan');
    const probes = rows.filter((r) => r.flags === 0x002 && r.win === 1024 && r.mss === 1460 && r.src === scan[0].src);
    assert.equal(probes.length, scan.length);
    assert.equal(new Set(probes.map((p) => p.dport)).size, scan.length);
  } finally {
    tmp.cleanup();
  }
});
