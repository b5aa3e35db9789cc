/**
 * Malformed-input reasons are named one way: `stage.reason-with-dashes` (decoder reasons name
 * their layer, capture reasons their format: `capture.pcapng.bad-option`), the stage put in
 * front once (no `stratum.stratum.gap`), no underscores or colons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../src/pipeline/analyze.js';
import { addStageCounts, ReasonCounter } from '../../src/events/counters.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

const NAME = /^[a-z][a-z0-9]*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/;

function checkName(key: string): void {
  assert.match(key, NAME, `reason "${key}" is not stage.reason-with-dashes`);
  const parts = key.split('.');
  for (let i = 1; i < parts.length; i++) assert.notEqual(parts[i], parts[i - 1], `reason "${key}" repeats its prefix`);
}

void test('addStageCounts puts the stage in front once and adds up', () => {
  const c = new ReasonCounter();
  c.add('gap');
  c.add('line-too-long', 2);
  const out: Record<string, number> = { 'stratum.gap': 1 };
  addStageCounts(out, 'stratum', c);
  assert.deepEqual(out, { 'stratum.gap': 2, 'stratum.line-too-long': 2 });
  for (const k of Object.keys(out)) checkName(k);
  assert.throws(() => checkName('stratum.stratum.gap'));
  assert.throws(() => checkName('http.incomplete_headers'));
  assert.throws(() => checkName('identify:error'));
});

void test('every malformed reason over the shared captures is named one way', { skip: needSharedData() }, async () => {
  const seen = new Set<string>();
  for (const dir of ['mining', 'benign', 'darknet', 'browser-miner', 'iot-malware']) {
    const { summary } = await analyze({ inputs: [sharedFile(dir)], workers: 1, progress: false });
    for (const k of Object.keys(summary.malformed)) seen.add(k);
  }
  // the captures hold damaged and cut-off streams: there are reasons to check
  assert.ok(seen.size >= 3, [...seen].join(', '));
  for (const k of seen) checkName(k);
  assert.ok(seen.has('stratum.gap') || seen.has('stratum.not-json'), [...seen].join(', '));
});
