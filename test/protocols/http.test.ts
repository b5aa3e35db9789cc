import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync, brotliCompressSync, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { comparable, fakeFlow, needTshark, recordingSink, resegment, tcpStreams } from './helpers.js';
import { createHttpConsumer, parseHttpHead, type ParsedHttpRequest, type ParsedHttpResponse } from '../../src/protocols/http.js';
import { BoundedBody, ChunkedDecoder, decodeContent } from '../../src/protocols/http-body.js';
import { ConsumerVerdict } from '../../src/events/stream.js';
import type { ProtocolMessage } from '../../src/events/detector.js';

type Chunk = { dir: 0 | 1; data: Uint8Array };
const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const cat = (...parts: (string | Uint8Array)[]) => Uint8Array.from(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));

function run(chunks: Chunk[], opts = {}, end = true): { messages: ProtocolMessage[]; malformed: Record<string, number>; verdict: number } {
  const s = recordingSink();
  const c = createHttpConsumer(s.sink, opts);
  const f = fakeFlow(6, 50000, 80);
  let verdict = -1;
  let ts = 1;
  for (const ch of chunks) verdict = c.onData(f, ch.dir, ch.data, ts++);
  if (end) c.onEnd?.(f);
  return { messages: s.messages, malformed: c.malformed.toJSON(), verdict };
}

/** Every split of the stream at one byte boundary, plus byte-by-byte, must give the same messages (timestamps aside). */
function assertSplitInvariant(chunks: Chunk[], opts = {}): void {
  const strip = (m: ProtocolMessage[]) => comparable(m.map((x) => ({ ...x, tsUs: 0 })));
  const whole = strip(run(chunks, opts).messages);
  assert.deepEqual(strip(run(resegment(chunks, 1), opts).messages), whole, 'byte by byte');
  for (let i = 0; i < chunks.length; i++) {
    const d = chunks[i].data;
    for (let cut = 1; cut < d.length; cut++) {
      const split = [...chunks.slice(0, i), { dir: chunks[i].dir, data: d.subarray(0, cut) }, { dir: chunks[i].dir, data: d.subarray(cut) }, ...chunks.slice(i + 1)];
      assert.deepEqual(strip(run(split, opts).messages), whole, `chunk ${i} cut ${cut}`);
    }
  }
}

const req = (m: ProtocolMessage) => m.fields as unknown as ParsedHttpRequest;
const res = (m: ProtocolMessage) => m.fields as unknown as ParsedHttpResponse;

void test('head parser: request, response, folding, bad lines', () => {
  const h = parseHttpHead(enc('GET /a?b=1 HTTP/1.1\r\nHost: x.example\r\nX-Long: a\r\n  b\r\n\r\n'), 0, 47 + 6, 100);
  assert.ok(typeof h !== 'string');
  assert.equal(h.method, 'GET');
  assert.equal(h.uri, '/a?b=1');
  assert.deepEqual(h.headers, [['Host', 'x.example'], ['X-Long', 'a b']]);
  const r = parseHttpHead(enc('HTTP/1.0 404 Not Found\n\n'), 0, 24, 100);
  assert.ok(typeof r !== 'string' && r.status === 404 && r.reason === 'Not Found' && r.version === 'HTTP/1.0');
  assert.equal(parseHttpHead(enc('GET / FTP/1.0\r\n\r\n'), 0, 17, 100), 'bad-request-line');
  assert.equal(parseHttpHead(enc('HTTP/1.1 2000 OK\r\n\r\n'), 0, 20, 100), 'bad-status-line');
  assert.equal(parseHttpHead(enc('GET / HTTP/1.1\r\nnocolon\r\n\r\n'), 0, 27, 100), 'bad-header-line');
});

void test('pipelined keep-alive: Content-Length, chunked, HEAD, 204, 304, 100-continue, matched to requests', () => {
  const json = '{"jsonrpc":"2.0","method":"eth_getWork","params":[],"id":73}';
  const client = cat(
    'GET /one HTTP/1.1\r\nHost: a.example\r\nUser-Agent: t/1\r\n\r\n',
    `POST /rpc HTTP/1.1\r\nHost: a.example\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
    'HEAD /big HTTP/1.1\r\nHost: a.example\r\n\r\n',
    'PUT /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nTrailer: 1\r\n\r\n',
    'DELETE /gone HTTP/1.1\r\n\r\n',
    'GET /cached HTTP/1.1\r\n\r\n',
  );
  const server = cat(
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    'HTTP/1.1 100 Continue\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n9\r\n:[1,2,3]}\r\n0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n',
    'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n',
  );
  const chunks: Chunk[] = [{ dir: 0, data: client }, { dir: 1, data: server }];
  const { messages, malformed } = run(chunks);
  assert.deepEqual(malformed, {});
  const reqs = messages.filter((m) => m.kind === 'request').map(req);
  const resps = messages.filter((m) => m.kind === 'response').map(res);
  assert.deepEqual(reqs.map((r) => `${r.method} ${r.uri}`), ['GET /one', 'POST /rpc', 'HEAD /big', 'PUT /up', 'DELETE /gone', 'GET /cached']);
  assert.equal(reqs[0].host, 'a.example');
  assert.equal(reqs[0].userAgent, 't/1');
  assert.equal(Buffer.from(reqs[1].body).toString(), json);
  assert.equal(Buffer.from(reqs[3].body).toString(), 'abc');
  assert.deepEqual(resps.map((r) => [r.status, r.requestMethod, r.requestUri]), [
    [200, 'GET', '/one'], [100, 'POST', '/rpc'], [200, 'POST', '/rpc'], [200, 'HEAD', '/big'], [201, 'PUT', '/up'], [204, 'DELETE', '/gone'], [304, 'GET', '/cached'],
  ]);
  assert.equal(Buffer.from(resps[0].body).toString(), 'hello');
  assert.equal(Buffer.from(resps[2].body).toString(), '{"a":[1,2,3]}');
  assert.equal(resps[3].body.length, 0);
  assert.equal(resps[6].body.length, 0);
  assertSplitInvariant(chunks);
});

void test('content decoding: gzip, deflate (zlib and raw), br; body limit; until-close body flushed at end', () => {
  const text = 'coinhive.min.js '.repeat(500);
  for (const [name, data] of [['gzip', gzipSync(text)], ['deflate', deflateSync(text)], ['deflate', deflateRawSync(text)], ['br', brotliCompressSync(text)]] as const) {
    const server = cat(`HTTP/1.1 200 OK\r\nContent-Encoding: ${name}\r\nContent-Length: ${data.length}\r\n\r\n`, data);
    const { messages } = run([{ dir: 0, data: enc('GET / HTTP/1.1\r\n\r\n') }, { dir: 1, data: server }]);
    const r = res(messages[1]);
    assert.equal(Buffer.from(r.body).toString(), text, name);
    assert.equal(r.bodyTruncated, false);
    assert.equal(r.contentEncoding, name);
    const small = run([{ dir: 0, data: enc('GET / HTTP/1.1\r\n\r\n') }, { dir: 1, data: server }], { maxBodyBytes: 1000 });
    const sr = res(small.messages[1]);
    assert.ok(sr.body.length <= 1000 && sr.body.length > 0 && sr.bodyTruncated, `${name} limited`);
    assert.equal(Buffer.from(sr.body).toString(), text.slice(0, sr.body.length));
  }
  const close = run([{ dir: 0, data: enc('GET / HTTP/1.0\r\n\r\n') }, { dir: 1, data: enc('HTTP/1.0 200 OK\r\n\r\n<script src="x.js">') }]);
  assert.equal(Buffer.from(res(close.messages[1]).body).toString(), '<script src="x.js">');
  assert.equal(res(close.messages[1]).bodyTruncated, false);
  const cut = run([{ dir: 0, data: enc('GET / HTTP/1.1\r\n\r\n') }, { dir: 1, data: enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc') }]);
  assert.equal(res(cut.messages[1]).bodyTruncated, true);
  assert.equal(Buffer.from(res(cut.messages[1]).body).toString(), 'abc');
});

void test('a 1 GB gzip bomb is cut at the limit quickly', () => {
  const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  const bomb = Buffer.concat(new Array<Buffer>(16).fill(member)); // 16 × 64 MiB = 1 GiB decoded
  const t0 = Date.now();
  const d = decodeContent('gzip', bomb, 1024 * 1024);
  const ms = Date.now() - t0;
  assert.ok(d.truncated);
  assert.ok(d.body.length <= 1024 * 1024 && d.body.length > 900 * 1024, `kept ${d.body.length}`);
  assert.ok(ms < 3000, `took ${ms} ms`);
  const server = cat(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`, bomb);
  const { messages } = run([{ dir: 0, data: enc('GET /bomb HTTP/1.1\r\n\r\n') }, { dir: 1, data: server }]);
  const r = res(messages[1]);
  assert.ok(r.bodyTruncated && r.body.length <= 1024 * 1024 && r.bodyLength === bomb.length);
  const br = decodeContent('br', brotliCompressSync(Buffer.alloc(8 * 1024 * 1024)), 64 * 1024);
  assert.ok(br.truncated && br.body.length <= 64 * 1024);
});

void test('chunked decoder and bounded body reject bad framing', () => {
  const body = new BoundedBody(4);
  const c = new ChunkedDecoder();
  const input = enc('5\r\nhello\r\n0\r\n\r\nNEXT');
  const stop = c.feed(input, 0, input.length, body);
  assert.ok(c.done);
  assert.equal(stop, input.length - 4);
  assert.equal(Buffer.from(body.bytes()).toString(), 'hell');
  assert.ok(body.truncated && body.seen === 5);
  const bad = new ChunkedDecoder();
  bad.feed(enc('zz\r\n'), 0, 4, new BoundedBody(10));
  assert.equal(bad.error, 'chunk-size-not-hex');
  const huge = new ChunkedDecoder();
  huge.feed(enc('fffffffffffffff\r\n'), 0, 17, new BoundedBody(10));
  assert.equal(huge.error, 'chunk-size-too-large');
});

function wsFrame(opcode: number, payload: Uint8Array, mask: number[] | null, rsv1 = false): Uint8Array {
  const len = payload.length;
  const head = [0x80 | (rsv1 ? 0x40 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff);
  const body = Uint8Array.from(payload);
  if (mask) { head.push(...mask); for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3]; }
  return cat(Uint8Array.from(head), body);
}

void test('WebSocket upgrade: 101, masked and compressed frames, preview bound, frame budget, DONE', () => {
  const login = '{"type":"auth","params":{"site_key":"abc","type":"anonymous","user":null,"goal":0}}';
  const job = '{"type":"job","params":{"job_id":"1","blob":"0707","target":"ffffff00"}}';
  const deflated = deflateRawSync(Buffer.from(job), { finishFlush: 2 }).subarray(0, -4); // strip 00 00 ff ff
  const chunks: Chunk[] = [
    { dir: 0, data: enc('GET /proxy HTTP/1.1\r\nHost: ws1.coinhive.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: http://victim.example\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n') },
    { dir: 1, data: cat('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', wsFrame(1, enc('{"type":"authed"}'), null)) },
    { dir: 0, data: wsFrame(1, enc(login), [1, 2, 3, 4]) },
    { dir: 1, data: cat(wsFrame(1, Uint8Array.from(deflated), null, true), wsFrame(2, new Uint8Array(70000), null), wsFrame(1, enc('x'.repeat(5000)), null)) },
  ];
  const { messages } = run(chunks, { maxFramePreview: 4096 });
  assert.deepEqual(messages.map((m) => m.kind), ['request', 'response', 'websocket', 'websocket_frame', 'websocket_frame', 'websocket_frame', 'websocket_frame', 'websocket_frame']);
  assert.equal(req(messages[0]).websocketUpgrade, true);
  assert.equal(res(messages[1]).websocketUpgrade, true);
  assert.deepEqual(messages[2].fields, { uri: '/proxy', host: 'ws1.coinhive.com', origin: 'http://victim.example', userAgent: '', protocol: '', extensions: 'permessage-deflate' });
  const frames = messages.slice(3).map((m) => m.fields as { text: string; opcode: number; length: number; truncated: boolean; masked: boolean });
  assert.equal(frames[0].text, '{"type":"authed"}');
  assert.equal(frames[1].text, login);
  assert.equal(messages[4].dir, 0);
  assert.ok(frames[1].masked);
  assert.equal(frames[2].text, job);
  assert.equal(messages[5].dir, 1);
  assert.ok(frames[3].opcode === 2 && frames[3].length === 70000 && frames[3].text === '');
  assert.ok(frames[4].truncated && frames[4].text.length === 4096 && frames[4].length === 5000);
  assertSplitInvariant(chunks.map((c) => ({ ...c, data: c.data.subarray(0, 600) })));
  // budget: 2 frames per direction, then DONE
  const budget = run([...chunks, { dir: 0, data: wsFrame(1, enc('a'), [9, 9, 9, 9]) }], { maxWebSocketFrames: 2 }, false);
  assert.equal(budget.messages.filter((m) => m.kind === 'websocket_frame').length, 4);
  assert.equal(budget.verdict, ConsumerVerdict.DONE);
});

void test('refused upgrade: the client keeps speaking HTTP', () => {
  const { messages } = run([
    { dir: 0, data: enc('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /next HTTP/1.1\r\n\r\n') },
    { dir: 1, data: enc('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
  ]);
  assert.deepEqual(messages.map((m) => m.kind + ' ' + (m.kind === 'request' ? req(m).uri : res(m).status)), ['request /ws', 'response 400', 'request /next', 'response 200']);
});

void test('non-HTTP and hostile headers stop the direction, counted by reason', () => {
  const a = run([{ dir: 0, data: enc('\x16\x03\x01garbage\r\n\r\n') }]);
  assert.equal(a.malformed['bad-request-line'], 1);
  const big = run([{ dir: 0, data: enc('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(40000)) }]);
  assert.equal(big.malformed['headers-too-large'], 1);
  const many = run([{ dir: 0, data: enc('GET / HTTP/1.1\r\n' + 'A: b\r\n'.repeat(500) + '\r\n') }]);
  assert.equal(req(many.messages[0]).headers.length, 100);
  const cl = run([{ dir: 0, data: enc('POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n') }]);
  assert.equal(cl.malformed['bad-content-length'], 1);
});

void test('fast-check: random and mutated streams never throw; bodies stay within the limit', () => {
  const base = enc('POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n');
  fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom<0 | 1>(0, 1), fc.uint8Array({ maxLength: 300 })), { maxLength: 6 }), (parts) => {
    run(parts.map(([dir, data]) => ({ dir, data })), { maxBodyBytes: 64 });
  }), { numRuns: 1500 });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { maxLength: 6 }), fc.nat(base.length), (muts, cut) => {
    const b = Uint8Array.from(base);
    for (const [i, v] of muts) b[i] = v;
    const { messages } = run([{ dir: 0, data: b.subarray(0, cut) }, { dir: 0, data: b.subarray(cut) }], { maxBodyBytes: 64 });
    for (const m of messages) assert.ok((m.fields as { body?: Uint8Array }).body === undefined || (m.fields as { body: Uint8Array }).body.length <= 64);
  }), { numRuns: 1500 });
});

// ---- real captures ----

function compareWithTshark(file: string, maxStreams: number): { requests: number; responses: number; ms: number; bytes: number } {
  // one tshark pass: payloads per stream plus tshark's HTTP fields on the frames that complete a message
  const fieldRows: string[][] = [];
  const all = tcpStreams(sharedFile(file), 'tcp.len > 0', ['http.request.method', 'http.request.uri', 'http.host', 'http.response.code'], fieldRows);
  const rows = fieldRows.filter((r) => r[1] || r[4]);
  const streams = [...new Set(rows.map((r) => Number(r[0])))].slice(0, maxStreams);
  let requests = 0;
  let responses = 0;
  let bytes = 0;
  let ms = 0;
  for (const n of streams) {
    const expected = rows.filter((r) => Number(r[0]) === n);
    const chunks = all.get(n) ?? [];
    for (const c of chunks) bytes += c.data.length;
    const t0 = performance.now();
    const { messages, malformed } = run(chunks);
    ms += performance.now() - t0;
    const gotReq = messages.filter((m) => m.kind === 'request').map((m) => [req(m).method, req(m).uri, req(m).host]);
    const wantReq = expected.filter((r) => r[1]).map((r) => [r[1], r[2], r[3]]);
    assert.deepEqual(gotReq, wantReq, `${file} stream ${n}`);
    const gotRes = messages.filter((m) => m.kind === 'response').map((m) => String(res(m).status));
    const wantRes = expected.filter((r) => r[4]).map((r) => r[4]);
    assert.deepEqual(gotRes, wantRes, `${file} stream ${n} responses`);
    assert.deepEqual(malformed, {}, `${file} stream ${n}`);
    for (const m of messages.filter((x) => x.kind === 'response')) assert.equal(res(m).bodyTruncated && res(m).bodyLength < 1024 * 1024, false, `${file} stream ${n}: complete bodies`);
    requests += gotReq.length;
    responses += gotRes.length;
  }
  return { requests, responses, ms, bytes };
}

void test('real HTTP streams: method, URI, Host and status agree with tshark for every message', { skip: needSharedData() || needTshark() }, () => {
  let total = 0;
  for (const [file, max] of [['benign/android-alexa-app.pcapng', 19], ['benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap', 5], ['benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap', 5], ['benign/ethereum-jsonrpc-geth-http.pcap', 2]] as const) {
    const r = compareWithTshark(file, max);
    assert.ok(r.requests > 0, `${file}: no requests`);
    total += r.requests + r.responses;
  }
  assert.ok(total >= 50, `compared ${total} messages`);
});

void test('getwork mining over HTTP: every JSON-RPC POST body is available; throughput', { skip: needSharedData() || needTshark() }, () => {
  const file = 'mining/eth-getwork-over-http-80.pcapng';
  const r = compareWithTshark(file, 1);
  assert.equal(r.requests, 82);
  assert.equal(r.responses, 82);
  const chunks = tcpStreams(sharedFile(file)).get(0) as Chunk[];
  const { messages } = run(chunks);
  const methods = messages.filter((m) => m.kind === 'request').map((m) => (JSON.parse(Buffer.from(req(m).body).toString()) as { method: string }).method);
  assert.equal(methods.filter((m) => m === 'eth_getWork').length, 41);
  assert.equal(methods.filter((m) => m === 'eth_submitHashrate').length, 41);
  assert.match(req(messages[0]).uri, /^\/\?miner=30@0x4b99/);
  const bodies = messages.filter((x) => x.kind === 'response').map((m) => Buffer.from(res(m).body).toString());
  assert.ok(bodies.filter((b) => b.startsWith('{')).length > 0 && bodies.every((b) => b.length > 0));
  // throughput on the repeated real stream, delivered as captured
  const rounds = 200;
  let bytes = 0;
  for (const c of chunks) bytes += c.data.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) run(chunks);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`HTTP: ${((bytes * rounds) / 1e6 / sec).toFixed(1)} MB/s, ${Math.round((164 * rounds) / sec)} messages/s on the getwork stream (${bytes} bytes, 164 messages)`);
});

void test('gaps: a hole inside a sized body keeps framing; a hole in headers stops the direction', () => {
  const s = recordingSink();
  const c = createHttpConsumer(s.sink);
  const f = fakeFlow(6, 50000, 80);
  c.onData(f, 0, enc('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'), 1);
  c.onData(f, 1, enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), 2);
  assert.equal(c.onGap?.(f, 1, 4), ConsumerVerdict.CONTINUE);
  c.onData(f, 1, enc('xyz'), 3);
  c.onData(f, 1, enc('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 4);
  const resps = s.messages.filter((m) => m.kind === 'response').map(res);
  assert.deepEqual(resps.map((r) => [r.requestUri, Buffer.from(r.body).toString(), r.bodyTruncated]), [['/a', 'abcxyz', true], ['/b', 'ok', false]]);
  c.onData(f, 0, enc('GET /c HTTP/1.1\r\nHo'), 5);
  c.onGap?.(f, 0, 100);
  assert.equal(c.malformed.get('gap'), 1);
  c.onData(f, 0, enc('st: x\r\n\r\n'), 6);
  assert.equal(s.messages.filter((m) => m.kind === 'request').length, 2);
});

void test('capture started mid-connection: the server is taken for the initiator, messages still parse', () => {
  const s = recordingSink();
  const c = createHttpConsumer(s.sink);
  const f = fakeFlow(6, 80, 50000);
  const resp = enc('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
  assert.ok(c.accepts(f, 0, resp));
  c.onData(f, 0, resp, 1);
  c.onData(f, 1, enc('GET /next HTTP/1.1\r\n\r\n'), 2);
  c.onData(f, 0, resp, 3);
  assert.deepEqual(s.messages.map((m) => [m.kind, m.dir]), [['response', 0], ['request', 1], ['response', 0]]);
  assert.equal(res(s.messages[2]).requestUri, '/next');
  assert.equal(c.malformed.total(), 0);
});

void test('keepResponseBody: skipped bodies are framed and counted but never kept or decoded; the next message on the connection is intact', () => {
  const image = Buffer.alloc(5000, 0xab);
  const gz = gzipSync(Buffer.from('<html><script src="/a.js"></script></html>'));
  const chunked = '5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n';
  const chunks: Chunk[] = [
    { dir: 0, data: enc('GET /a.webp HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c.css HTTP/1.1\r\nHost: x\r\n\r\nPOST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}') },
    { dir: 1, data: cat(`HTTP/1.1 200 OK\r\nContent-Type: image/webp\r\nContent-Length: ${image.length}\r\n\r\n`, image) },
    { dir: 1, data: cat(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`, gz) },
    { dir: 1, data: enc(`HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`) },
    { dir: 1, data: enc('HTTP/1.1 204 No Content\r\n\r\n') },
  ];
  const opts = { keepResponseBody: (ct: string) => ct.startsWith('text/html') };
  const { messages, malformed } = run(chunks, opts);
  const responses = messages.filter((m) => m.kind === 'response').map((m) => m.fields as unknown as ParsedHttpResponse);
  assert.deepEqual(responses.map((r) => [r.requestUri, r.body.length, r.bodyLength, r.bodySkipped ?? false, r.bodyTruncated]), [
    ['/a.webp', 0, 5000, true, false],
    ['/b', 42, gz.length, false, false],
    ['/c.css', 0, 8, true, false], // de-chunked bytes, as for kept bodies
    ['/d', 0, 0, false, false],
  ]);
  assert.equal(Buffer.from(responses[1].body).toString('latin1'), '<html><script src="/a.js"></script></html>');
  const post = messages.find((m) => m.kind === 'request' && (m.fields as unknown as ParsedHttpRequest).method === 'POST')!.fields as unknown as ParsedHttpRequest;
  assert.equal(Buffer.from(post.body).toString(), '{}', 'request bodies are always kept');
  assert.deepEqual(malformed, {});
  // Skipping changes nothing but the skipped bodies, however the stream is cut.
  assertSplitInvariant(chunks, opts);
});

test('websocket reader: inflating is bounded by credit earned from payload bytes, and stops once no more frames are wanted', async () => {
  const { WebSocketReader } = await import('../../src/protocols/http-body.js');
  const zlib = await import('node:zlib');
  // 20,000 corrupt 3-byte compressed frames: at most the initial credit is spent on them.
  let frames = 0;
  const r = new WebSocketReader(4096, () => { frames++; });
  const corrupt = Buffer.concat(Array.from({ length: 20_000 }, () => Buffer.of(0xc1, 0x01, 0xff)));
  r.feed(corrupt, 0, corrupt.length);
  assert.equal(frames, 20_000);
  const attempts = frames - r.inflateSkipped;
  assert.ok(attempts <= 16 + corrupt.length / 512, `inflate attempts ${attempts}`);
  // Real compressed text frames keep being inflated: each earns its credit.
  const texts: string[] = [];
  const ok = new WebSocketReader(4096, (f) => { texts.push(f.text); });
  const pad = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7919) % 251)).toString('base64');
  const body = zlib.deflateRawSync(Buffer.from(`{"method":"login","params":{"pad":"${pad}"}}`), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const payload = body.subarray(0, body.length - 4); // permessage-deflate drops the 00 00 ff ff tail
  const frame = Buffer.concat([Buffer.of(0xc1, 126, payload.length >> 8, payload.length & 255), payload]);
  const many = Buffer.concat(Array.from({ length: 100 }, () => frame));
  ok.feed(many, 0, many.length);
  assert.equal(texts.length, 100);
  assert.ok(texts.every((t) => t.startsWith('{"method":"login"')), 'every frame inflated');
  assert.equal(ok.inflateSkipped, 0);
  // A consumer that wants 3 frames gets 3; the rest is passed over.
  let seen = 0;
  const three = new WebSocketReader(4096, () => ++seen < 3);
  three.feed(many, 0, many.length);
  assert.equal(seen, 3);
  assert.equal(three.done, true);
});
