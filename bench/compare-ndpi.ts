/**
 * What nDPI labels Mining versus what minewatch finds, flow by flow, on every shared capture.
 * Prints a markdown table for BENCHMARKS.md.
 *
 *   node dist/bench/compare-ndpi.js [shared-data-dir]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze } from '../src/pipeline/analyze.js';

const DATA = resolve(process.argv[2] ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
const DIRS = ['mining', 'browser-miner', 'benign', 'darknet', 'iot-malware'];
/** Detectors whose alert marks the flow itself as mining (DNS lookups are counted apart). */
const MINING_FLOW_DETECTORS = new Set(['stratum', 'pool-tls', 'pool-http', 'browser-miner', 'mining-encrypted']);

function key(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

function ndpiMiningFlows(file: string): Set<string> {
  const r = spawnSync('ndpiReader', ['-i', file, '-v', '2'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = new Set<string>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^\s*\d+\s+(TCP|UDP)\s+(\S+)\s+<->\s+(\S+)\s+\[proto: [\d.]+\/([^\]]+)\]/.exec(line);
    if (m && /Mining/.test(m[4])) out.add(key(m[2], m[3]));
  }
  return out;
}

async function minewatchMiningFlows(file: string): Promise<{ flows: Set<string>; dns: number }> {
  const { alerts } = await analyze({ inputs: [file], workers: 1, progress: false, keepAlerts: 1e6 });
  const flows = new Set<string>();
  let dns = 0;
  for (const a of alerts as { src_ip?: string; src_port?: number; dest_ip?: string; dest_port?: number; minewatch: { detector: string } }[]) {
    if (a.minewatch.detector === 'pool-dns') dns++;
    if (!MINING_FLOW_DETECTORS.has(a.minewatch.detector) || a.src_port === undefined) continue;
    flows.add(key(`${a.src_ip}:${a.src_port}`, `${a.dest_ip}:${a.dest_port}`));
  }
  return { flows, dns };
}

let md = '| capture | nDPI Mining flows | minewatch mining flows | both | nDPI only | minewatch only | minewatch pool DNS lookups |\n|---|---|---|---|---|---|---|\n';
for (const dir of DIRS) {
  for (const f of readdirSync(join(DATA, dir)).sort()) {
    const path = join(DATA, dir, f);
    const n = ndpiMiningFlows(path);
    const m = await minewatchMiningFlows(path);
    const both = [...n].filter((k) => m.flows.has(k)).length;
    if (n.size === 0 && m.flows.size === 0 && m.dns === 0) continue;
    md += `| ${dir}/${f} | ${n.size} | ${m.flows.size} | ${both} | ${n.size - both} | ${m.flows.size - both} | ${m.dns} |\n`;
  }
}
process.stdout.write(md);
