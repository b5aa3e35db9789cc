/**
 * The demo (`npm start`) must show what it promises: every miner and attack planted in the
 * generated sample capture is found, by the right detector, against the generator's truth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/synth/index.js';
import { analyze } from '../../src/pipeline/analyze.js';

interface Alert { src_ip?: string; dest_ip?: string; minewatch: { detector: string } }

test('demo sample: miners, browser miner, telnet brute force, Redis exploitation and port scan are all reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-demo-'));
  try {
    const pcap = join(dir, 'sample.pcap');
    const truthFile = join(dir, 'truth.json');
    await generate('sample', { seed: 1, truthFile }, pcap);
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as {
      flows: { label: string; src: string; dst: string }[];
      attacks: { kind: string; attacker: string; target: string }[];
    };
    const { alerts } = await analyze({ inputs: [pcap], workers: 1, progress: false, keepAlerts: 10_000 });
    const got = alerts as unknown as Alert[];
    const has = (detector: string, pred: (a: Alert) => boolean) => got.some((a) => a.minewatch.detector === detector && pred(a));

    for (const f of truth.flows.filter((x) => x.label === 'stratum-v1' || x.label === 'xmrig-cryptonote')) {
      assert.ok(has('stratum', (a) => a.src_ip === f.src && a.dest_ip === f.dst), `${f.label} ${f.src} -> ${f.dst}`);
    }
    assert.ok(truth.flows.some((f) => f.label === 'browser-miner-page'));
    assert.ok(has('browser-miner', () => true), 'browser miner page');
    for (const at of truth.attacks) {
      const detector = at.kind === 'telnet-bruteforce' ? 'bruteforce' : at.kind === 'redis-exploitation' ? 'redis-exploit' : at.kind === 'port-scan' ? 'scan' : at.kind;
      assert.ok(has(detector, (a) => a.src_ip === at.attacker || a.dest_ip === at.target), `${at.kind} from ${at.attacker}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
