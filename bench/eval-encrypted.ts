/**
 * Prints precision/recall/F1 of the mining-encrypted detector on labelled flows generated
 * from behavioural models (mining over TLS vs streaming, chat, push, updates, VPN-like),
 * on a seed the detector was not tuned on.
 *
 *   node dist/bench/eval-encrypted.js [seed=9] [flowsPerClass=300]
 */
import { evaluateEncrypted } from './lib/eval-encrypted.js';

const seed = Number(process.argv[2] ?? 9);
const per = Number(process.argv[3] ?? 300);
const started = Date.now();
const r = evaluateEncrypted({ seed, flowsPerClass: per });
console.log(`mining-encrypted evaluation (seed ${r.seed}, ${r.flows} flows, ${Date.now() - started} ms)`);
console.log(`  all flows:      precision ${r.precision}  recall ${r.recall}  F1 ${r.f1}  (tp ${r.tp} fp ${r.fp} fn ${r.fn} tn ${r.tn})`);
const b = r.behaviourOnly;
console.log(`  behaviour only: precision ${b.precision}  recall ${b.recall}  F1 ${b.f1}  (tp ${b.tp} fp ${b.fp} fn ${b.fn} tn ${b.tn})`);
console.log(`  false positives by model: ${JSON.stringify(r.falsePositivesByModel)}; misses by knowledge: ${JSON.stringify(r.missedByKnowledge)}`);
