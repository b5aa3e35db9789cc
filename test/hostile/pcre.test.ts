/**
 * Hostile input, issue 16 item 1 (ReDoS): rule expressions run in a linear-time engine, and
 * what must backtrack runs under a per-rule time budget that is counted in the summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compare, assertBounded, ip4, runAnalyze, tcpConversation, tempDir, writeCapture, ordinaryCapture, MAX_RSS_MB } from './helpers.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

/** `flows` TCP flows to port 9000, each sending `payload` once. */
function payloadFlows(path: string, flows: number, payload: Buffer): number {
  return writeCapture(path, (sink, fb) => {
    let t = 1.7e15;
    for (let i = 0; i < flows; i++) {
      t = tcpConversation(sink, fb, ip4(10, 0, (i >> 8) & 255, i & 255), ip4(192, 0, 2, 9), 20000 + (i % 40000), 9000, t, (s, tt) => s.send(0, payload, 0, payload.length, tt)) + 1000;
    }
  });
}

test('ReDoS: content:"aaaa"; pcre:"/(a+)+$/" on 32 a and a "!" finishes fast (within 3x of the same capture without rules)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const rules = join(dir, 'redos.rules');
    writeFileSync(rules, 'alert tcp any any -> any any (msg:"redos nested quantifier"; content:"aaaa"; pcre:"/(a+)+$/"; sid:9100001; rev:1;)\n');
    const hostile = join(dir, 'redos.pcap');
    payloadFlows(hostile, 2000, enc(`${'a'.repeat(32)}!`));
    // 2,000 one-payload flows: the baseline is the same capture without the rule, since a flood
    // of tiny flows costs more per byte than ordinary traffic whatever the rules do.
    const c = compare({ input: hostile, config: { rules: [rules] } }, { input: hostile, config: {} });
    assert.equal(c.hostile.summary.stream['rules.evaluations'] > 0, true);
    assert.equal(c.hostile.summary.stream['rules.pcre_budget_hits'] ?? 0, 0);
    assertBounded(c, 'nested-quantifier pcre on 2,000 flows');
  } finally {
    cleanup();
  }
});

test('ReDoS: an expression that must backtrack (back-reference) holds no packet longer than its budget, and the hits are counted per rule', () => {
  const { dir, cleanup } = tempDir();
  try {
    const rules = join(dir, 'backref.rules');
    // The linear prefilter (back-reference as [\s\S]*) accepts the payload; the backtracking
    // engine then explores every split of the a-run (exponential) until the budget stops it.
    writeFileSync(rules, 'alert tcp any any -> any any (msg:"redos backref"; content:"aaaa"; pcre:"/^(a+)+\\1!$/"; sid:9100002; rev:1;)\n');
    const packets = 12;
    const hostile = join(dir, 'backref.pcap');
    payloadFlows(hostile, packets, enc(`${'a'.repeat(40)}b!`));
    const withRules = runAnalyze(hostile, { rules: [rules] });
    const without = runAnalyze(hostile, {});
    assert.equal(withRules.summary.stream['rules.pcre_budget_hits'], packets);
    assert.equal(withRules.summary.stream['rules.pcre_budget_hits.sid_9100002'], packets);
    // Each packet costs at most its 20 ms budget (plus the vm watchdog's slack). CPU time: the
    // budget is wall time, so the CPU it lets a rule spend is at most that on a busy machine.
    const extra = withRules.cpuMs - without.cpuMs;
    console.log(`# ${packets} packets over budget: +${extra.toFixed(0)} ms (budget ${packets * 20} ms)`);
    assert.ok(extra < packets * 20 * 3 + 500, `extra ${extra} ms for ${packets} budgeted packets`);
    assert.ok(withRules.rssMb < MAX_RSS_MB);
  } finally {
    cleanup();
  }
});

test('ReDoS: the ET Open coinmining rules (sid 2034504) on four 240 KB HTTP responses stay within 3x of ordinary traffic with the same rules', { skip: needSharedData() }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    // `^[^\r\n]+(?:mine\.moneropool|…)[^\r\n]+kill\x20\-9` backtracks quadratically over a long
    // line with many pool names and no "kill -9".
    const body = enc(`#!/bin/sh\r\nps aux${' monerohash'.repeat(240_000 / 11)}\r\n`);
    const head = enc(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`);
    const response = Buffer.concat([head, body]);
    const request = enc('GET /x.sh HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/8\r\n\r\n');
    const hostile = join(dir, 'et-2034504.pcap');
    writeCapture(hostile, (sink, fb) => {
      let t = 1.7e15;
      for (let i = 0; i < 4; i++) {
        t = tcpConversation(sink, fb, ip4(10, 0, 0, 2 + i), ip4(203, 0, 113, 7), 40000 + i, 80, t, (s, tt) => {
          tt = s.send(0, request, 0, request.length, tt);
          return s.send(1, response, 0, response.length, tt + 300);
        }) + 1000;
      }
    });
    const rules = sharedFile('lists/et-open-coinmining-rules-all-categories.rules');
    // Baseline: ordinary traffic of the same size with the same rules (loading them is a fixed
    // cost that would dominate a comparison with no rules on a 1 MB capture).
    const base = join(dir, 'ordinary.pcap');
    await ordinaryCapture(base, statSync(hostile).size);
    const c = compare({ input: hostile, config: { rules: [rules] } }, { input: base, config: { rules: [rules] } });
    assert.ok((c.hostile.summary.stream['rules.evaluations'] ?? 0) > 0, 'the rules ran');
    assertBounded(c, 'ET coinmining rules on 4 x 240 KB responses');
  } finally {
    cleanup();
  }
});
