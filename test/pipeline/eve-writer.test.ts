/**
 * EveWriter: over files the EVE output appears whole when the run ends (or the previous file
 * stays, when it fails); live it grows as events are flushed, so a log shipper can follow it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EveWriter } from '../../src/pipeline/eve-writer.js';

void test('atomic: nothing at the path until close; discard keeps the previous file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-eve-writer-'));
  try {
    const f = join(dir, 'eve.json');
    const w = new EveWriter(f, 16);
    w.write({ event_type: 'flow', n: 1 });
    w.write({ event_type: 'flow', n: 2 });
    assert.ok(!existsSync(f), 'not visible before close');
    w.close();
    assert.deepEqual(readFileSync(f, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n), [1, 2]);
    assert.deepEqual(readdirSync(dir), ['eve.json'], 'no temporary file left');

    const failed = new EveWriter(f, 16);
    failed.write({ event_type: 'flow', n: 3 });
    failed.discard();
    assert.equal(readFileSync(f, 'utf8').trim().split('\n').length, 2, 'the previous file stays');
    assert.deepEqual(readdirSync(dir), ['eve.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('live (not atomic): flushed events are in the file before close', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-eve-writer-'));
  try {
    const f = join(dir, 'eve.json');
    writeFileSync(f, 'old\n');
    const w = new EveWriter(f, 16, false);
    w.write({ event_type: 'alert', n: 1 });
    assert.match(readFileSync(f, 'utf8'), /"n":1/);
    w.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
