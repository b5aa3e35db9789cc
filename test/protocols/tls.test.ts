import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { comparable, fakeFlow, hexBytes, needTshark, recordingSink, resegment, tcpStreams, tsharkFields } from './helpers.js';
import { createTlsConsumer, parseCertificate, parseClientHello, parseServerHello, ByteQueue, type ParsedClientHello } from '../../src/protocols/tls.js';
import { isGrease, ja3, ja4, ja4Alpn } from '../../src/protocols/tls-fingerprint.js';
import { ConsumerVerdict } from '../../src/events/stream.js';
import type { TlsCertificateFields } from '../../src/protocols/types.js';

const TLS_CAPTURES = [
  'benign/android-alexa-app.pcapng',
  'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap',
  'benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap',
  'browser-miner/authedmine-browser-tls-websocket.pcap',
  'browser-miner/coinhive-stratum-proxy-supportxmr.pcap',
];

// ---- JA4 spec vectors (FoxIO technical_details/JA4.md) ----
const SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SPEC_EXTS = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
const SPEC_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

void test('JA4 matches the FoxIO spec example, with GREASE ignored', () => {
  const h2 = Uint8Array.from([0x68, 0x32]);
  const base = { version: 0x0303, supportedVersions: [0x0a0a, 0x0304, 0x0303], hasSni: true, alpnFirst: h2 };
  const r = ja4({ ...base, ciphers: [0x0a0a, ...SPEC_CIPHERS], extensions: [0x1a1a, ...SPEC_EXTS, 0xfafa], signatureAlgorithms: SPEC_SIGS });
  assert.equal(r.fingerprint, 't13d1516h2_8daaf6152771_e5627efa2ab1');
  assert.equal(r.raw, 't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
  // no signature algorithms: no trailing underscore
  assert.equal(ja4({ ...base, ciphers: SPEC_CIPHERS, extensions: SPEC_EXTS, signatureAlgorithms: [] }).fingerprint.split('_')[2], '6d807ffa2a79');
  // no ciphers / no extensions (besides SNI+ALPN): zero hashes; no SNI: 'i'; no supported_versions: legacy version
  assert.equal(ja4({ version: 0x0301, supportedVersions: [], hasSni: false, alpnFirst: null, ciphers: [], extensions: [0, 0x10], signatureAlgorithms: [] }).fingerprint, 't10i000200_000000000000_000000000000');
});

void test('JA4 ALPN characters follow the non-alphanumeric hex rule', () => {
  assert.equal(ja4Alpn(Uint8Array.from(Buffer.from('http/1.1'))), 'h1');
  assert.equal(ja4Alpn(Uint8Array.from([0xab])), 'ab');
  assert.equal(ja4Alpn(Uint8Array.from([0xab, 0xcd])), 'ad');
  assert.equal(ja4Alpn(Uint8Array.from([0x30, 0xab])), '3b');
  assert.equal(ja4Alpn(Uint8Array.from([0x30, 0x31, 0xab, 0xcd])), '3d');
  assert.equal(ja4Alpn(Uint8Array.from([0x30, 0xab, 0xcd, 0x31])), '01');
  assert.equal(ja4Alpn(Uint8Array.from([0x71])), 'qq');
  assert.equal(ja4Alpn(new Uint8Array(0)), '00');
  assert.equal(ja4Alpn(null), '00');
});

void test('JA3 drops GREASE and hashes with md5', () => {
  const r = ja3({ version: 771, ciphers: [0x2a2a, 4865, 4866], extensions: [0, 0xeaea, 23], groups: [0x4a4a, 29, 23], ecPointFormats: [0] });
  assert.equal(r.text, '771,4865-4866,0-23,29-23,0');
  assert.equal(r.hash, createHash('md5').update(r.text).digest('hex'));
  assert.ok(isGrease(0x0a0a) && isGrease(0xfafa) && !isGrease(0x0a0b) && !isGrease(0x1301));
});

// ---- hand-built hellos ----

function u16(v: number): number[] {
  return [v >> 8, v & 0xff];
}
function ext(type: number, body: number[]): number[] {
  return [...u16(type), ...u16(body.length), ...body];
}
function handshake(type: number, body: number[]): number[] {
  return [type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body];
}
function record(type: number, body: number[]): number[] {
  return [type, 3, 1, ...u16(body.length), ...body];
}
function clientHelloBody(sni: string): number[] {
  const name = [...Buffer.from(sni)];
  const exts = [
    ...ext(0x0a0a, []),
    ...ext(0, [...u16(name.length + 3), 0, ...u16(name.length), ...name]),
    ...ext(0x0010, [...u16(12), 2, 0x68, 0x32, 8, ...Buffer.from('http/1.1')]),
    ...ext(0x002b, [4, ...u16(0x0304), ...u16(0x0303)]),
    ...ext(0x000a, [...u16(4), ...u16(29), ...u16(23)]),
    ...ext(0x000b, [1, 0]),
    ...ext(0x000d, [...u16(4), ...u16(0x0403), ...u16(0x0804)]),
  ];
  return [...u16(0x0303), ...new Array<number>(32).fill(7), 0, ...u16(6), ...u16(0x1a1a), ...u16(0x1301), ...u16(0xc02b), 1, 0, ...u16(exts.length), ...exts];
}

void test('ClientHello fields from a hand-built hello', () => {
  const body = Uint8Array.from(clientHelloBody('pool.example.org'));
  const r = parseClientHello(body);
  assert.ok(r.ok);
  const h = r.value;
  assert.equal(h.sni, 'pool.example.org');
  assert.deepEqual(h.alpn, ['h2', 'http/1.1']);
  assert.equal(h.version, 0x0303);
  assert.deepEqual(h.supportedVersions, [0x0304, 0x0303]);
  assert.deepEqual(h.ciphers, [0x1a1a, 0x1301, 0xc02b]);
  assert.deepEqual(h.extensions, [0x0a0a, 0, 16, 43, 10, 11, 13]);
  assert.deepEqual(h.groups, [29, 23]);
  assert.deepEqual(h.ecPointFormats, [0]);
  assert.deepEqual(h.signatureAlgorithms, [0x0403, 0x0804]);
  assert.equal(h.ja3, '771,4865-49195,0-16-43-10-11-13,29-23,0');
  assert.match(h.ja4, /^t13d0206h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  // every truncation is malformed, never a throw
  for (let n = 0; n < body.length; n++) {
    const t = parseClientHello(body, 0, n);
    if (!t.ok) assert.match(t.reason, /^client-hello-/);
  }
});

void test('consumer: ClientHello split at every byte boundary gives the same message; DONE after both sides', () => {
  const hello = record(22, handshake(1, clientHelloBody('split.example')));
  const sh = handshake(2, [...u16(0x0303), ...new Array<number>(32).fill(1), 0, ...u16(0x1301), 0, ...u16(6), ...ext(0x002b, u16(0x0304))]);
  const server = [...record(22, sh), ...record(20, [1]), ...record(23, [1, 2, 3])];
  const whole = recordingSink();
  const c = createTlsConsumer(whole.sink);
  const f = fakeFlow(6, 40000, 443);
  assert.ok(c.accepts(f, 0, Uint8Array.from(hello)));
  assert.equal(c.onData(f, 0, Uint8Array.from(hello), 1), ConsumerVerdict.CONTINUE);
  assert.equal(c.onData(f, 1, Uint8Array.from(server), 2), ConsumerVerdict.DONE);
  // TLS 1.3: the ServerHello ends the readable handshake
  assert.deepEqual(whole.messages.map((m) => [m.kind, m.dir]), [['client_hello', 0], ['server_hello', 1], ['handshake_done', 1]]);
  assert.equal((whole.messages[1].fields as { ja3s: string }).ja3s, '771,4865,43');
  for (let cut = 1; cut < hello.length; cut++) {
    const s = recordingSink();
    const cc = createTlsConsumer(s.sink);
    const ff = fakeFlow(6, 40000, 443);
    cc.onData(ff, 0, Uint8Array.from(hello.slice(0, cut)), 1);
    cc.onData(ff, 0, Uint8Array.from(hello.slice(cut)), 1);
    assert.deepEqual(comparable(s.messages), comparable(whole.messages.slice(0, 1)), `cut at ${cut}`);
  }
  const bytewise = recordingSink();
  const cb = createTlsConsumer(bytewise.sink);
  const fb = fakeFlow(6, 40000, 443);
  for (const b of hello) cb.onData(fb, 0, Uint8Array.of(b), 1);
  let last = -1;
  for (const b of server) last = cb.onData(fb, 1, Uint8Array.of(b), 2);
  assert.equal(last, ConsumerVerdict.DONE);
  assert.deepEqual(comparable(bytewise.messages), comparable(whole.messages));
});

void test('ByteQueue never exceeds its capacity', () => {
  const q = new ByteQueue(10, 4);
  assert.ok(q.push(Uint8Array.of(1, 2, 3)));
  assert.ok(q.push(Uint8Array.of(4, 5, 6, 7, 8)));
  q.consume(6);
  assert.ok(q.push(Uint8Array.of(9, 10, 11, 12, 13, 14, 15)));
  assert.deepEqual([...q.view()], [7, 8, 9, 10, 11, 12, 13, 14, 15]);
  assert.equal(q.push(Uint8Array.of(1, 2)), false);
  assert.equal(q.length, 9);
});

// ---- reference model for JA4 from tshark's own dissection (tshark 4.0 has no JA4 field) ----

function referenceJa4(row: { version: string; ciphers: string; exts: string; sigs: string; versions: string; alpn: string; sni: string }): string {
  const num = (s: string, radix: number) => (s ? s.split(',').map((x) => parseInt(x.replace(/^0x/, ''), radix)) : []);
  const grease = (v: number) => (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
  const hex = (v: number) => v.toString(16).padStart(4, '0');
  const ciphers = num(row.ciphers, 16).filter((v) => !grease(v));
  const exts = num(row.exts, 10).filter((v) => !grease(v));
  const sigs = num(row.sigs, 16).filter((v) => !grease(v));
  const sv = num(row.versions, 16).filter((v) => !grease(v));
  const version = sv.length ? Math.max(...sv) : parseInt(row.version, 16);
  const vtext: Record<number, string> = { 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3' };
  const alpn = row.alpn.split(',')[0];
  const alpnText = alpn ? alpn[0] + alpn[alpn.length - 1] : '00';
  const dd = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
  const a = `t${vtext[version] ?? '00'}${exts.includes(0) ? 'd' : 'i'}${dd(ciphers.length)}${dd(exts.length)}${alpnText}`;
  const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
  const b = ciphers.sort((x, y) => x - y).map(hex).join(',');
  const e = exts.filter((v) => v !== 0 && v !== 16).sort((x, y) => x - y).map(hex).join(',');
  const c = sigs.length ? `${e}_${sigs.map(hex).join(',')}` : e;
  return `${a}_${b ? sha(b) : '000000000000'}_${e ? sha(c) : '000000000000'}`;
}

// One tshark pass per capture, shared by the tests below (tshark runs dominate their time).
const FIELDS = [
  'tls.handshake.type', 'tcp.stream', 'tcp.payload', 'tls.handshake.extensions_server_name', 'tls.handshake.ja3', 'tls.handshake.ja3_full',
  'tls.handshake.version', 'tls.handshake.ciphersuite', 'tls.handshake.extension.type', 'tls.handshake.sig_hash_alg',
  'tls.handshake.extensions.supported_version', 'tls.handshake.extensions_alpn_str', 'tls.handshake.ja3s_full', 'tls.handshake.ja3s',
  'tls.handshake.certificate', 'x509ce.dNSName',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;
const extracted = new Map<string, Row[]>();
function tlsRows(file: string): Row[] {
  let rows = extracted.get(file);
  if (!rows) {
    rows = tsharkFields(sharedFile(file), 'tls.handshake.type == 1 || tls.handshake.type == 2 || tls.handshake.type == 11', [...FIELDS]).map((r) => {
      const row = {} as Row;
      FIELDS.forEach((f, i) => { row[f] = r[i] ?? ''; });
      return row;
    });
    extracted.set(file, rows);
  }
  return rows;
}
const types = (r: Row) => r['tls.handshake.type'].split(',');

void test('every ClientHello in the shared captures: SNI, JA3 hash and JA4 agree with tshark', { skip: needSharedData() || needTshark() }, () => {
  let total = 0;
  for (const file of TLS_CAPTURES) {
    const rows = tlsRows(file).filter((r) => types(r).every((t) => t === '1'));
    assert.ok(rows.length > 0, `${file}: tshark found no ClientHello`);
    for (const row of rows) {
      const s = recordingSink();
      const c = createTlsConsumer(s.sink);
      c.onData(fakeFlow(6, 50000, 443), 0, hexBytes(row['tcp.payload']), 0);
      assert.equal(s.messages.length, 1, `${file}: one client_hello from ${row['tcp.payload'].slice(0, 40)}`);
      const h = s.messages[0].fields as unknown as ParsedClientHello;
      const sni = row['tls.handshake.extensions_server_name'];
      assert.equal(h.sni, sni, file);
      assert.equal(h.ja3, row['tls.handshake.ja3_full'], file);
      assert.equal(h.ja3Hash, row['tls.handshake.ja3'], file);
      // signature_algorithms_cert (50) would mix into tshark's sig_hash_alg column
      if (!h.extensions.includes(50)) {
        const expected = referenceJa4({
          version: row['tls.handshake.version'], ciphers: row['tls.handshake.ciphersuite'], exts: row['tls.handshake.extension.type'],
          sigs: row['tls.handshake.sig_hash_alg'], versions: row['tls.handshake.extensions.supported_version'], alpn: row['tls.handshake.extensions_alpn_str'], sni,
        });
        assert.equal(h.ja4, expected, `${file} ${sni}`);
      }
      total++;
    }
  }
  assert.ok(total >= 100, `compared ${total} ClientHellos`);
});

void test('every ServerHello: JA3S agrees with tshark; first certificate CN/SANs agree with openssl and tshark', { skip: needSharedData() || needTshark() }, () => {
  let hellos = 0;
  let certs = 0;
  let opensslChecked = 0;
  for (const file of TLS_CAPTURES) {
    for (const row of tlsRows(file).filter((r) => types(r).includes('2'))) {
      const body = hexBytes(row['tcp.payload']);
      // frames whose payload starts with the ServerHello record (not a continuation segment)
      if (body[0] !== 22 || body[5] !== 2) continue;
      const r = parseServerHello(body, 9, 9 + ((body[6] << 16) | (body[7] << 8) | body[8]));
      assert.ok(r.ok, file);
      assert.equal(r.value.ja3s, row['tls.handshake.ja3s_full'], file);
      assert.equal(r.value.ja3sHash, row['tls.handshake.ja3s'], file);
      hellos++;
    }
    const seen = new Set<string>();
    for (const row of tlsRows(file).filter((r) => types(r).includes('11') && r['tls.handshake.certificate'])) {
      const first = row['tls.handshake.certificate'].split(',')[0];
      if (seen.has(first)) continue;
      seen.add(first);
      const der = hexBytes(first);
      const r = parseCertificate(der);
      assert.ok(r.ok, file);
      const cert: TlsCertificateFields = r.value;
      const dnsNames = row['x509ce.dNSName'];
      const all = dnsNames ? dnsNames.split(',') : [];
      assert.deepEqual(cert.sans, all.slice(0, cert.sans.length), file);
      if (all.length > 0) assert.ok(cert.sans.length > 0, `${file}: SANs found`);
      // openssl as the reference for names; a few per capture keep process spawns (slow on a loaded machine) bounded
      if (seen.size <= 4) {
        const subject = execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-subject', '-issuer', '-nameopt', 'sep_multiline,utf8,-esc_msb'], { input: der, encoding: 'utf8' });
        const [subj, iss] = subject.split(/^issuer=/m);
        const cn = (block: string) => /^\s+CN=(.*)$/m.exec(block)?.[1] ?? '';
        assert.equal(cert.subjectCn, cn(subj), file);
        assert.equal(cert.issuerCn, cn(iss ?? ''), file);
        opensslChecked++;
      }
      certs++;
    }
  }
  console.log(`compared ${hellos} ServerHellos, ${certs} distinct certificates (${opensslChecked} names checked with openssl)`);
  assert.ok(hellos >= 40 && certs >= 20 && opensslChecked >= 10, `compared ${hellos} ServerHellos and ${certs} certificates`);
});

void test('consumer on whole real TCP streams, delivered whole and in 1-byte and 7-byte pieces', { skip: needSharedData() || needTshark() }, () => {
  const file = 'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap';
  const streams = [...new Set(tlsRows(file).filter((r) => types(r).includes('11')).map((r) => Number(r['tcp.stream'])))].slice(0, 3);
  assert.ok(streams.length > 0);
  const all = tcpStreams(sharedFile(file), `tcp.len > 0 && tcp.stream in {${streams.join(',')}}`);
  for (const n of streams) {
    const chunks = all.get(n) ?? [];
    const run = (pieces: typeof chunks) => {
      const s = recordingSink();
      const c = createTlsConsumer(s.sink);
      const f = fakeFlow(6, 50000, 443);
      let verdict = -1;
      for (const p of pieces) {
        verdict = c.onData(f, p.dir, p.data, 0);
        if (verdict === ConsumerVerdict.DONE) break;
      }
      return { messages: s.messages, verdict, malformed: c.malformed.total() };
    };
    const whole = run(chunks);
    assert.deepEqual(whole.messages.map((m) => m.kind), ['client_hello', 'server_hello', 'certificate', 'handshake_done'], `stream ${n}`);
    assert.equal(whole.verdict, ConsumerVerdict.DONE);
    assert.equal(whole.malformed, 0);
    for (const size of [1, 7]) assert.deepEqual(comparable(run(resegment(chunks, size)).messages), comparable(whole.messages), `stream ${n} size ${size}`);
  }
});

void test('fast-check: random bytes and mutated hellos never throw, results stay bounded', () => {
  const hello = record(22, handshake(1, clientHelloBody('fuzz.example')));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    parseClientHello(bytes);
    parseServerHello(bytes);
    parseCertificate(bytes);
    const c = createTlsConsumer(() => {});
    c.onData(fakeFlow(6, 1, 443), 0, bytes, 0);
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(hello.length - 1), fc.nat(255)), { maxLength: 8 }), fc.nat(40), (muts, cut) => {
    const b = Uint8Array.from(hello);
    for (const [i, v] of muts) b[i] = v;
    const msgs: unknown[] = [];
    const c = createTlsConsumer((_f, m) => { msgs.push(m); });
    const f = fakeFlow(6, 1, 443);
    c.onData(f, 0, b.subarray(0, cut), 0);
    c.onData(f, 0, b.subarray(cut), 0);
    assert.ok(msgs.length <= 1);
    for (const m of msgs as { fields: { sni: string; alpn: string[] } }[]) {
      assert.ok(m.fields.sni.length <= 255 && m.fields.alpn.length <= 16);
    }
  }), { numRuns: 3000 });
});

void test('throughput: ClientHello parsing on repeated real hellos', { skip: needSharedData() || needTshark() }, () => {
  const payloads = tlsRows('benign/android-alexa-app.pcapng').filter((r) => types(r).every((t) => t === '1')).map((r) => hexBytes(r['tcp.payload']));
  let bytes = 0;
  let n = 0;
  const c = createTlsConsumer(() => { n++; });
  const t0 = process.hrtime.bigint();
  for (let round = 0; round < 100; round++) {
    for (const p of payloads) {
      c.onData(fakeFlow(6, 1, 443), 0, p, 0);
      bytes += p.length;
    }
  }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  assert.equal(n, payloads.length * 100);
  console.log(`TLS ClientHello: ${n} hellos, ${(bytes / 1e6 / sec).toFixed(1)} MB/s, ${Math.round(n / sec)} hellos/s (incl. JA3 md5 + JA4 sha256)`);
});

void test('gap before the handshake completes: that side stops, counted', () => {
  const c = createTlsConsumer(() => {});
  const f = fakeFlow(6, 40000, 443);
  const hello = record(22, handshake(1, clientHelloBody('gap.example')));
  c.onData(f, 0, Uint8Array.from(hello.slice(0, 20)), 1);
  assert.equal(c.onGap?.(f, 0, 50), ConsumerVerdict.CONTINUE);
  assert.equal(c.onGap?.(f, 1, 50), ConsumerVerdict.DONE);
  assert.equal(c.malformed.get('gap'), 2);
  assert.equal(c.stats.total(), 0);
});

void test('JA3 digests are remembered, bounded, and always the md5 of their own string', () => {
  const h = { version: 0x0303, ciphers: [0x1301, 0x1302], extensions: [0, 10, 11], groups: [29], ecPointFormats: [0] };
  for (let i = 0; i < 10_000; i++) {
    const r = ja3({ ...h, ciphers: [0x1301, i % 6000] });
    assert.equal(r.hash, createHash('md5').update(r.text).digest('hex'), r.text);
  }
});

void test('consumer: no handshake_done after a gap, a broken record, or a server that never said hello', () => {
  const hello = Uint8Array.from(record(22, handshake(1, clientHelloBody('gap.example'))));
  const kinds = (feed: (c: ReturnType<typeof createTlsConsumer>, f: ReturnType<typeof fakeFlow>) => void) => {
    const s = recordingSink();
    const c = createTlsConsumer(s.sink);
    const f = fakeFlow(6, 40000, 443);
    c.onData(f, 0, hello, 1);
    feed(c, f);
    return s.messages.map((m) => m.kind);
  };
  assert.deepEqual(kinds((c, f) => { c.onGap!(f, 1, 100); c.onData(f, 1, Uint8Array.from(record(23, [1, 2, 3])), 2); }), ['client_hello']);
  assert.deepEqual(kinds((c, f) => c.onData(f, 1, Uint8Array.of(22, 9, 9, 0, 1, 0), 2)), ['client_hello']);
  assert.deepEqual(kinds((c, f) => c.onData(f, 1, Uint8Array.from([...record(20, [1]), ...record(23, [1, 2, 3])]), 2)), ['client_hello']);
});
