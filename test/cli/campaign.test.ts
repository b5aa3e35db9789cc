/**
 * `minewatch campaign package` as users run it (the bundle): packages per recipient for every
 * format, byte-identical on a second run, unrouted hosts and bad lines reported, dry-run e-mails,
 * and one-line errors for bad options.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, bundleSkip } from '../helpers/bundle.js';
import { CONTACTS_JSON, HOST_INPUT } from '../campaigns/fixtures.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-cli-campaign-'));
  writeFileSync(join(dir, 'hosts.jsonl'), `${HOST_INPUT.map((h) => JSON.stringify(h)).join('\n')}\n`);
  writeFileSync(join(dir, 'bad-line.jsonl'), `${JSON.stringify(HOST_INPUT[0])}\n{"nope": 1}\n`);
  writeFileSync(join(dir, 'contacts.json'), JSON.stringify({ ...CONTACTS_JSON, asAbuse: [] }));
  writeFileSync(join(dir, 'abuse.csv'), 'aut-num,org-name,abuse-mailbox\nAS64500,Example JP ISP,abuse@isp.example.jp\nAS64999,Example BR,abuse@br.example\n');
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const run = (...args: string[]) => spawnSync(process.execPath, [BUNDLE!, 'campaign', 'package', ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
const listing = (d: string): string[] => (readdirSync(d, { recursive: true }) as string[]).sort();

test('campaign package: every format per CERT, deterministic across runs, unrouted hosts reported', { skip: bundleSkip() }, () => {
  const a = run('--hosts', 'hosts.jsonl', '--contacts', 'contacts.json', '--out', 'out-a', '--campaign', 'goldfish', '--emails', 'mail');
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /^cert:ID id-cert@example\.id: 1 hosts \(device-id\), 8 files$/m);
  // JP: two miner families, so two MISP event files
  assert.match(a.stdout, /^cert:JP jp-cert@example\.jp: 2 hosts \(ip-day\), 9 files$/m);
  assert.match(a.stdout, /^unrouted \(no-cert BR\): 1 hosts$/m);
  assert.match(a.stdout, /2 e-mails written to mail \(dry run, nothing sent\)/);
  const files = listing(join(dir, 'out-a'));
  for (const f of ['cert-JP.intelmq.jsonl', 'cert-JP.shadowserver.csv', 'cert-JP.xarf.jsonl', 'cert-JP.iodef.xml', 'cert-JP.stix.json', join('cert-JP.misp', 'manifest.json'), join('cert-JP.misp', 'hashes.csv')]) assert.ok(files.includes(f), f);
  assert.equal(readdirSync(join(dir, 'mail')).filter((f) => f.endsWith('.eml')).length, 2);
  assert.equal((JSON.parse(readFileSync(join(dir, 'mail', 'notifications.json'), 'utf8')) as { messages: unknown[] }).messages.length, 2);
  const b = run('--hosts', 'hosts.jsonl', '--contacts', 'contacts.json', '--out', 'out-b', '--campaign', 'goldfish');
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(listing(join(dir, 'out-b')), files);
  for (const f of files) if (!f.endsWith('.misp')) assert.ok(readFileSync(join(dir, 'out-a', f)).equals(readFileSync(join(dir, 'out-b', f))), `${f} differs between runs`);
});

test('campaign package --by as with --abuse-csv; one format; bad lines reported and exit 2', { skip: bundleSkip() }, () => {
  const r = run('--hosts', 'hosts.jsonl', '--contacts', 'contacts.json', '--abuse-csv', 'abuse.csv', '--by', 'as', '--format', 'xarf,intelmq', '--out', 'out-as');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /--abuse-csv: 2 AS contacts imported, 0 rows skipped/);
  assert.match(r.stdout, /^as:64500 abuse@isp\.example\.jp: 2 hosts/m);
  assert.match(r.stdout, /^as:64999 abuse@br\.example: 1 hosts/m);
  assert.match(r.stdout, /^unrouted \(no-as-contact AS64501\): 1 hosts$/m);
  assert.deepEqual(listing(join(dir, 'out-as')), ['as-64500.intelmq.jsonl', 'as-64500.xarf.jsonl', 'as-64999.intelmq.jsonl', 'as-64999.xarf.jsonl']);
  const bad = run('--hosts', 'bad-line.jsonl', '--contacts', 'contacts.json', '--out', 'out-bad', '--format', 'intelmq');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad-line\.jsonl: line 2: /);
  assert.ok(existsSync(join(dir, 'out-bad', 'cert-JP.intelmq.jsonl')), 'the good records are still packaged');
});

test('campaign package: bad options are one-line errors with exit 2 and write nothing', { skip: bundleSkip() }, () => {
  const cases: [string[], RegExp][] = [
    [['--hosts', 'hosts.jsonl', '--contacts', 'contacts.json', '--out', 'o1', '--format', 'pdf'], /--format: unknown pdf/],
    [['--hosts', 'hosts.jsonl', '--contacts', 'contacts.json', '--out', 'o2', '--by', 'country'], /--by must be cert or as/],
    [['--hosts', 'missing.jsonl', '--contacts', 'contacts.json', '--out', 'o3'], /missing\.jsonl: no such file/],
    [['--hosts', 'hosts.jsonl', '--contacts', 'hosts.jsonl', '--out', 'o4'], /--contacts .*hosts\.jsonl: not valid JSON/],
    [['--hosts', 'hosts.jsonl', '--contacts', 'contacts.json', '--out', 'o5', '--generated-at', 'yesterday'], /--generated-at must be an ISO 8601 time/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], re);
    assert.ok(!existsSync(join(dir, args[args.indexOf('--out') + 1])), 'nothing written');
  }
});
