import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFtpConsumer } from '../../src/protocols/ftp.js';
import type { LoginAttemptFields } from '../../src/protocols/types.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import type { DirectionValue } from '../../src/events/flow.js';
import { fakeFlow } from '../detect/fixtures.js';
import { playScript } from './helpers.js';

const b = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

function session(script: [DirectionValue, Uint8Array][]): { attempts: LoginAttemptFields[]; malformed: Record<string, number> } {
  const out: ProtocolMessage[] = [];
  const c = createFtpConsumer((_f, m) => out.push(m));
  playScript(c, fakeFlow({ serverPort: 21 }), script);
  assert.ok(out.every((m) => m.protocol === 'ftp' && m.kind === 'login_attempt' && m.dir === 0));
  return { attempts: out.map((m) => m.fields as unknown as LoginAttemptFields), malformed: c.malformed.toJSON() };
}

const GUESSING: [DirectionValue, Uint8Array][] = [
  [1, b('220 (vsFTPd 3.0.3)\r\n')],
  [0, b('USER admin\r\n')], [1, b('331 Please specify the password.\r\n')], [0, b('PASS admin\r\n')], [1, b('530 Login incorrect.\r\n')],
  // pipelined: both commands in one segment
  [0, b('USER root\r\nPASS 123456\r\n')], [1, b('331 Please specify the password.\r\n530 Login incorrect.\r\n')],
  [0, b('USER ftp\r\n')], [1, b('331 Please specify the password.\r\n')], [0, b('PASS ftp\r\n')],
  // a multi-line welcome: only its last line ends the reply
  [1, b('230-Welcome\r\n230-to the archive\r\n230 Login successful.\r\n')],
  [0, b('USER late\r\nPASS unanswered\r\n')],
];

void test('ftp: failed and successful logins, pipelined commands, a multi-line reply, an attempt the flow ended on', () => {
  const { attempts, malformed } = session(GUESSING);
  assert.deepEqual(attempts, [
    { username: 'admin', password: 'admin', success: false },
    { username: 'root', password: '123456', success: false },
    { username: 'ftp', password: 'ftp', success: true },
    { username: 'late', password: 'unanswered', success: undefined },
  ]);
  assert.deepEqual(malformed, {});
});

void test('ftp: the same attempts however the stream is cut into segments', () => {
  const whole = session(GUESSING).attempts;
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 64 }), (sizes) => {
    const cut: [DirectionValue, Uint8Array][] = [];
    let k = 0;
    for (const [dir, data] of GUESSING) {
      for (let p = 0; p < data.length;) {
        const n = sizes[k++ % sizes.length];
        cut.push([dir, data.subarray(p, p + n)]);
        p += n;
      }
    }
    assert.deepEqual(session(cut).attempts, whole);
  }), { numRuns: 200 });
});

void test('ftp: a command before the reply leaves that attempt undecided; overlong lines and bad replies are counted, not parsed', () => {
  const { attempts, malformed } = session([
    [0, b('USER a\r\nPASS one\r\nUSER b\r\n')],
    [1, b('530 Login incorrect.\r\n')],
    [0, b('PASS two\r\n')],
    [1, b(`${'9'.repeat(2000)}\r\nxyz nonsense\r\n230 ok\r\n`)],
    [0, b(`USER ${'x'.repeat(5000)}\r\nPASS three\r\n`)],
    [1, b('530 no\r\n')],
  ]);
  assert.deepEqual(attempts, [
    { username: 'a', password: 'one', success: undefined },
    { username: 'b', password: 'two', success: true },
    // the overlong USER line was dropped: the PASS belongs to the last user name seen
    { username: 'b', password: 'three', success: false },
  ]);
  assert.deepEqual(malformed, { 'line-too-long': 2, 'bad-reply': 1 });
});

void test('ftp: only TCP to the FTP port; random bytes never throw', () => {
  const c = createFtpConsumer(() => {});
  assert.equal(c.accepts(fakeFlow({ serverPort: 2121 }), 0, b('USER x\r\n')), false);
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom<DirectionValue>(0, 1), fc.uint8Array({ maxLength: 300 })), { maxLength: 30 }), (script) => {
    const flow = fakeFlow({ serverPort: 21 });
    for (const [dir, data] of script) c.onData(flow, dir, data, 1);
    c.onEnd!(flow);
  }), { numRuns: 300 });
});
