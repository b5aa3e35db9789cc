/**
 * Protocols with no Debian server we can start here (SMB without Samba, SQL Server, MikroTik
 * Winbox/API, RTSP cameras, UPnP gateways) are exercised against small loopback emulators
 * that answer ONLY the correct request, so a probe that sent the wrong bytes fails. Hostile
 * services (a flood, a silent port) check that the scan stays bounded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { scan } from '../../src/scan/scanner.js';
import { decodeWords, encodeWord } from '../../src/scan/probes/routeros-api.js';
import { WINBOX_LIST_REQUEST } from '../../src/scan/probes/winbox.js';
import { RDP_CONNECTION_REQUEST } from '../../src/scan/probes/rdp.js';
import type { HostResult, ScanResult } from '../../src/scan/types.js';

const closers: Array<() => void> = [];
const ports: Record<string, number> = {};

function tcp(name: string, onData: (sock: Socket, data: Buffer) => void, onConnect?: (sock: Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const sockets = new Set<Socket>();
    const srv: Server = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => sock.destroy());
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        onData(sock, buf);
      });
      onConnect?.(sock);
    });
    srv.listen(0, '127.0.0.1', () => {
      ports[name] = (srv.address() as { port: number }).port;
      closers.push(() => {
        for (const s of sockets) s.destroy();
        srv.close();
      });
      resolve();
    });
  });
}

function smb2NegotiateResponse(): Buffer {
  const msg = Buffer.alloc(64 + 65);
  msg.write('\xfeSMB', 0, 'latin1');
  msg.writeUInt16LE(64, 4);
  msg.writeUInt16LE(65, 64);
  msg.writeUInt16LE(0x0302, 64 + 4);
  const nb = Buffer.alloc(4);
  nb.writeUInt32BE(msg.length);
  return Buffer.concat([nb, msg]);
}

function preloginResponse(): Buffer {
  const data = Buffer.from([0x00, 0x00, 0x0b, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xff, 16, 0, 0x10, 0x36, 0, 0, 2]);
  return Buffer.concat([Buffer.from([0x04, 0x01, 0x00, 8 + data.length, 0, 0, 1, 0]), data]);
}

const IGD = `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><friendlyName>Emulated Gateway</friendlyName><manufacturer>ACME</manufacturer><modelName>HG-1</modelName><modelNumber>2.1</modelNumber><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType></service></serviceList></device></root>`;

let udp: UdpSocket | null = null;
let result: ScanResult | null = null;

before(async () => {
  await tcp('smb', (sock, buf) => {
    if (buf.length >= 4 + 64 && buf.subarray(4, 8).toString('latin1') === '\xfeSMB' && buf.readUInt16LE(4 + 12) === 0) sock.end(smb2NegotiateResponse());
    else if (buf.length >= 8) sock.destroy();
  });
  await tcp('mssql', (sock, buf) => {
    if (buf[0] === 0x12 && buf.length >= 8 && buf.length >= buf.readUInt16BE(2)) sock.end(preloginResponse());
    else if (buf[0] !== 0x12) sock.destroy();
  });
  await tcp('winbox', (sock, buf) => {
    if (buf.equals(WINBOX_LIST_REQUEST)) sock.end(Buffer.from('\x12\x02list\x00\x00{ crc: 1, size: 2, name: "roteros.dll", unique: "roteros-1.dll", version: "6.40.4" },', 'latin1'));
    else if (buf.length >= WINBOX_LIST_REQUEST.length || !WINBOX_LIST_REQUEST.subarray(0, buf.length).equals(buf)) sock.destroy();
  });
  await tcp('api', (sock, buf) => {
    const words = decodeWords(buf);
    if (words[0] === '/login' && words[1] === '') sock.write(Buffer.concat([encodeWord('!done'), encodeWord('=ret=9c7d8a5f3b2e1d0c9c7d8a5f3b2e1d0c'), Buffer.from([0])]));
    else if (words.length > 0 && words[0] !== '/login') sock.end(Buffer.concat([encodeWord('!fatal'), encodeWord('not logged in'), Buffer.from([0])]));
  });
  await tcp('rtsp', (sock, buf) => {
    const text = buf.toString('latin1');
    if (!text.includes('\r\n\r\n')) return;
    if (/^OPTIONS rtsp:\/\/[^ ]+ RTSP\/1\.0\r\n/.test(text)) sock.write('RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Hipcam RealServer/V1.0\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY\r\n\r\n');
    else sock.end('RTSP/1.0 400 Bad Request\r\nCSeq: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => {
    const srv = createHttpServer((req, res) => {
      res.setHeader('Server', 'Linux/5.4 UPnP/1.0 MiniUPnPd/2.1');
      if (req.url === '/rootDesc.xml') {
        res.setHeader('Content-Type', 'text/xml');
        res.end(IGD);
      } else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    srv.listen(0, '127.0.0.1', () => {
      ports.upnp = (srv.address() as { port: number }).port;
      closers.push(() => {
        srv.closeAllConnections();
        srv.close();
      });
      resolve();
    });
  });
  await tcp('adb', (sock, buf) => {
    // A real adbd checks the header magic; answer CNXN only to a well-formed CNXN.
    if (buf.length >= 24 && buf.readUInt32LE(0) === 0x4e584e43 && buf.readUInt32LE(20) === (0x4e584e43 ^ 0xffffffff) >>> 0) {
      const banner = Buffer.from('device::ro.product.name=p212;ro.product.model=X96mini;ro.product.device=p212;\0', 'latin1');
      const h = Buffer.alloc(24);
      h.writeUInt32LE(0x4e584e43, 0);
      h.writeUInt32LE(0x01000000, 4);
      h.writeUInt32LE(4096, 8);
      h.writeUInt32LE(banner.length, 12);
      h.writeUInt32LE((0x4e584e43 ^ 0xffffffff) >>> 0, 20);
      sock.write(Buffer.concat([h, banner]));
    } else if (buf.length >= 24) sock.destroy();
  });
  await tcp('rdp', (sock, buf) => {
    if (buf.equals(RDP_CONNECTION_REQUEST)) sock.write(Buffer.from('030000130ed000001234000200080002000000', 'hex')); // CC + RDP_NEG_RSP: CredSSP
    else if (buf.length >= RDP_CONNECTION_REQUEST.length) sock.destroy();
  });
  await tcp('vnc', () => {}, (sock) => {
    sock.write('RFB 003.008\n');
  });
  // Hostile: floods 1 MiB on connect; another accepts and never says anything.
  await tcp('flood', () => {}, (sock) => {
    sock.write(Buffer.alloc(1 << 20, 0x41));
  });
  await tcp('silent', () => {});
  await new Promise<void>((resolve) => {
    udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      if (!msg.toString('latin1').startsWith('M-SEARCH * HTTP/1.1\r\n')) return;
      udp!.send(`HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nUSN: uuid:1::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nSERVER: Linux/5.4 UPnP/1.0 MiniUPnPd/2.1\r\nLOCATION: http://127.0.0.1:${ports.upnp}/rootDesc.xml\r\n\r\n`, rinfo.port, rinfo.address);
    });
    udp.bind(0, '127.0.0.1', () => {
      ports.ssdp = udp!.address().port;
      resolve();
    });
  });
  const started = Date.now();
  result = await scan({
    targets: ['127.0.0.1'],
    ports: ['smb', 'mssql', 'winbox', 'api', 'rtsp', 'upnp', 'adb', 'rdp', 'vnc', 'flood', 'silent'].map((n) => ports[n]),
    timeoutMs: 400,
    ssdpPort: ports.ssdp,
    concurrency: 8,
  });
  ports.elapsed = Date.now() - started;
});

after(() => {
  for (const c of closers) c();
  udp?.close();
});

function host(): HostResult {
  assert.ok(result);
  return result.hosts[0];
}

function port(name: string) {
  const p = host().ports.find((x) => x.port === ports[name] && x.proto === (name === 'ssdp' ? 'udp' : 'tcp'));
  assert.ok(p, `port ${name} missing`);
  return p;
}

void test('SMB2 negotiate: dialect named, smb-exposed (medium for SMB2)', () => {
  const p = port('smb');
  assert.deepEqual([p.service, p.version, p.details?.smb1], ['smb', '3.0.2', false]);
  const f = host().findings.find((x) => x.id === 'smb-exposed' && x.port === ports.smb);
  assert.equal(f?.severity, 'medium');
});

void test('TDS prelogin: SQL Server 2022 version, mssql-exposed', () => {
  const p = port('mssql');
  assert.deepEqual([p.service, p.product, p.version], ['ms-sql-s', 'Microsoft SQL Server 2022', '16.0.4150']);
  assert.ok(host().findings.some((x) => x.id === 'mssql-exposed' && x.port === ports.mssql));
});

void test('Winbox list: RouterOS version read, vulnerable-firmware and winbox-exposed', () => {
  const p = port('winbox');
  assert.deepEqual([p.service, p.product, p.version], ['winbox', 'MikroTik RouterOS', '6.40.4']);
  const f = host().findings.filter((x) => x.port === ports.winbox).map((x) => x.id);
  assert.ok(f.includes('winbox-exposed'));
  assert.ok(host().findings.some((x) => x.id === 'vulnerable-firmware' && (x.details?.cve as string[]).includes('CVE-2018-14847')));
});

void test('RouterOS API: legacy challenge login flagged as before 6.43', () => {
  const p = port('api');
  assert.equal(p.service, 'routeros-api');
  assert.equal(p.details?.legacyLogin, true);
  assert.equal(host().findings.find((x) => x.port === ports.api)?.severity, 'high');
});

void test('RTSP OPTIONS: camera server named', () => {
  const p = port('rtsp');
  assert.deepEqual([p.service, p.product, p.version], ['rtsp', 'Hipcam RealServer', 'V1.0']);
});

void test('UPnP: TCP description read after the UPnP Server header; unicast SSDP answer; upnp-exposed', () => {
  const p = port('upnp');
  assert.deepEqual([p.service, p.product, p.details?.portMapping], ['upnp', 'ACME HG-1', true]);
  const s = port('ssdp');
  assert.equal(s.service, 'ssdp');
  const f = host().findings.filter((x) => x.id === 'upnp-exposed');
  assert.equal(f.length, 2);
  assert.ok(f.every((x) => x.severity === 'medium'));
});

void test('ADB without authorisation: device model named, adb-exposed critical', () => {
  const p = port('adb');
  assert.deepEqual([p.service, p.product, p.details?.authRequired], ['adb', 'Android (X96mini)', false]);
  assert.equal(host().findings.find((x) => x.id === 'adb-exposed')?.severity, 'critical');
});

void test('RDP connection confirm and VNC banner', () => {
  const r = port('rdp');
  assert.deepEqual([r.service, r.details?.security], ['ms-wbt-server', 'CredSSP (NLA)']);
  const v = port('vnc');
  assert.deepEqual([v.service, v.version], ['vnc', '3.8']);
});

void test('hostile services: flood and silence stay bounded and unidentified', () => {
  assert.equal(port('flood').service, 'unknown');
  assert.ok(port('flood').banner.length <= 260);
  assert.equal(port('silent').service, 'unknown');
  assert.ok(ports.elapsed < 15000, `scan took ${ports.elapsed} ms`);
});
