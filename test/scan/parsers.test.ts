/**
 * Known-answer tests for every probe parser, and fast-check properties: random and mutated
 * answers never throw (hostile services must not crash the scanner).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFtpGreeting } from '../../src/scan/probes/ftp.js';
import { matchAdminUi, parseHttpResponse } from '../../src/scan/probes/http.js';
import { buildPrelogin, parsePreloginResponse } from '../../src/scan/probes/mssql.js';
import { buildConnect, findPublish, parseConnack } from '../../src/scan/probes/mqtt.js';
import { encodeCommand, parseResp, RespError } from '../../src/scan/probes/redis.js';
import { decodeWords, encodeWord } from '../../src/scan/probes/routeros-api.js';
import { parseRtspResponse } from '../../src/scan/probes/rtsp.js';
import { buildSmb1Negotiate, buildSmb2Negotiate, parseSmbNegotiate } from '../../src/scan/probes/smb.js';
import { parseSsdpAnswer, parseUpnpDescription, sameHostPath } from '../../src/scan/probes/ssdp-upnp.js';
import { parseSshBanner } from '../../src/scan/probes/ssh.js';
import { processTelnet } from '../../src/scan/probes/telnet.js';
import { parseWinboxReply } from '../../src/scan/probes/winbox.js';
import { mdnsHostname, mdnsServicesQuery, parseProcArp, readDnsName } from '../../src/scan/discovery.js';
import { printableBanner } from '../../src/scan/conversation.js';
import { buildAdbConnect, parseAdbReply } from '../../src/scan/probes/adb.js';
import { parseRdpConfirm } from '../../src/scan/probes/rdp.js';
import { parseRfbBanner } from '../../src/scan/probes/vnc.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

void test('SSH banners: OpenSSH, Dropbear, MikroTik', () => {
  const o = parseSshBanner(b('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'))!;
  assert.equal(o.product, 'OpenSSH');
  assert.equal(o.version, '9.2p1');
  assert.equal(o.details?.comment, 'Debian-2+deb12u3');
  const d = parseSshBanner(b('SSH-2.0-dropbear_2019.78\r\n'))!;
  assert.deepEqual([d.product, d.version], ['Dropbear sshd', '2019.78']);
  assert.equal(parseSshBanner(b('SSH-2.0-ROSSSH\r\n'))!.product, 'MikroTik RouterOS sshd');
  assert.equal(parseSshBanner(b('SSH-2.0-OpenSSH_7.4_Mikrotik_v6.40.4\r\n'))!.details?.routerosVersion, '6.40.4');
  assert.equal(parseSshBanner(b('HTTP/1.1 200 OK\r\n')), null);
});

void test('FTP greeting of a MikroTik names the RouterOS version; SMTP is not FTP', () => {
  const m = parseFtpGreeting(b('220 MikroTik FTP server (MikroTik 6.40.4) ready\r\n'))!;
  assert.deepEqual([m.service, m.product, m.version], ['ftp', 'MikroTik RouterOS', '6.40.4']);
  assert.equal(parseFtpGreeting(b('220 (vsFTPd 3.0.3)\r\n'))!.version, '3.0.3');
  assert.equal(parseFtpGreeting(b('220 mail.example ESMTP Postfix\r\n')), null);
});

void test('telnet IAC: DO → WONT, WILL ECHO → DO, subnegotiation skipped, text kept', () => {
  const r = processTelnet(Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfb, 0x01, 0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0, ...b('login: ')]));
  assert.deepEqual(r.replies, [0xff, 0xfc, 0x18, 0xff, 0xfd, 0x01]);
  assert.equal(r.text, 'login: ');
  // An incomplete sequence at the end waits for more bytes.
  const partial = processTelnet(Buffer.from([...b('ab'), 0xff, 0xfd]));
  assert.equal(partial.text, 'ab');
  assert.equal(partial.consumed, 2);
});

void test('RESP replies', () => {
  assert.deepEqual(parseResp(b('+PONG\r\n')), { value: 'PONG', next: 7 });
  const e = parseResp(b('-NOAUTH Authentication required.\r\n'));
  assert.ok(typeof e === 'object' && e.value instanceof RespError && e.value.message.startsWith('NOAUTH'));
  assert.deepEqual(parseResp(b('*2\r\n$3\r\ndir\r\n$4\r\n/tmp\r\n')), { value: ['dir', '/tmp'], next: 23 });
  assert.equal(parseResp(b('$10\r\nabc')), 'incomplete');
  assert.equal(parseResp(b('HTTP/1.1 400\r\n')), 'malformed');
  assert.equal(encodeCommand('CONFIG', 'GET', 'dir').toString(), '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n');
});

void test('MQTT CONNECT bytes and CONNACK/PUBLISH parsing', () => {
  assert.equal(buildConnect('a').toString('hex'), '100d00044d5154540402001e000161');
  const withAuth = buildConnect('a', 'u', 'p');
  assert.equal(withAuth[9], 0xc2, 'username + password + clean session flags');
  assert.equal(parseConnack(Buffer.from([0x20, 0x02, 0x00, 0x05])), 5);
  assert.equal(parseConnack(Buffer.from([0x20, 0x02])), 'incomplete');
  assert.equal(parseConnack(b('HTTP')), 'not-connack');
  const topic = '$SYS/broker/version';
  const payload = 'mosquitto version 2.0.11';
  const body = Buffer.concat([Buffer.from([0, topic.length]), b(topic), b(payload)]);
  const publish = Buffer.concat([Buffer.from([0x90, 3, 0, 1, 0]), Buffer.from([0x30, body.length]), body]);
  assert.equal(findPublish(publish, topic), payload);
});

void test('HTTP response parsing and admin fingerprints', () => {
  const r = parseHttpResponse(b('HTTP/1.1 401 Unauthorized\r\nServer: lighttpd/1.4.35\r\nWWW-Authenticate: Basic realm="TP-LINK Wireless Router"\r\n\r\n'))!;
  assert.equal(r.status, 401);
  assert.equal(r.headers['www-authenticate'], 'Basic realm="TP-LINK Wireless Router"');
  assert.equal(matchAdminUi(r)?.fingerprint.name, 'TP-Link router');
  const w = parseHttpResponse(b('HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><title>RouterOS router configuration page</title><h1>RouterOS v6.42.7</h1>'))!;
  assert.equal(w.title, 'RouterOS router configuration page');
  assert.deepEqual([matchAdminUi(w)?.fingerprint.product, matchAdminUi(w)?.version], ['MikroTik RouterOS', '6.42.7']);
  assert.equal(parseHttpResponse(b('SSH-2.0-x\r\n')), null);
});

void test('RTSP, SMB, TDS, Winbox, RouterOS API, SSDP, UPnP known answers', () => {
  const rtsp = parseRtspResponse(b('RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Hipcam RealServer/V1.0\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n'))!;
  assert.deepEqual([rtsp.product, rtsp.version], ['Hipcam RealServer', 'V1.0']);

  const smb2 = Buffer.alloc(4 + 64 + 8);
  smb2.write('\xfeSMB', 4, 'latin1');
  smb2.writeUInt16LE(0x0302, 4 + 64 + 4);
  assert.deepEqual(parseSmbNegotiate(smb2), { smb1: false, dialect: '3.0.2' });
  const smb1 = Buffer.alloc(40);
  smb1.write('\xffSMB', 4, 'latin1');
  assert.deepEqual(parseSmbNegotiate(smb1), { smb1: true, dialect: 'NT LM 0.12' });
  assert.equal(buildSmb2Negotiate().readUInt32BE(0), buildSmb2Negotiate().length - 4);
  assert.equal(buildSmb1Negotiate().subarray(4, 8).toString('latin1'), '\xffSMB');

  // PRELOGIN response with VERSION 15.0.2000 (SQL Server 2019) and ENCRYPTION 2.
  const data = Buffer.from([0x00, 0x00, 0x0b, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xff, 15, 0, 0x07, 0xd0, 0, 0, 2]);
  const tds = Buffer.concat([Buffer.from([0x04, 0x01, 0x00, 8 + data.length, 0, 0, 1, 0]), data]);
  assert.deepEqual(parsePreloginResponse(tds), { version: '15.0.2000', release: '2019', encryption: 2 });
  assert.equal(buildPrelogin()[0], 0x12);

  const list = b('\x12\x02list\x00\x00{ crc: 1, size: 2, name: "advtool.jg", unique: "advtool-x.jg", version: "6.40.4" },');
  assert.equal(parseWinboxReply(list)!.version, '6.40.4');
  assert.equal(parseWinboxReply(b('\x10\x01\x00\x0eM2\x01\x00\xff\x88\x00\x00\x02\x00\xff\x88\x01\x00'))!.service, 'winbox');
  assert.equal(parseWinboxReply(b('HTTP/1.1 400 Bad')), null);

  const api = Buffer.concat([encodeWord('!done'), encodeWord('=ret=0123abcd'), Buffer.from([0])]);
  assert.deepEqual(decodeWords(api), ['!done', '=ret=0123abcd', '']);

  const ssdp = parseSsdpAnswer(b('HTTP/1.1 200 OK\r\nLOCATION: http://192.168.1.1:49152/rootDesc.xml\r\nSERVER: Linux UPnP/1.0 MiniUPnPd/2.1\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n'), '192.168.1.1')!;
  assert.equal(ssdp.location, 'http://192.168.1.1:49152/rootDesc.xml');
  assert.equal(sameHostPath(ssdp.location, '192.168.1.1', 49152), '/rootDesc.xml');
  assert.equal(sameHostPath('http://10.9.9.9:49152/x.xml', '192.168.1.1', 49152), null, 'never follow a LOCATION elsewhere');
  const desc = parseUpnpDescription('<root xmlns="urn:schemas-upnp-org:device-1-0"><device><friendlyName>Home Router</friendlyName><manufacturer>ACME</manufacturer><modelName>R1</modelName><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType></service></serviceList></device></root>')!;
  assert.deepEqual([desc.friendlyName, desc.portMapping, desc.tr064], ['Home Router', true, false]);
});

void test('ADB handshake bytes round-trip; RDP and VNC answers', () => {
  const cnxn = buildAdbConnect();
  assert.equal(cnxn.subarray(0, 4).toString('latin1'), 'CNXN');
  assert.deepEqual(parseAdbReply(cnxn)?.state, 'open');
  assert.equal(parseAdbReply(Buffer.from('CNXN' + '\0'.repeat(20), 'latin1')), null, 'bad magic');
  assert.deepEqual(parseRdpConfirm(Buffer.from('030000130ed000001234000200080001000000', 'hex')), { protocol: 1 });
  assert.equal(parseRfbBanner(Buffer.from('RFB 003.008\n'))?.version, '3.8');
});

void test('mDNS name reading with compression, ARP table parsing', () => {
  const q = mdnsServicesQuery();
  assert.equal(readDnsName(q, 12)?.name, '_services._dns-sd._udp.local');
  // Response: header, 1 answer A record "tv.local" 192.168.1.5.
  const name = Buffer.concat([Buffer.from([2]), b('tv'), Buffer.from([5]), b('local'), Buffer.from([0])]);
  const rr = Buffer.concat([name, Buffer.from([0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 168, 1, 5])]);
  const resp = Buffer.concat([Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0]), rr]);
  assert.equal(mdnsHostname(resp), 'tv.local');
  const loop = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 12])]);
  assert.equal(readDnsName(loop, 12), null, 'pointer loops end');
  const arp = parseProcArp('IP address HW type Flags HW address Mask Device\n192.168.1.1 0x1 0x2 AA:BB:CC:00:11:22 * eth0\n192.168.1.9 0x1 0x0 00:00:00:00:00:00 * eth0\n');
  assert.deepEqual([...arp], [['192.168.1.1', 'aa:bb:cc:00:11:22']]);
});

void test('printable banners escape control bytes and are bounded', () => {
  assert.equal(printableBanner(Buffer.from([0x41, 0x0d, 0x0a, 0xff, 0x5c])), 'A\\r\\n\\xff\\\\');
  assert.ok(printableBanner(Buffer.alloc(10000, 0x41)).length <= 257);
});

const PARSERS: Array<[string, (buf: Buffer) => unknown]> = [
  ['ssh', parseSshBanner],
  ['ftp', parseFtpGreeting],
  ['telnet', processTelnet],
  ['resp', (x) => parseResp(x)],
  ['connack', parseConnack],
  ['publish', (x) => findPublish(x, '$SYS/broker/version')],
  ['http', (x) => {
    const r = parseHttpResponse(x);
    return r ? matchAdminUi(r) : null;
  }],
  ['rtsp', parseRtspResponse],
  ['smb', parseSmbNegotiate],
  ['tds', parsePreloginResponse],
  ['winbox', parseWinboxReply],
  ['routeros-api', decodeWords],
  ['ssdp', (x) => parseSsdpAnswer(x, '10.0.0.1')],
  ['upnp', (x) => parseUpnpDescription(x.toString('latin1'))],
  ['mdns', mdnsHostname],
  ['arp', (x) => parseProcArp(x.toString('latin1'))],
  ['adb', parseAdbReply],
  ['rdp', parseRdpConfirm],
  ['vnc', parseRfbBanner],
];

const SEEDS = [
  b('SSH-2.0-OpenSSH_9.2p1\r\n'),
  b('+PONG\r\n*2\r\n$3\r\ndir\r\n$1\r\n/\r\n'),
  Buffer.from([0x20, 0x02, 0x00, 0x00, 0x30, 0x05, 0x00, 0x01, 0x61, 0x62, 0x63]),
  b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<title>x</title>'),
  Buffer.from([0x00, 0x00, 0x00, 0x48, 0xfe, 0x53, 0x4d, 0x42, ...new Array(70).fill(1)]),
  Buffer.from([0x04, 0x01, 0x00, 0x20, 0, 0, 1, 0, 0x00, 0x00, 0x0b, 0x00, 0x06, 0xff, 15, 0, 7, 208, 0, 0]),
  Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfa, 0x18]),
];

void test('property: random bytes never make a parser throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const buf = Buffer.from(bytes);
      for (const [, parse] of PARSERS) parse(buf);
    }),
    { numRuns: 1500 },
  );
});

void test('property: mutated valid answers never make a parser throw', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...SEEDS),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
      (seed, flips, cut) => {
        const buf = Buffer.from(seed);
        for (const [pos, val] of flips) buf[pos % buf.length] = val;
        const truncated = buf.subarray(0, cut % (buf.length + 1));
        for (const [, parse] of PARSERS) parse(truncated);
      },
    ),
    { numRuns: 1500 },
  );
});
