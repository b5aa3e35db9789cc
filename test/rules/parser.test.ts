import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseContentString, parseRule, parseRules, translatePcre } from '../../src/rules/parser.js';
import { RuleVariables, addressMatches, parseAddressGroup, parsePortGroup, portMatches } from '../../src/rules/variables.js';
import { needSharedData, sharedFile, HAVE_SHARED_DATA } from '../helpers/shared-data.js';

const ok = (text: string) => {
  const r = parseRule(text);
  if (!r.ok) assert.fail(`expected rule to load: ${r.skip.keyword}: ${r.skip.reason}`);
  return r.rule;
};
const skipOf = (text: string) => {
  const r = parseRule(text);
  assert.equal(r.ok, false, 'expected a skip');
  return (r as { ok: false; skip: { keyword: string; reason: string; sid?: number } }).skip;
};

test('content strings: hex sections, escapes', () => {
  assert.deepEqual([...parseContentString('a|22 3A|b')  as Uint8Array], [0x61, 0x22, 0x3a, 0x62]);
  assert.deepEqual([...parseContentString('\\"x\\;') as Uint8Array], [0x22, 0x78, 0x3b]);
  assert.equal(parseContentString('|2|'), 'odd number of hex digits');
  assert.equal(parseContentString('|41'), 'unterminated hex section');
});

test('header: variables, negation, groups, port ranges', () => {
  const vars = new RuleVariables({ address: { HOME_NET: '[10.0.0.0/8,!10.9.0.0/16]' } });
  const home = parseAddressGroup('$HOME_NET', vars);
  assert.ok(typeof home !== 'string');
  assert.equal(addressMatches(home, '10.1.2.3'), true);
  assert.equal(addressMatches(home, '10.9.1.1'), false);
  const ext = parseAddressGroup('$EXTERNAL_NET', vars);
  assert.ok(typeof ext !== 'string');
  assert.equal(addressMatches(ext, '10.9.1.1'), true);
  assert.equal(addressMatches(ext, '8.8.8.8'), true);
  assert.equal(addressMatches(ext, '10.1.1.1'), false);
  const v6 = parseAddressGroup('[2001:db8::/32,!2001:db8:1::/48]', vars);
  assert.ok(typeof v6 !== 'string');
  assert.equal(addressMatches(v6, '2001:db8:2::1'), true);
  assert.equal(addressMatches(v6, '2001:db8:1::1'), false);
  const ports = parsePortGroup('[1024:,!3389,$HTTP_PORTS]', vars);
  assert.ok(typeof ports !== 'string');
  assert.equal(portMatches(ports, 3389), false);
  assert.equal(portMatches(ports, 3333), true);
  assert.equal(portMatches(ports, 80), true);
  assert.equal(portMatches(ports, 25), false);
  assert.equal(typeof parseAddressGroup('$NO_SUCH_VAR', vars), 'string');
  assert.equal(typeof parsePortGroup('70000', vars), 'string');
});

test('skips name the keyword that stopped the rule', () => {
  assert.equal(skipOf('alert smb any any -> any any (msg:"x"; sid:1;)').keyword, 'proto');
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; byte_test:4,>,1,0; sid:7;)').keyword, 'byte_test');
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; byte_test:4,>,1,0; sid:7;)').sid, 7);
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; content:"a"; distance:var1; sid:2;)').keyword, 'distance');
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; pcre:"/a++/"; sid:3;)').keyword, 'pcre');
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; pcre:"/(?i)abc/"; sid:3;)').keyword, 'pcre');
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; pcre:"/abc\\Z/"; sid:3;)').keyword, 'pcre');
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; flow:established,no_stream_x; sid:4;)').keyword, 'flow');
  assert.equal(skipOf('alert tcp any any -> any any (msg:"x"; content:"a")').keyword, 'options');
  assert.equal(skipOf('pass tcp any any -> any any (msg:"x"; sid:5;)').keyword, 'action');
  assert.equal(skipOf('alert tcp any any -> any any (content:"a"; sid:6;)').keyword, 'msg');
  assert.equal(skipOf('garbage').keyword, 'header');
  assert.equal(skipOf('alert http any any -> any any (msg:"x"; http.uri; content:"a"; file.data; content:"b"; sid:8;)').keyword, 'file.data');
});

test('PCRE translation: named groups and back-references become JS syntax', () => {
  assert.equal(translatePcre('(?P<v>a+)=(?P=v)'), '(?<v>a+)=\\k<v>');
  assert.throws(() => translatePcre('(?>a)'));
  const r = ok('alert tcp any any -> any any (msg:"x"; content:"k"; pcre:"/^(?P<v>[a-z]+)=(?P=v)$/i"; sid:9;)');
  const op = r.buffers[0].ops[1];
  assert.equal(op.kind, 'pcre');
  if (op.kind === 'pcre') assert.equal(op.regex.test('Ab=ab'), true);
});

test('legacy content modifiers move the content into the buffer; fast pattern choice', () => {
  const r = ok('alert http any any -> any any (msg:"x"; content:"/blam/flashplayerv"; nocase; http_uri; content:"GET"; http_method; sid:10;)');
  assert.deepEqual(r.buffers.map((b) => b.buffer).sort(), ['http.method', 'http.uri']);
  assert.equal(r.context, 'http-request');
  assert.equal(r.fastPattern!.buffer, 'http.uri', 'longest content wins without fast_pattern');
  const r2 = ok('alert tcp any any -> any any (msg:"x"; content:"longer-content"; content:"ab"; fast_pattern; sid:11;)');
  assert.equal(Buffer.from(r2.fastPattern!.bytes).toString(), 'ab');
});

test('duplicate sids are reported, multi-line rules joined', () => {
  const text = 'alert tcp any any -> any any (msg:"a"; content:"x"; \\\n sid:1;)\nalert tcp any any -> any any (msg:"b"; content:"y"; sid:1;)\n';
  const r = parseRules(text);
  assert.equal(r.rules.length, 1);
  assert.equal(r.duplicates, 1);
  assert.equal(r.skippedByKeyword.sid, 1);
});

test('property: parser never throws on random or mutated rule text', () => {
  const seeds = HAVE_SHARED_DATA
    ? readFileSync(sharedFile('lists/et-open-coinmining-rules-all-categories.rules'), 'utf8').split('\n').filter((l) => l.startsWith('alert'))
    : ['alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:"x"; flow:established,to_server; content:"|22|a"; depth:3; pcre:"/a(?P<x>b)/R"; sid:1;)'];
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 12 })).map(([s, at, del, ins]) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + ins + s.slice(i + del);
  });
  fc.assert(fc.property(fc.oneof(mutated, fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
    const r = parseRule(text, 1);
    if (!r.ok) {
      assert.equal(typeof r.skip.keyword, 'string');
      assert.ok(r.skip.reason.length > 0);
    }
    parseRules(`${text}\n#${text}\n`);
  }), { numRuns: 3000 });
});

test('rules files load without the shared data too (skip is loud)', { skip: needSharedData() }, () => {
  const r = parseRules(readFileSync(sharedFile('lists/et-open-emerging-coinminer.rules'), 'utf8'));
  assert.ok(r.rules.length > 0);
});

test('loadRuleFiles merges files, reports duplicates across files and every skip', { skip: needSharedData() }, async () => {
  const { loadRuleFiles, formatRuleLoadReport } = await import('../../src/rules/load.js');
  const r = loadRuleFiles([sharedFile('lists/et-open-emerging-coinminer.rules'), sharedFile('lists/et-open-coinmining-rules-all-categories.rules')]);
  // 23 from the first file; the second adds 42 - 23 shared sids = 19 new ones.
  assert.equal(r.rules.length, 42);
  assert.deepEqual(r.files.map((f) => [f.loaded, f.skipped, f.disabled]), [[23, 3, 3], [19, 28, 0]]);
  const text = formatRuleLoadReport(r);
  assert.match(text, /sid 2024786: tls\.cert_serial/);
  assert.match(text, /et-open-emerging-coinminer\.rules: 23 rules loaded, 3 skipped \(tls\.cert_subject 3\), 3 commented out/);
});

test('option splitting: escaped quotes and semicolons stay inside values; unterminated lists are reported', () => {
  const r = parseRule('alert tcp any any -> any any (msg:"a\\;b \\"q\\""; content:"x\\;y|3b|z"; sid:5; rev:2;)');
  assert.ok(r.ok);
  assert.equal(r.rule.msg, 'a;b "q"');
  const c = r.rule.buffers[0].ops[0];
  assert.ok(c.kind === 'content');
  assert.equal(Buffer.from(c.bytes).toString('latin1'), 'x;y;z');
  assert.equal(r.rule.rev, 2);
  const open = parseRule('alert tcp any any -> any any (msg:"a"; sid:6; content:"abc")');
  assert.ok(!open.ok && /not terminated/.test(open.skip.reason));
  const quote = parseRule('alert tcp any any -> any any (msg:"a; sid:7;)');
  assert.ok(!quote.ok && /unterminated quoted/.test(quote.skip.reason));
  const sticky = parseRule('alert http any any -> any any (msg:"s"; http.uri; content:"/x"; toString; sid:8;)');
  assert.ok(!sticky.ok && sticky.skip.keyword === 'toString', 'an Object.prototype name is an unknown keyword, not a sticky buffer');
});
