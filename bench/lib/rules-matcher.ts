/**
 * Matcher micro-benchmark and a generator of N synthetic content rules, for `npm run bench`
 * (the integrator calls benchMatcher; the capture-level figure is measured there).
 * Deterministic: same seed, same rules, same payloads.
 */
import { parseRules } from '../../src/rules/parser.js';
import { RuleEngine, createMatchMeta } from '../../src/rules/matcher.js';
import { mulberry32 } from '../../src/util/mulberry32.js';


const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/';

/**
 * N synthetic Suricata rules with one 8–16 byte content each (a third nocase, a quarter
 * with a second relative content, some with depth), header tcp any any -> any any.
 */
export function generateContentRules(n: number, seed = 1): string[] {
  const rnd = mulberry32(seed);
  const word = (len: number): string => {
    let s = '';
    for (let i = 0; i < len; i++) s += ALNUM[Math.floor(rnd() * ALNUM.length)];
    return s;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const main = word(8 + Math.floor(rnd() * 9));
    let opts = `content:"${main}";`;
    if (rnd() < 1 / 3) opts += ' nocase;';
    if (rnd() < 0.1) opts += ' depth:400;';
    if (rnd() < 0.25) opts += ` content:"${word(4)}"; distance:0; within:64;`;
    out.push(`alert tcp any any -> any any (msg:"synthetic content rule ${i}"; flow:established,to_server; ${opts} classtype:misc-activity; sid:${9_000_000 + i}; rev:1;)`);
  }
  return out;
}

export interface MatcherBenchResult {
  rules: number;
  packets: number;
  bytes: number;
  /** Median over runs. */
  mbPerSec: number;
  packetsPerSec: number;
  runs: number;
  buildMs: number;
  /** Aho-Corasick states (0 when all patterns went to Wu-Manber) and prefilter table bytes. */
  automatonStates: number;
  automatonBytes: number;
  candidatesPerRun: number;
  hitsPerRun: number;
}

/** Payloads resembling mixed traffic: JSON-RPC-ish text, HTTP-ish text and binary, 64–1460 bytes. */
export function generatePayloads(totalBytes: number, seed = 7, plantedRules: string[] = [], plantEvery = 1000): { buf: Uint8Array; offsets: Int32Array; lengths: Int32Array } {
  const rnd = mulberry32(seed);
  const buf = new Uint8Array(totalBytes);
  const offsets: number[] = [];
  const lengths: number[] = [];
  const text = Buffer.from('{"id":1,"jsonrpc":"2.0","method":"submit","params":{"id":"a1","job_id":"77","nonce":"0c1f","result":"9d2e"}}\nGET /index.html HTTP/1.1\r\nHost: www.example.net\r\nUser-Agent: Mozilla/5.0\r\n\r\n');
  let pos = 0;
  let n = 0;
  while (pos < totalBytes - 64) {
    const len = Math.min(totalBytes - pos, 64 + Math.floor(rnd() * 1397));
    const binary = rnd() < 0.3;
    for (let i = 0; i < len; i++) buf[pos + i] = binary ? Math.floor(rnd() * 256) : text[(i + n * 13) % text.length];
    // Plant a rule's content now and then so the full evaluation path is exercised too.
    if (plantedRules.length > 0 && n % plantEvery === 0) {
      const m = /content:"([^"]+)"/.exec(plantedRules[n % plantedRules.length]);
      if (m) buf.set(Buffer.from(m[1]).subarray(0, Math.max(0, len - 1)), pos);
    }
    offsets.push(pos);
    lengths.push(len);
    pos += len;
    n++;
  }
  return { buf, offsets: Int32Array.from(offsets), lengths: Int32Array.from(lengths) };
}

/** Payload MB/s through prefilter + match with `ruleCount` synthetic rules (0 = no rules). */
export function benchMatcher(ruleCount: number, options: { totalBytes?: number; runs?: number; warmup?: number; seed?: number } = {}): MatcherBenchResult {
  const totalBytes = options.totalBytes ?? 16 * 1024 * 1024;
  const runs = options.runs ?? 5;
  const texts = generateContentRules(ruleCount, options.seed ?? 1);
  const t0 = performance.now();
  const { rules } = parseRules(texts.join('\n'));
  const engine = new RuleEngine(rules);
  const buildMs = performance.now() - t0;
  const { buf, offsets, lengths } = generatePayloads(totalBytes, 7, texts);
  const meta = createMatchMeta();
  meta.srcIp = '192.168.1.10';
  meta.dstIp = '203.0.113.5';
  meta.srcPort = 40000;
  meta.dstPort = 3333;
  meta.serverPort = 3333;
  const times: number[] = [];
  let hits = 0;
  let cand0 = engine.stats.candidates;
  // Warm-up runs let the JIT reach its optimised tier before timing (it takes several passes).
  const warmup = options.warmup ?? 2;
  for (let r = 0; r < warmup + runs; r++) {
    if (r === warmup) cand0 = engine.stats.candidates;
    hits = 0;
    const start = performance.now();
    for (let i = 0; i < offsets.length; i++) {
      engine.clearSlots();
      engine.setSlot('pkt', buf, offsets[i], offsets[i] + lengths[i]);
      hits += engine.evaluate('packet', meta).length;
    }
    if (r >= warmup) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] / 1000;
  const bytes = lengths.reduce((a, b) => a + b, 0);
  const stats = engine.automatonStats('packet', 'pkt');
  return {
    rules: rules.length, packets: offsets.length, bytes, runs,
    mbPerSec: bytes / 1e6 / median,
    packetsPerSec: offsets.length / median,
    buildMs,
    automatonStates: stats.states,
    automatonBytes: stats.bytes,
    candidatesPerRun: (engine.stats.candidates - cand0) / runs,
    hitsPerRun: hits,
  };
}

export function formatBenchRow(r: MatcherBenchResult): string {
  return `rules=${r.rules} packets=${r.packets} MB=${(r.bytes / 1e6).toFixed(1)} → ${r.mbPerSec.toFixed(0)} MB/s, ${(r.packetsPerSec / 1e3).toFixed(0)}k pkt/s (build ${r.buildMs.toFixed(0)} ms, ${r.automatonStates} AC states, ${(r.automatonBytes / 1e6).toFixed(1)} MB tables, ${r.candidatesPerRun.toFixed(0)} candidates, ${r.hitsPerRun} hits per run)`;
}
