import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePcre, LINEAR_ENGINE, PcreRunner, rewriteSource } from '../../src/rules/pcre.js';
import { translatePcre } from '../../src/rules/parser.js';

/** Expressions in the shapes rules use (and the ET coinmining ones), with their JS flags. */
const EXPRESSIONS: [string, string][] = [
  ['miner[^a-z]', 'i'],
  ['^\\s*[\\x22\\x27]', ''],
  ['^\\/api\\/(?:bit|lite)coin\\/balance\\/', ''],
  ['^[a-z0-9]{6,15}$', 'i'],
  ['^[^\\r\\n]+(?:mine\\.moneropool|xmr\\.crypto-pool|monerohash)[^\\r\\n]+kill\\x20\\-9', ''],
  ['\\x22mining\\x2E(subscribe|authorize)\\x22', ''],
  ['(a+)+$', ''],
  ['^GET \\/[A-Z]{2,4}\\?id=\\d+', 'i'],
  ['\\bxmr\\b.*?pool', 'is'],
  ['^host\\x3a\\s*[^\\r\\n]*\\.(ru|cn)\\r?$', 'mi'],
  ['[^\\x00-\\x1f\\xe9]+\\xc9', 'i'],
  ['(?<w>ab)\\k<w>c', 'i'],
  ['a(?=b)', ''],
  ['(?<!x)ab{2,3}', 'i'],
  ['x{40,60}', ''],
];

test('every shape compiles; linear forms exist where the engine allows them', () => {
  for (const [src, flags] of EXPRESSIONS) {
    const p = compilePcre(src, flags);
    if (!LINEAR_ENGINE) continue;
    if (/\\k<|\(\?<?[=!]/.test(src)) assert.notEqual(p.mode, 'linear', src);
    if (src === 'miner[^a-z]' || src === '(a+)+$') assert.equal(p.mode, 'linear', src);
  }
});

test('the case-folding rewrite matches what the i flag matches (latin1)', () => {
  assert.equal(rewriteSource('ab', { fold: true, approx: false }), '[\\x41\\x61][\\x42\\x62]');
  assert.equal(rewriteSource('\\x41-', { fold: true, approx: false }), '[\\x41\\x61]-');
  assert.equal(rewriteSource('(?<n>a)\\k<n>(?=b)c{2,3}', { fold: false, approx: true }), '(?<n>a)[\\s\\S]*(?:)c+');
  for (const [src, flags] of EXPRESSIONS) {
    if (!flags.includes('i')) continue;
    const folded = rewriteSource(src, { fold: true, approx: false });
    assert.ok(folded !== null, src);
    const a = new RegExp(src, flags);
    const b = new RegExp(folded, flags.replace('i', ''));
    for (let c = 0; c < 256; c++) {
      const s = `${String.fromCharCode(c)}MINER_ab AB abB HOST: x.RU ÉÉé`;
      assert.equal(b.test(s), a.test(s), `${src} on char ${c}`);
    }
  }
});

const alphabet = fc.constantFrom(...'aAbBxXmMiInNeErR \r\n\t"\'./?=-_0123456789!É\xe9\x00\x7f'.split(''));
const subject = fc.array(alphabet, { maxLength: 80 }).map((cs) => cs.join(''));

test('the runner finds the same match as the backtracking engine (random subjects and offsets)', () => {
  const compiled = EXPRESSIONS.filter(([src]) => src !== '(a+)+$').map(([src, flags]) => [new RegExp(src, flags), compilePcre(src, flags)] as const);
  const runner = new PcreRunner(1000);
  fc.assert(fc.property(fc.nat(compiled.length - 1), subject, fc.nat(80), fc.array(fc.constantFrom('miner', 'MONEROHASH', 'monerohash kill -9', 'abab', 'x'.repeat(45), 'GET /AB?id=12'), { maxLength: 3 }), (k, base, off, extra) => {
    const str = base + extra.join(' ');
    const from = Math.min(off, str.length);
    const [re, p] = compiled[k];
    re.lastIndex = 0;
    const want = re.exec(from > 0 ? str.slice(from) : str);
    runner.begin(1);
    const got = runner.exec(p, str, from);
    if (want === null) assert.equal(got, -1, `${re.source} on ${JSON.stringify(str)} from ${from}`);
    else {
      assert.equal(got, from + want.index, `${re.source} on ${JSON.stringify(str)} from ${from}`);
      assert.equal(runner.end, from + want.index + want[0].length);
    }
  }), { numRuns: 3000 });
});

test('nested quantifiers run in linear time; a backtracking-only expression is cut at its budget and counted per rule', { skip: !LINEAR_ENGINE && 'no linear engine' }, () => {
  const runner = new PcreRunner(15);
  const nested = compilePcre('(a+)+$', '');
  const t0 = performance.now();
  runner.begin(7);
  assert.equal(runner.exec(nested, `${'a'.repeat(5000)}!`, 0), -1);
  assert.ok(performance.now() - t0 < 1000);
  const backref = compilePcre(translatePcre('^(a+)+\\1!$'), '');
  assert.equal(backref.mode, 'prefiltered');
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    runner.begin(42);
    assert.equal(runner.exec(backref, `${'a'.repeat(40)}b!`, 0), -1);
    // a second run in the same evaluation is refused at once
    assert.equal(runner.exec(backref, `${'a'.repeat(40)}b!`, 0), -1);
    const took = performance.now() - t;
    assert.ok(took < 15 * 5 + 50, `evaluation took ${took} ms against a 15 ms budget`);
  }
  assert.equal(runner.budgetHits.get(42), 3);
  assert.equal(runner.budgetHits.get(7), undefined);
  // The prefilter alone rejects what cannot match, without the backtracking engine.
  const before = runner.stats.backtracking;
  runner.begin(43);
  assert.equal(runner.exec(backref, `${'a'.repeat(40)}b?`, 0), -1);
  assert.equal(runner.stats.backtracking, before);
  // And a match under the budget is found.
  runner.begin(44);
  assert.equal(runner.exec(backref, 'aaaa!', 0), 0);
  assert.equal(runner.end, 5);
});

test('content is retried at later positions only when a later option reads its match end', async () => {
  const { parseRule } = await import('../../src/rules/parser.js');
  const { RuleEngine, createMatchMeta } = await import('../../src/rules/matcher.js');
  const fire = (opts: string, payload: string) => {
    const r = parseRule(`alert tcp any any -> any any (msg:"t"; ${opts} sid:77;)`);
    if (!r.ok) throw new Error(r.skip.reason);
    const e = new RuleEngine([r.rule]);
    e.clearSlots();
    e.setSlot('pkt', Buffer.from(payload, 'latin1'));
    const hits = e.evaluate('packet', Object.assign(createMatchMeta(), { srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 1, dstPort: 2 })).length;
    return { hits, pcreRuns: e.pcre.stats.linear + e.pcre.stats.backtracking };
  };
  // relative follow-ups still backtrack over earlier occurrences
  assert.equal(fire('content:"A"; pcre:"/^x+B/R";', 'AyyAxxB').hits, 1);
  assert.equal(fire('content:"A"; content:"B"; distance:1; within:2;', 'AxxxxAxB').hits, 1);
  // a non-relative pcre after a content found everywhere runs once, not once per position
  const r = fire('content:"a"; pcre:"/zzz$/";', 'a'.repeat(5000));
  assert.equal(r.hits, 0);
  assert.equal(r.pcreRuns, 1);
});

test('the linear engine is on in worker threads too', async () => {
  const { Worker } = await import('node:worker_threads');
  const url = new URL('../../src/rules/pcre.js', import.meta.url).href;
  const w = new Worker(`import('${url}').then((m) => require('node:worker_threads').parentPort.postMessage([m.LINEAR_ENGINE, m.compilePcre('(a+)+$', '').mode]))`, { eval: true });
  const [on, mode] = await new Promise<[boolean, string]>((res, rej) => { w.once('message', res); w.once('error', rej); });
  await w.terminate();
  assert.equal(on, LINEAR_ENGINE);
  if (LINEAR_ENGINE) assert.equal(mode, 'linear');
});
