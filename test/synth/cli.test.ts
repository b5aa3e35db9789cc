import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { register, parseSize, parseCount, synthOptions } from '../../src/cli/synth.js';
import { UsageError } from '../../src/util/errors.js';
import { tempDir } from './tools.js';

test('size and count parsing', () => {
  assert.equal(parseSize('1GB'), 1e9);
  assert.equal(parseSize('500MB'), 5e8);
  assert.equal(parseSize('64KiB'), 65536);
  assert.equal(parseSize('1.5 GB'), 1.5e9);
  assert.equal(parseSize('123456'), 123456);
  for (const bad of ['', 'GB', '1XB', '-5MB', '12', 'ten']) assert.throws(() => parseSize(bad), UsageError, bad);
  assert.equal(parseCount('--packets', '10M'), 10_000_000);
  assert.equal(parseCount('--packets', '2500'), 2500);
  assert.throws(() => parseCount('--packets', '0'), UsageError);
  assert.throws(() => parseCount('--packets', '1.5'), UsageError);
});

test('bad arguments are UsageErrors with a clear message', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['bogus', { output: 'x' }, /unknown kind "bogus"/],
    ['mixed', {}, /missing -o FILE/],
    ['small', { output: 'x', size: '1GB' }, /--size applies to the mixed/],
    ['mixed', { output: 'x', size: '1GB', packets: '5' }, /not both/],
    ['darknet', { output: 'x', darknet: '10.0.0.0/40' }, /not an IPv4 CIDR/],
    ['darknet', { output: 'x', darknet6: '10.0.0.0/8' }, /not an IPv6 prefix/],
    ['mixed', { output: 'x', hours: '3' }, /darknet capture only/],
    ['sample', { output: 'x', packets: '3' }, /does not apply/],
    ['mixed', { output: 'x', seed: 'abc' }, /--seed/],
    ['mixed', { output: 'x', start: 'yesterday' }, /--start/],
    ['mixed', { output: 'x', sources: '1000' }, /darknet capture only/],
    ['darknet', { output: 'x', sweeps: '2' }, /--sweeps needs --sources/],
    ['darknet', { output: 'x', days: '2' }, /--days applies to campaign, and to darknet with --sources/],
    ['darknet', { output: 'x', sources: '50' }, /--sources/],
    ['darknet', { output: 'x', sources: '1000', days: '2', hours: '3' }, /--hours or --days/],
  ];
  for (const [kind, flags, re] of cases) assert.throws(() => synthOptions(kind, flags), (e: unknown) => e instanceof UsageError && re.test(e.message), `${kind} ${JSON.stringify(flags)}`);
  const ok = synthOptions('darknet', { output: 'd.pcap', packets: '20k', darknet: '203.0.113.0/24', hours: '2', seed: '9', truth: 't.json' });
  assert.deepEqual(ok, { kind: 'darknet', out: 'd.pcap', opts: { seed: 9, packets: 20000, darknet: '203.0.113.0/24', hours: 2, truthFile: 't.json' } });
  const scale = synthOptions('darknet', { output: 'd.pcap', sources: '1M', days: '3', sweeps: '4' });
  assert.deepEqual(scale.opts, { sources: 1_000_000, sweeps: 4, hours: 72 });
});

test('minewatch synth writes the capture and truth and reports what it wrote', async () => {
  const tmp = tempDir();
  const write = process.stdout.write.bind(process.stdout);
  let printed = '';
  try {
    const program = new Command().exitOverride();
    register(program);
    process.stdout.write = ((s: string) => { printed += s; return true; }) as typeof process.stdout.write;
    await program.parseAsync(['node', 'minewatch', 'synth', 'darknet', '-o', tmp.file('d.pcap'), '--packets', '3000', '--hours', '2', '--truth', tmp.file('d.json')]);
    process.stdout.write = write;
    assert.match(printed, /wrote .*d\.pcap: 3000 packets, \d+ bytes .* in \d+\.\d+ s; ground truth .*d\.json/);
    const truth = JSON.parse(readFileSync(tmp.file('d.json'), 'utf8')) as { totals: { packets: number }; hours: number };
    assert.equal(truth.totals.packets, 3000);
    assert.equal(truth.hours, 2);
    await assert.rejects(program.parseAsync(['node', 'minewatch', 'synth', 'small', '-o', tmp.file('s.pcap'), '--size', '1GB']), UsageError);
    assert.equal(existsSync(tmp.file('s.pcap')), false, 'nothing written on a usage error');
  } finally {
    process.stdout.write = write;
    tmp.cleanup();
  }
});
