/**
 * The parser → detector contract is checked by the compiler: this file is part of the build
 * (tsconfig includes test/), and every `@ts-expect-error` below marks a mistake the types must
 * refuse. If the union stopped catching one (say `fields` went back to Record<string, unknown>),
 * the directive would be unused and `tsc` — so `npm run build` and `npm test` — fails.
 * The functions also run, so the accesses the types allow are shown to work at run time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorContext, DetectorOf } from '../../src/events/detector.js';
import type { ProtocolMessage } from '../../src/events/messages.js';
import { message } from '../../src/protocols/types.js';
import { defineDetector, defineParser } from '../../src/pipeline/components.js';
import { msg } from '../helpers/messages.js';

/** What a detector reads, written against the union: narrowing on protocol, then kind. */
function describe(m: ProtocolMessage): string {
  if (m.protocol === 'tls' && m.kind === 'client_hello') {
    // @ts-expect-error a ClientHello has no qname (that is a DNS field)
    void m.fields.qname;
    return `sni ${m.fields.sni}`;
  }
  if (m.protocol === 'http') {
    // @ts-expect-error HTTP has no such kind: the comparison cannot be true
    if (m.kind === 'client_hello') return 'never';
    if (m.kind === 'request') return `${m.fields.method} ${m.fields.uri}`;
    if (m.kind === 'response') {
      // @ts-expect-error a response has a status, not a method
      void m.fields.method;
      return `status ${m.fields.status}`;
    }
    // @ts-expect-error before narrowing on kind, only the fields every HTTP kind has are readable
    void m.fields.uri;
    return m.kind;
  }
  if (m.protocol === 'dns') {
    // @ts-expect-error qname is a string
    const n: number = m.fields.qname;
    void n;
    return `${m.kind} ${m.fields.qname}`;
  }
  // @ts-expect-error no parser emits 'quic' messages
  if (m.protocol === 'quic') return 'never';
  return m.protocol;
}

/** A detector of TLS messages gets TLS messages only, typed. */
const tlsOnly: DetectorOf<'tls'> = {
  id: 'test-tls',
  protocols: ['tls'],
  onMessage(m, _flow, ctx: DetectorContext) {
    // @ts-expect-error a TLS detector is never handed HTTP messages
    if (m.protocol === 'http') return;
    if (m.kind === 'certificate') ctx.emitEvent({ cn: m.fields.subjectCn });
  },
};

// @ts-expect-error a detector of TLS messages that lists another protocol does not compile
const wrongList: DetectorOf<'tls'> = { id: 'x', protocols: ['dns'] };
void wrongList;

test('the contract: what the types allow works on real message values, and parsers build messages through it', () => {
  assert.equal(describe(msg('tls', 'client_hello', { sni: 'pool.example' })), 'sni pool.example');
  assert.equal(describe(msg('http', 'request', { method: 'POST', uri: '/x' })), 'POST /x');
  assert.equal(describe(msg('http', 'response', { status: 404 })), 'status 404');
  assert.equal(describe(msg('dns', 'query', { qname: 'a.example' })), 'query a.example');
  const events: Record<string, unknown>[] = [];
  tlsOnly.onMessage!(msg('tls', 'certificate', { subjectCn: 'c' }), null as never, { emit() {}, emitEvent: (e) => events.push(e) });
  assert.deepEqual(events, [{ cn: 'c' }]);
  // message() takes exactly the fields of its protocol and kind
  const ok = message('telnet', 'command', 0, 1, { line: 'sh' });
  assert.equal(ok.protocol, 'telnet');
  // @ts-expect-error a parser emitting a field the contract does not declare does not compile
  message('telnet', 'command', 0, 1, { line: 'sh', extra: 1 });
  // @ts-expect-error nor one that leaves a declared field out
  message('redis', 'reply', 0, 1, { ok: true });
  // @ts-expect-error nor a kind its protocol does not have
  message('ftp', 'command', 0, 1, { line: 'x' });
});

// The registry (pipeline/components.ts) holds each detector to the protocols its entry lists.
export const registryMistakes = [
  // @ts-expect-error pool-tls reads TLS messages: an entry saying it reads DNS does not compile
  defineDetector({ id: 'pool-tls', protocols: ['dns'], create: (m, s) => m.detect.createPoolTlsDetector({ intel: s.intel }) }),
  // @ts-expect-error nor one that leaves out a protocol it reads (stratum also reads HTTP requests)
  defineDetector({ id: 'stratum', protocols: ['stratum'], create: (m, s) => m.detect.createStratumDetector({ intel: s.intel, dnsCache: s.dnsCache, hostPairs: s.hostPairs }) }),
  // @ts-expect-error a parser's id is a protocol of the contract
  defineParser('quic', (m, sink) => m.protocols.createDnsConsumer(sink)),
];
