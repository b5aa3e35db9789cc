import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate, type SynthKind, type SynthOptions } from '../../src/synth/index.js';
import { sha256, tempDir } from './tools.js';

const CASES: [SynthKind, SynthOptions][] = [
  ['small', { packets: 20000 }],
  ['darknet', { packets: 20000, hours: 3 }],
  ['mixed', { sizeBytes: 3e6, durationSec: 120 }],
  ['sample', {}],
];

for (const [kind, opts] of CASES) {
  test(`${kind}: same seed ⇒ identical capture and truth; another seed ⇒ different`, async () => {
    const tmp = tempDir();
    try {
      const a = await generate(kind, { ...opts, seed: 5, truthFile: tmp.file('a.json') }, tmp.file('a.pcap'));
      const b = await generate(kind, { ...opts, seed: 5, truthFile: tmp.file('b.json') }, tmp.file('b.pcap'));
      const c = await generate(kind, { ...opts, seed: 6 }, tmp.file('c.pcap'));
      assert.equal(sha256(tmp.file('a.pcap')), sha256(tmp.file('b.pcap')));
      assert.equal(sha256(tmp.file('a.json')), sha256(tmp.file('b.json')));
      assert.notEqual(sha256(tmp.file('a.pcap')), sha256(tmp.file('c.pcap')));
      assert.equal(a.packets, b.packets);
      assert.equal(readFileSync(tmp.file('a.pcap')).length, a.bytes, 'reported bytes are the file size');
      if (kind === 'small' || kind === 'darknet') assert.equal(a.packets, opts.packets);
      if (kind === 'mixed') assert.ok(a.bytes >= 3e6 && a.bytes < 3e6 * 1.2, `mixed stops near its size budget: ${a.bytes}`);
      if (kind === 'sample') assert.ok(a.packets >= 2000 && a.packets <= 5000, `sample size ${a.packets}`);
      assert.ok(c.packets > 0);
    } finally {
      tmp.cleanup();
    }
  });
}

test('mixed: a packet budget is met', async () => {
  const tmp = tempDir();
  try {
    const r = await generate('mixed', { seed: 2, packets: 4000, durationSec: 60 }, tmp.file('m.pcap'));
    assert.ok(r.packets >= 4000 && r.packets < 4400, `packets ${r.packets}`);
  } finally {
    tmp.cleanup();
  }
});
