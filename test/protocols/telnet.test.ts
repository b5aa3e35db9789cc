import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classifyServerOutput, createTelnetConsumer, type TelnetLoginAttemptFields } from '../../src/protocols/telnet.js';
import type { ProtocolMessage } from '../../src/events/detector.js';
import type { DirectionValue } from '../../src/events/flow.js';
import { fakeFlow } from '../detect/fixtures.js';
import { playScript } from './helpers.js';

const b = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const IAC_NEG = Uint8Array.from([255, 253, 24, 255, 253, 32, 255, 251, 1, 255, 250, 24, 1, 255, 240]);

function session(script: [DirectionValue, Uint8Array][]): ProtocolMessage[] {
  const out: ProtocolMessage[] = [];
  const c = createTelnetConsumer((_f, m) => out.push(m));
  playScript(c, fakeFlow({ serverPort: 23 }), script);
  return out;
}

void test('telnet: Mirai-style brute force: two failures, one success, then busybox commands', () => {
  const msgs = session([
    [1, IAC_NEG], [0, Uint8Array.from([255, 252, 24, 255, 252, 32])],
    [1, b('\r\nBusyBox-based camera\r\nlogin: ')], [0, b('root\r\n')], [1, b('Password: ')], [0, b('xc3511\r\n')],
    [1, b('\r\nLogin incorrect\r\nlogin: ')], [0, b('admin\r\0')], [1, b('Password: ')], [0, b('admin\r\n')],
    [1, b('\r\nLogin incorrect\r\ncamera login: ')], [0, b('root\r\n')], [1, b('Password: ')], [0, b('vizxv\r\n')],
    [1, b('\r\n\r\nBusyBox v1.19.4 built-in shell (ash)\r\n# ')], [0, b('enable\r\nsystem\r\nshell\r\nsh\r\n/bin/busybox MIRAI\r\n')],
  ]);
  const attempts = msgs.filter((m) => m.kind === 'login_attempt').map((m) => m.fields as unknown as TelnetLoginAttemptFields);
  assert.deepEqual(attempts, [
    { username: 'root', password: 'xc3511', success: false },
    { username: 'admin', password: 'admin', success: false },
    { username: 'root', password: 'vizxv', success: true },
  ]);
  assert.deepEqual(msgs.flatMap((m) => (m.protocol === 'telnet' && m.kind === 'command' ? [m.fields.line] : [])), ['enable', 'system', 'shell', 'sh', '/bin/busybox MIRAI']);
});

void test('telnet: typed-ahead credentials, backspace editing, and an attempt cut off by the end of the flow', () => {
  const msgs = session([
    [0, b('ad\x7fdmin\r\n')], [1, b('login: ')], [1, b('Password: ')], [0, b('12345\r\n')],
  ]);
  const a = msgs.filter((m) => m.kind === 'login_attempt').map((m) => m.fields as unknown as TelnetLoginAttemptFields);
  assert.deepEqual(a, [{ username: 'admin', password: '12345', success: undefined }]);
});

void test('telnet: prompt classification', () => {
  assert.equal(classifyServerOutput('Ubuntu 22.04\r\nhost login: '), 'login');
  assert.equal(classifyServerOutput('Password: '), 'password');
  assert.equal(classifyServerOutput('\r\nLogin incorrect\r\n'), 'failed');
  assert.equal(classifyServerOutput('\r\nLogin incorrect\r\nhost login: '), 'failed');
  assert.equal(classifyServerOutput('user@host:~$ '), 'shell');
  assert.equal(classifyServerOutput('Loading'), null);
});

void test('telnet: never throws on random bytes; memory bounded', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom<DirectionValue>(0, 1), fc.uint8Array({ maxLength: 400 })), { maxLength: 30 }), (chunks) => {
    const c = createTelnetConsumer(() => {});
    const flow = fakeFlow({ serverPort: 23 });
    for (const [d, data] of chunks) c.onData(flow, d, data, 1);
    const st = flow.userData.get('telnet') as { line: string; tail: string };
    assert.ok(st === undefined || (st.line.length <= 256 && st.tail.length <= 512));
    c.onEnd!(flow);
  }), { numRuns: 300 });
});
