/** Contacts file (through util/config.ts) and the RIPE/APNIC-style abuse-contact CSV import; host JSON-lines reading. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ContactsFile, importAbuseContactsCsv, mergeAsContacts, parseCsv, readContactsFile } from '../../src/campaigns/contacts.js';
import { parseHostLine, parseHostsText, readHostsFile } from '../../src/campaigns/hosts.js';
import { ConfigError, InputError } from '../../src/util/errors.js';
import { CONTACTS_JSON, HOST_INPUT } from './fixtures.js';

test('contacts file: valid file reads; mistakes are ConfigErrors naming the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-contacts-'));
  try {
    const ok = join(dir, 'ok.json');
    writeFileSync(ok, JSON.stringify(CONTACTS_JSON));
    assert.equal(readContactsFile(ok).certs.length, 2);
    const bad = (name: string, value: unknown, re: RegExp): void => {
      const p = join(dir, name);
      writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
      assert.throws(() => readContactsFile(p), (e: unknown) => e instanceof ConfigError && re.test(e.message) && e.message.includes(p), name);
    };
    bad('notjson.json', '{', /not valid JSON/);
    bad('email.json', { ...CONTACTS_JSON, certs: [{ country: 'JP', name: 'x', email: 'nope' }] }, /certs\.0\.email/);
    bad('cc.json', { ...CONTACTS_JSON, certs: [{ country: 'jp', name: 'x', email: 'a@b.example' }] }, /certs\.0\.country/);
    bad('dup.json', { ...CONTACTS_JSON, asAbuse: [...CONTACTS_JSON.asAbuse, { asn: 64500, email: 'x@y.example' }] }, /second abuse contact for AS64500/);
    bad('extra.json', { ...CONTACTS_JSON, cert: [] }, /\(top level\)|cert/);
    assert.throws(() => readContactsFile(join(dir, 'missing.json')), (e: unknown) => e instanceof ConfigError && e.code === 'config.not-found');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('abuse CSV: RIPE-style (aut-num, abuse-mailbox) and APNIC-style (asn, abuse-c with an address) headers; bad rows skipped with reasons', () => {
  const ripe = '\uFEFFaut-num,as-name,org-name,country,abuse-mailbox,source\r\nAS64500,EX-JP,"Example, K.K.",JP,abuse@isp.example.jp,RIPE\r\nAS64502,EX2,Two,de,"noc@two.example; abuse@two.example",RIPE\r\nASX,bad,bad,JP,a@b.example,RIPE\r\nAS64503,no-mail,Three,FR,,RIPE\r\nAS64500,EX-JP,again,JP,other@isp.example.jp,RIPE\r\n';
  const r = importAbuseContactsCsv(ripe);
  assert.deepEqual(r.contacts.map((c) => [c.asn, c.email, c.name, c.country, c.language]), [[64500, 'abuse@isp.example.jp', 'Example, K.K.', 'JP', 'en'], [64502, 'noc@two.example', 'Two', 'DE', 'en']]);
  assert.deepEqual(r.skipped.map((s) => s.line), [4, 5, 6]);
  assert.match(r.skipped[0].reason, /not an AS number/);
  assert.match(r.skipped[1].reason, /no valid abuse address/);
  assert.match(r.skipped[2].reason, /repeated/);
  assert.deepEqual(r.columns, { asn: 'aut-num', email: 'abuse-mailbox', name: 'org-name', country: 'country' });

  const apnic = 'asn,netname,cc,abuse-c,lang\n64501,EXAMPLE-ID,ID,abuse@isp.example.id,id\n64504,X,ID,AA123-AP,en\n';
  const a = importAbuseContactsCsv(apnic, 'en');
  assert.deepEqual(a.contacts.map((c) => [c.asn, c.email, c.language]), [[64501, 'abuse@isp.example.id', 'id']]);
  assert.match(a.skipped[0].reason, /AS64504: no valid abuse address/);

  const noHeader = importAbuseContactsCsv('foo,bar\n1,2\n');
  assert.equal(noHeader.contacts.length, 0);
  assert.match(noHeader.skipped[0].reason, /header needs an AS column/);

  const file = ContactsFile.parse(CONTACTS_JSON);
  const merged = mergeAsContacts(file, r.contacts);
  assert.deepEqual(merged.asAbuse.map((x) => [x.asn, x.email]), [[64500, 'abuse@isp.example.jp'], [64501, 'abuse@isp.example.id'], [64502, 'noc@two.example']]);
  assert.equal(merged.asAbuse[0].name, 'Example JP ISP', 'the file wins over the import');
});

test('CSV parser: quotes, doubled quotes, embedded newlines; never throws on random text', () => {
  assert.deepEqual(parseCsv('a,"b ""x"", y","c\nd"\n1,2,3').map((r) => r.cells), [['a', 'b "x", y', 'c\nd'], ['1', '2', '3']]);
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    parseCsv(s);
    importAbuseContactsCsv(s);
  }), { numRuns: 300 });
});

test('host records: JSON lines with bad lines reported by number, never thrown', async () => {
  const text = [JSON.stringify(HOST_INPUT[0]), 'not json', JSON.stringify({ ...HOST_INPUT[1], country: 'jp' }), '', '# comment', JSON.stringify({ ...HOST_INPUT[2], firstSeen: '2019-06-09T00:00:00Z' }), JSON.stringify(HOST_INPUT[4])].join('\n');
  const r = parseHostsText(text);
  assert.equal(r.hosts.length, 2);
  assert.deepEqual(r.problems.map((p) => p.line), [2, 3, 6]);
  assert.match(r.problems[1].reason, /^country:/);
  assert.match(r.problems[2].reason, /firstSeen is after lastSeen/);
  assert.deepEqual(parseHostLine('x'.repeat(70_000)), { reason: 'line-too-long' });
  const dir = mkdtempSync(join(tmpdir(), 'mw-hosts-'));
  try {
    writeFileSync(join(dir, 'h.jsonl'), text);
    const fromFile = await readHostsFile(join(dir, 'h.jsonl'));
    assert.deepEqual([fromFile.hosts.length, fromFile.problems.map((p) => p.line)], [2, [2, 3, 6]]);
    // a 5 MB line between two good ones: reported by number, the good ones kept, no trailing newline needed
    writeFileSync(join(dir, 'huge.jsonl'), `${JSON.stringify(HOST_INPUT[0])}\r\n{"x":"${'a'.repeat(5_000_000)}"}\n${JSON.stringify(HOST_INPUT[4])}`);
    const huge = await readHostsFile(join(dir, 'huge.jsonl'));
    assert.deepEqual([huge.hosts.length, huge.problems], [2, [{ line: 2, reason: 'line-too-long' }]]);
    await assert.rejects(readHostsFile(join(dir, 'none.jsonl')), (e: unknown) => e instanceof InputError && e.code === 'input.not-found');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    parseHostLine(s);
  }), { numRuns: 300 });
});
