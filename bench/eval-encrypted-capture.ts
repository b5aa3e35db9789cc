/**
 * End-to-end check of the encrypted-mining detector on generated captures: every flow in
 * the generator's ground truth that is TLS (mining over TLS, or ordinary long-lived TLS:
 * video, chat/WebSocket, push channels, web) is matched to minewatch's alerts by 5-tuple.
 * A flow counts as "flagged" when any mining detector alerts on it (knowledge or
 * behaviour), and separately when `mining-encrypted` alone does.
 *
 *   node dist/bench/eval-encrypted-capture.js [captures=3] [sizeMB=150]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../src/synth/index.js';
import { analyze } from '../src/pipeline/analyze.js';

interface TruthFlow { proto: string; src: string; sport: number; dst: string; dport: number; label: string; category: string; tls?: boolean; sni?: string }

const captures = Number(process.argv[2] ?? 3);
const sizeMB = Number(process.argv[3] ?? 150);
const dir = mkdtempSync(join(tmpdir(), 'mw-eval-'));
const counts = { all: { tp: 0, fp: 0, fn: 0, tn: 0 }, behaviour: { tp: 0, fp: 0, fn: 0, tn: 0 } };
const fpLabels: Record<string, number> = {};
try {
  for (let i = 0; i < captures; i++) {
    const pcap = join(dir, `m${i}.pcap`);
    const truthFile = join(dir, `m${i}.json`);
    await generate('mixed', { seed: 1000 + i, sizeBytes: sizeMB * 1e6, truthFile }, pcap);
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as { flows: TruthFlow[] };
    const { alerts } = await analyze({ inputs: [pcap], workers: 1, progress: false, keepAlerts: 1e6 });
    const any = new Set<string>();
    const enc = new Set<string>();
    for (const a of alerts as { src_ip: string; src_port: number; dest_ip: string; dest_port: number; minewatch: { detector: string } }[]) {
      if (a.src_port === undefined) continue;
      const k = `${a.src_ip}:${a.src_port}>${a.dest_ip}:${a.dest_port}`;
      if (a.minewatch.detector !== 'pool-dns') any.add(k);
      if (a.minewatch.detector === 'mining-encrypted') enc.add(k);
    }
    for (const f of truth.flows) {
      const isTls = f.label === 'mining-tls' || ['web-tls', 'video-streaming', 'chat-websocket', 'push-notification'].includes(f.label);
      if (!isTls) continue;
      const k = `${f.src}:${f.sport}>${f.dst}:${f.dport}`;
      const mining = f.label === 'mining-tls';
      for (const [name, set] of [['all', any], ['behaviour', enc]] as const) {
        const c = counts[name];
        const flagged = set.has(k);
        if (mining && flagged) c.tp++;
        else if (mining) c.fn++;
        else if (flagged) { c.fp++; if (name === 'all') fpLabels[f.label] = (fpLabels[f.label] ?? 0) + 1; }
        else c.tn++;
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const [name, c] of Object.entries(counts)) {
  const p = c.tp / Math.max(1, c.tp + c.fp);
  const r = c.tp / Math.max(1, c.tp + c.fn);
  console.log(`${name === 'all' ? 'any mining detector' : 'mining-encrypted alone'}: precision ${p.toFixed(3)} recall ${r.toFixed(3)} F1 ${(2 * p * r / Math.max(1e-9, p + r)).toFixed(3)} (tp ${c.tp} fp ${c.fp} fn ${c.fn} tn ${c.tn})`);
}
console.log(`false positives by label: ${JSON.stringify(fpLabels)}`);
