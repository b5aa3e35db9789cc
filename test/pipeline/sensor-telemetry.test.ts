/**
 * `sensor --send`: what reaches a real collector (minewatch server on loopback) carries no raw
 * MAC and no private address of the home — MACs keyed-hashed with the sensor's secret (the same
 * hash after a restart), private addresses replaced by the sensor's public address as the
 * collector sees it (here 127.0.0.1) — and does carry alerts, device types and counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Anonymiser } from '../../src/pipeline/telemetry.js';
import { fillPublicAddresses } from '../../src/server/routes/ingest.js';
import { startServer } from '../../src/server/start.js';
import { createToken } from '../../src/store/identity.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const run = promisify(execFile);
const KEY = Buffer.alloc(32, 7);
const PRIVATE = /\b(10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|169\.254\.\d+\.\d+)\b|\bfe80:|\bfd[0-9a-f]{2}:/i;
const MAC = /\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/i;

test('anonymiser: MACs and device ids hashed with the key, private addresses left for the collector, names dropped, flows stay home', () => {
  const a = new Anonymiser(KEY);
  const alert = {
    timestamp: '2026-01-05T10:00:00.000000+0000', event_type: 'alert', src_ip: '192.168.1.20', dest_ip: '45.76.102.9', alert: { signature_id: 1, signature: 's', category: 'c', severity: 2 },
    minewatch: { detector: 'stratum', device: { id: 'dev-abc', mac: 'B8:27:EB:01:02:03', ip: '192.168.1.20', type: 'iot', vendor: 'Raspberry Pi', name: 'kitchen-pi' }, evidence: { note: 'from 192.168.1.20 (b8:27:eb:01:02:03) via fe80::1 to 45.76.102.9:3333' } },
  };
  const out = a.event(alert)!;
  const text = JSON.stringify(out);
  assert.doesNotMatch(text, PRIVATE);
  assert.doesNotMatch(text, MAC);
  assert.doesNotMatch(text, /kitchen-pi/);
  assert.equal(out.dest_ip, '45.76.102.9', 'public addresses are kept');
  const mw = out.minewatch as { device: { mac: string; id: string; type: string; vendor: string }; fill_public_ip: string[]; evidence: { note: string } };
  assert.equal(mw.device.mac, a.hash('b8:27:eb:01:02:03'));
  assert.equal(mw.evidence.note, `from private (${a.hash('b8:27:eb:01:02:03')}) via private to 45.76.102.9:3333`);
  assert.deepEqual([mw.device.type, mw.device.vendor], ['iot', 'Raspberry Pi']);
  assert.deepEqual(mw.fill_public_ip, ['src_ip', 'minewatch.device.ip']);
  assert.notEqual(new Anonymiser(Buffer.alloc(32, 8)).hash('b8:27:eb:01:02:03'), mw.device.mac, 'another sensor, another hash');
  assert.equal(alert.src_ip, '192.168.1.20', 'the sensor\'s own event is not changed');
  assert.equal(a.event({ event_type: 'flow', src_ip: '192.168.1.20' }), null);
  // the collector's side
  const events = [out];
  fillPublicAddresses(events, '::ffff:203.0.113.7');
  assert.equal(out.src_ip, '203.0.113.7');
  assert.equal((mw.device as { ip?: string }).ip, '203.0.113.7');
});

test('sensor --send to a real collector: no raw MAC or private address arrives; device types, alerts and stats do; hashes stable across runs', { skip: needSharedData(), timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-telemetry-'));
  const s = await startServer({ db: `sqlite:${join(dir, 'collector.db')}`, listen: '127.0.0.1:0', noGeo: true, notice: () => {}, logger: false });
  try {
    const { token } = await createToken(s.store, 'home-1', null);
    writeFileSync(join(dir, 'token'), `${token}\n`);
    const key = join(dir, 'keys', 'telemetry.key');
    const inputs = [sharedFile('iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap'), sharedFile('benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap')];
    const sensor = (db: string) => run(process.execPath, [MAIN, 'sensor', '--read', ...inputs, '--db', `sqlite:${join(dir, db)}`, '--sensor', 'home', '--send', s.url, '--token-file', join(dir, 'token'),
      '--outbox', join(dir, `outbox-${db}`), '--telemetry-key-file', key, '--stats-interval', '1'], { maxBuffer: 64 << 20 });
    await sensor('local-1.db');
    assert.equal(statSync(key).mode & 0o777, 0o600, 'the key file is private');
    const texts = async () => {
      const rows = await s.store.read.selectFrom('events').select(['event_type']).execute();
      const { listEvents } = await import('../../src/store/queries.js');
      const out: Record<string, unknown>[] = [];
      for (const type of new Set(rows.map((r) => r.event_type))) out.push(...(await listEvents(s.store, { orgId: null }, { event_type: type, limit: 10_000 })).items.map((i) => i.event as Record<string, unknown>));
      return out;
    };
    const first = await texts();
    const types = new Set(first.map((e) => e.event_type));
    for (const t of ['alert', 'device', 'stats']) assert.ok(types.has(t), `${t} events arrive (${[...types].join(', ')})`);
    assert.ok(!types.has('flow'), 'flow events stay home');
    const all = JSON.stringify(first);
    // the raw MACs and private addresses the local store holds never reach the collector
    const local = readFileSync(join(dir, 'local-1.db'));
    assert.ok(local.includes(Buffer.from('b8:27:eb:c7:e9:c9')), 'the home store knows the Raspberry Pi MAC');
    assert.doesNotMatch(all, MAC, 'a raw MAC arrived');
    assert.doesNotMatch(all, PRIVATE, 'a private address arrived');
    assert.doesNotMatch(all, /black-pearl/, 'a device name arrived');
    // private sources became the sensor's public address as the collector saw it
    const alerts = first.filter((e) => e.event_type === 'alert');
    assert.ok(alerts.some((e) => e.src_ip === '127.0.0.1'), 'filled with the connection\'s address');
    const devices = first.filter((e) => e.event_type === 'device').map((e) => (e.minewatch as { device: { id: string; mac: string; type: string } }).device);
    assert.ok(devices.length >= 3);
    assert.ok(devices.every((d) => /^h-[0-9a-f]{24}$/.test(d.mac) && /^h-[0-9a-f]{24}$/.test(d.id) && d.type !== ''));
    assert.ok(devices.some((d) => d.type === 'iot' || d.type === 'phone'), JSON.stringify(devices.map((d) => d.type)));
    // the collector's device rows are keyed by the hashes
    const rows = await s.store.read.selectFrom('devices').select(['device_key', 'mac', 'type']).execute();
    assert.ok(rows.length >= 3 && rows.every((r) => !MAC.test(String(r.mac ?? '')) && !MAC.test(String(r.device_key))));

    // a restart (new local store, same key file): the same device hashes
    await sensor('local-2.db');
    const again = (await texts()).filter((e) => e.event_type === 'device').map((e) => (e.minewatch as { device: { mac: string } }).device.mac);
    assert.deepEqual([...new Set(again)].sort(), [...new Set(devices.map((d) => d.mac))].sort());
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
