/**
 * Every message the parsers emit matches its declared shape (events/messages.ts) at run time:
 * the registry's parsers, wired by the pipeline as in `minewatch analyze`, over the demo
 * sample and every shared capture, each message checked against the contract's schema
 * (exact fields, types, kinds). The parser unit tests check theirs too (their recording sink
 * asserts the same, test/protocols/helpers.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../src/capture/open.js';
import type { ProtocolMessage } from '../../src/events/messages.js';
import { analyzerFactory, createParsers, loadComponentModules } from '../../src/pipeline/analyzers.js';
import { PARSER_IDS } from '../../src/pipeline/components.js';
import { PacketPipeline } from '../../src/pipeline/packet-pipeline.js';
import { generate } from '../../src/synth/index.js';
import { HAVE_SHARED_DATA, SHARED_DATA } from '../helpers/shared-data.js';
import { contractProblem, msg } from '../helpers/messages.js';

let dir = '';
before(() => { dir = mkdtempSync(join(tmpdir(), 'mw-contract-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the full analyzer set over `files`; returns the messages by protocol.kind and the problems found. */
async function checkCaptures(files: string[]): Promise<{ seen: Map<string, number>; problems: string[] }> {
  const factory = await analyzerFactory({ detect: true });
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const file of files) {
    const pipeline = new PacketPipeline({
      sink: () => {},
      analyzers: (onMessage, ctx) => factory((flow, m) => {
        const key = `${m.protocol}.${m.protocol === 'stratum' ? '*' : m.kind}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        const p = contractProblem(m);
        if (p && problems.length < 20) problems.push(`${file}: ${p}`);
        onMessage(flow, m);
      }, ctx),
    });
    const source = await openCapture([file]);
    for await (const batch of source.batches()) pipeline.processBatch(batch);
    await source.close();
    pipeline.finish();
  }
  return { seen, problems };
}

test('every message the parsers emit on the demo sample and the shared captures has the shape the contract declares', async () => {
  const sample = join(dir, 'sample.pcap');
  await generate('sample', { seed: 1 }, sample);
  const files = [sample];
  if (HAVE_SHARED_DATA) {
    for (const sub of ['benign', 'mining', 'browser-miner', 'iot-malware']) {
      for (const f of readdirSync(join(SHARED_DATA, sub))) if (/\.pcap(ng)?$/.test(f)) files.push(join(SHARED_DATA, sub, f));
    }
  } else console.error('\n*** shared data absent: the contract is checked on the demo sample only ***\n');
  const { seen, problems } = await checkCaptures(files);
  assert.deepEqual(problems, []);
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  console.log(`${files.length} captures, ${total} messages: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
  // the sample alone has these; the shared captures add DHCP, mDNS and SSDP
  for (const k of ['dns.query', 'dns.response', 'tls.client_hello', 'tls.server_hello', 'http.request', 'http.response', 'stratum.*', 'telnet.login_attempt', 'redis.command']) {
    assert.ok((seen.get(k) ?? 0) > 0, `${k} messages were checked`);
  }
  if (HAVE_SHARED_DATA) for (const k of ['dhcp.request', 'mdns.query', 'mdns.response', 'ssdp.m-search', 'tls.certificate', 'tls.handshake_done']) assert.ok((seen.get(k) ?? 0) > 0, `${k} messages were checked`);
});

test('FTP, the one parser without a capture here: a scripted session emits contract messages', async () => {
  const m = await loadComponentModules();
  const out: ProtocolMessage[] = [];
  const [ftp] = createParsers(m, (_f, x) => out.push(x), { parserOn: (id) => id === 'ftp' });
  const flow = { id: 1, proto: 6, ipVersion: 4, vlan: 0, clientIp: '192.168.1.2', serverIp: '192.168.1.3', clientPort: 40000, serverPort: 21, client4: 0, server4: 0,
    clientMac: '', serverMac: '', firstTsUs: 0, lastTsUs: 0, pktsToServer: 0, pktsToClient: 0, bytesToServer: 0, bytesToClient: 0, handshakeSeen: true,
    synSeen: true, finSeen: false, rstSeen: false, state: 'established' as const, tcpFlagsToServer: 0, tcpFlagsToClient: 0, lastDir: 0 as const, userData: new Map<string, unknown>() };
  const b = (s: string) => new Uint8Array(Buffer.from(s));
  assert.ok(ftp.accepts(flow, 1, b('220 ready\r\n')));
  ftp.onData(flow, 1, b('220 ready\r\n'), 1);
  ftp.onData(flow, 0, b('USER admin\r\n'), 2);
  ftp.onData(flow, 1, b('331 password\r\n'), 3);
  ftp.onData(flow, 0, b('PASS admin\r\n'), 4);
  ftp.onData(flow, 1, b('530 no\r\n'), 5);
  ftp.onEnd?.(flow);
  assert.equal(out.length, 1, 'one login attempt');
  for (const x of out) assert.equal(contractProblem(x), null);
  const [attempt] = out;
  assert.ok(attempt.protocol === 'ftp' && attempt.kind === 'login_attempt');
  assert.deepEqual(attempt.fields, { username: 'admin', password: 'admin', success: false });
});

test('the check can fail: a missing, extra or mistyped field, an unknown kind, a Stratum kind that is not its method', () => {
  const good = msg('http', 'request', { method: 'GET' });
  assert.equal(contractProblem(good), null);
  const { method: _drop, ...missing } = good.fields as Record<string, unknown>;
  assert.match(contractProblem({ ...good, fields: missing }) ?? '', /method/);
  assert.match(contractProblem({ ...good, fields: { ...good.fields, extra: 1 } }) ?? '', /extra/);
  assert.match(contractProblem({ ...good, fields: { ...good.fields, body: 'text' } }) ?? '', /body/);
  assert.match(contractProblem({ ...good, kind: 'requests' }) ?? '', /no such message/);
  assert.match(contractProblem({ ...msg('stratum', 'login', { method: 'login' }), kind: 'submit' }) ?? '', /kind of a Stratum message/);
  assert.equal(contractProblem(msg('dhcp', 'type_99')), null);
  assert.match(contractProblem({ ...msg('dhcp', 'discover'), kind: 'hello' }) ?? '', /no such message/);
  assert.equal(PARSER_IDS.length, 12);
});
