/**
 * Precision and recall of Stratum-over-TLS-without-SNI detection (issue 15, class 3) on the
 * labelled set of real openssl/curl sessions (bench/lib/tls-mining-set.ts), generated in a
 * network namespace and captured, then analysed with every detector.
 *
 *   npm run eval:tls-mining -- [--duration S] [--keep FILE.pcap] [--pcap FILE.pcap (skip generation)]
 *
 * Prints two rows: the no-SNI scorer alone (mining-encrypted 9100501), and every mining alert
 * of any detector on the session's server (which adds pool-tls 9100205 for resolved names).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyze } from '../src/pipeline/analyze.js';
import { netnsCaptureProblem } from './lib/netns-capture.js';
import { generateTlsMiningSet, scoreSet, SESSIONS } from './lib/tls-mining-set.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '40' }, keep: { type: 'string' }, pcap: { type: 'string' } } });
const dir = mkdtempSync(join(tmpdir(), 'mw-eval-tls-'));
try {
  let pcap = values.pcap ?? join(dir, 'tls-mining-set.pcap');
  if (!values.pcap) {
    const problem = netnsCaptureProblem(['openssl', 'curl', 'dnsmasq', 'dig']);
    if (problem) {
      console.error(`eval-tls-mining: generating the set ${problem}`);
      process.exit(2);
    }
    const t0 = Date.now();
    await generateTlsMiningSet(pcap, dir, Number(values.duration));
    console.log(`generated ${SESSIONS.length} labelled sessions in ${Math.round((Date.now() - t0) / 1000)} s`);
    if (values.keep) { copyFileSync(pcap, values.keep); pcap = values.keep; }
  }
  const { alerts } = await analyze({ inputs: [pcap], workers: 1, progress: false, keepAlerts: 100_000 });
  type A = Parameters<typeof scoreSet>[0][number];
  const mining = (a: A & { alert: { category?: string } }) => /Mining/.test(a.alert.category ?? '');
  const scorer = scoreSet(alerts as unknown as A[], (a) => a.minewatch.detector === 'mining-encrypted' && a.alert.signature_id === 9100501);
  const all = scoreSet(alerts as unknown as A[], (a) => mining(a as A & { alert: { category?: string } }));
  console.log(`no-SNI scorer (mining-encrypted 9100501): precision ${scorer.precision}  recall ${scorer.recall}  (tp ${scorer.tp} fp ${scorer.fp} fn ${scorer.fn} tn ${scorer.tn})`);
  console.log(`any mining alert on the session:          precision ${all.precision}  recall ${all.recall}  (tp ${all.tp} fp ${all.fp} fn ${all.fn} tn ${all.tn})`);
  console.log('sessions (label, type, server, alerts):');
  for (const s of all.sessions) console.log(`  ${s.label.padEnd(6)} ${s.type.padEnd(58)} ${s.endpoint.padEnd(16)} ${s.flagged.join(', ') || '-'}`);
  console.log(`benign flow types: ${SESSIONS.filter((s) => s.label === 'benign').map((s) => s.type).join('; ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
