/**
 * The error model (util/errors.ts) and the one config reader (util/config.ts): the exit code
 * comes from the class (2 for every kind the user can fix, 1 for internal), and a config file
 * that is missing, not JSON or fails its schema is a ConfigError with a stable code, the file
 * as subject and one line naming the option, the file and the first problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ConfigError, InputError, InternalError, MinewatchError, OutputError, UnavailableError, UsageError, exitCodeFor, fromFsError, isPipeClosed, PIPE_CLOSED,
} from '../../src/util/errors.js';
import { readJsonConfig } from '../../src/util/config.js';
import { CaptureError } from '../../src/capture/source.js';
import { readSuppressionConfig } from '../../src/detect/suppress-config.js';
import { readListsConfig } from '../../src/rules/lists/config.js';

void test('exit codes come from the class, never from the message', () => {
  const cases: [MinewatchError, number][] = [
    [new UsageError('x'), 2], [new InputError('input.x', 'x'), 2], [new ConfigError('config.x', 'x'), 2],
    [new OutputError('output.x', 'x'), 2], [new UnavailableError('unavailable.x', 'x'), 2], [new InternalError('internal.x', 'x'), 1],
    [new CaptureError('a.pcap', 0, 'not a capture'), 2],
  ];
  for (const [e, code] of cases) assert.equal(exitCodeFor(e), code, `${e.name} (${e.kind})`);
  // the same text in a plain Error is ours: 1
  assert.equal(exitCodeFor(new Error('--darknet: "x" is not a CIDR')), 1);
  assert.equal(exitCodeFor(Object.assign(new Error('nope'), { code: 'ENOENT' })), 2);
  const ce = new CaptureError('a.pcap', 0, 'bad magic');
  assert.ok(ce instanceof InputError && ce.code === 'capture.unusable' && ce.subject === 'a.pcap' && ce.name === 'CaptureError');
});

void test('fs errors become typed input errors naming the file; a closed pipe is recognised', () => {
  const e = fromFsError(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/x/r.rules' }), '--rules');
  assert.ok(e instanceof InputError);
  assert.equal((e as InputError).message, '--rules /x/r.rules: no such file or directory');
  assert.equal((e as InputError).subject, '/x/r.rules');
  assert.ok(isPipeClosed(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
  assert.ok(isPipeClosed(new OutputError(PIPE_CLOSED, 'closed')));
  assert.ok(!isPipeClosed(new OutputError('output.not-writable', 'no')));
});

void test('readJsonConfig: missing, not JSON, first schema problem — one line each', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-config-'));
  try {
    const schema = z.object({ rules: z.array(z.object({ reason: z.string() })) });
    const check = (file: string, code: string, line: RegExp) => {
      assert.throws(() => readJsonConfig(file, schema, '--suppress'), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(e.code, code);
        assert.equal(e.subject, file);
        assert.ok(!e.message.includes('\n'), 'one line');
        assert.match(e.message, line);
        return true;
      });
    };
    check(join(dir, 'missing.json'), 'config.not-found', /^--suppress \S+missing\.json: no such file$/);
    check(dir, 'config.unreadable', /is a directory/);
    writeFileSync(join(dir, 'bad.json'), '{"rules": [1,]}');
    check(join(dir, 'bad.json'), 'config.not-json', /^--suppress \S+bad\.json: not valid JSON \(/);
    writeFileSync(join(dir, 'schema.json'), '{"rules": [{"reason": "ok"}, {"reason": 5}]}');
    check(join(dir, 'schema.json'), 'config.invalid', /^--suppress \S+schema\.json: rules\.1\.reason: /);
    writeFileSync(join(dir, 'top.json'), '[]');
    check(join(dir, 'top.json'), 'config.invalid', /: \(top level\): /);
    writeFileSync(join(dir, 'good.json'), '{"rules": [{"reason": "ok"}]}');
    assert.deepEqual(readJsonConfig(join(dir, 'good.json'), schema), { rules: [{ reason: 'ok' }] });

    // the project's own config readers go through it
    writeFileSync(join(dir, 'host.json'), '{"rules": [{"host": "10.0.0.0/99", "reason": "x"}]}');
    assert.throws(() => readSuppressionConfig(join(dir, 'host.json')), (e: unknown) => e instanceof ConfigError && /^--suppress \S+host\.json: rules\.0\.host: "10\.0\.0\.0\/99" is not an IP address or CIDR$/.test(e.message));
    writeFileSync(join(dir, 'lists.json'), '{"sources": [{"name": "a", "url": "ftp://x", "format": "hosts"}]}');
    assert.throws(() => readListsConfig(join(dir, 'lists.json'), '--lists-config'), (e: unknown) => e instanceof ConfigError && /sources\.0\.url: an http:\/\/ or https:\/\/ URL$/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
