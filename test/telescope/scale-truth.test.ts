/**
 * The telescope on the telescope-scale synthetic darknet (`synth darknet --sources N`) finds
 * what the generator put there: exact unique sources, every port of the full-port sweeps,
 * each population's scanner family and class, the spoofed flood as one burst, and the 6379
 * campaign as a port surge at (or just after) its start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, type DarknetScaleTruth } from '../../src/synth/index.js';
import { runTelescope } from '../../src/telescope/run.js';
import { buildReport } from '../../src/telescope/report.js';

test('telescope on a scale darknet recovers the ground truth', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-tel-scale-'));
  try {
    const file = join(dir, 's.pcap');
    await generate('darknet', { seed: 13, packets: 200_000, sources: 8000, sweeps: 2, hours: 48, darknet: '198.18.0.0/16', truthFile: join(dir, 't.json') }, file);
    const truth = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as DarknetScaleTruth;
    const r = buildReport((await runTelescope({ inputs: [file], darknets: ['198.18.0.0/16'], workers: 1, noGeo: true })).state);
    const p = truth.totals.byPopulation;
    assert.equal(r.totals.packets, truth.totals.packets);
    assert.equal(r.totals.sources, truth.totals.uniqueSources);
    assert.equal(r.ports.length + r.ports_omitted, truth.ports.tcpPortsHit + truth.ports.udpPortsHit);
    assert.equal(truth.ports.tcpPortsHit, 65536);
    const sweep = (fp: string) => truth.sweepers.filter((s) => s.fingerprint === fp).length;
    assert.equal(r.scanner_families.mirai, p.mirai.sources);
    assert.equal(r.scanner_families.zmap, p.zmap.sources + sweep('zmap'));
    assert.equal(r.scanner_families.masscan, p.masscan.sources + p.redis.sources + sweep('masscan'));
    assert.equal(r.scanner_families.nmap, p.nmap.sources);
    assert.equal(r.classes.backscatter, p.backscatter.sources);
    assert.equal(r.class_packets.backscatter, p.backscatter.packets);
    assert.equal(r.classes.scanner + r.classes.backscatter + r.classes.other, truth.totals.uniqueSources);
    // the spoofed flood: one burst of one-packet sources with one fingerprint
    assert.equal(r.tags['spoofed-burst'], truth.totals.spoofed.sources);
    assert.equal(r.bursts[0].sources, truth.totals.spoofed.sources);
    assert.equal(Math.floor(r.bursts[0].start / 1000), Date.parse(truth.totals.spoofed.window.start), 'burst starts with the flood (ms)');
    assert.equal(Math.floor(r.bursts[0].end / 1000), Date.parse(truth.totals.spoofed.window.end), 'burst ends with the flood (ms)');
    // the 6379 campaign: a port surge within three hours of its start
    const surge = r.surges.find((s) => s.kind === 'port' && s.key === 'tcp/6379');
    assert.ok(surge, `surges: ${JSON.stringify(r.surges)}`);
    const lag = Date.parse(surge.interval) - Math.floor(Date.parse(truth.surge.start) / 3600e3) * 3600e3;
    assert.ok(lag >= 0 && lag <= 3 * 3600e3, `surge reported ${lag / 3600e3} h after its start`);
    // the busiest sources are the sweepers (65,536 packets each)
    assert.deepEqual(r.top_talkers.slice(0, 2).map((s) => s.ip).sort(), truth.sweepers.map((s) => s.ip).sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
