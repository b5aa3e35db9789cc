/**
 * The device inventory into the store: `device` events when a device appears or changes, so
 * that `minewatch devices` (and the collector) list what a live sensor learned, and a sensor
 * and `analyze --db` over the same captures leave the same devices table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DeviceEventTracker, deviceEvent } from '../../src/devices/device-events.js';
import { Inventory } from '../../src/devices/inventory.js';
import { DeviceEvent, EveEvent } from '../../src/events/eve.js';
import { runSensor } from '../../src/pipeline/sensor.js';
import { readDevices, type DeviceView } from '../../src/pipeline/local-store.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { DIALECTS } from '../helpers/collector.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const run = promisify(execFile);
const S = 1_000_000;

test('device events: one per new device, one per change, none when nothing changed; valid EVE', () => {
  const inv = new Inventory();
  inv.observeAddress('b8:27:eb:00:00:01', '192.168.1.10', 'arp', 1 * S);
  inv.observeAddress('00:11:32:00:00:02', '192.168.1.20', 'dhcp', 2 * S);
  const tr = new DeviceEventTracker({ sensor: 'home', refreshUs: 3600 * S });
  const first = tr.changes(inv.devices(true));
  assert.equal(first.length, 2);
  for (const e of first) {
    assert.ok(DeviceEvent.safeParse(e).success, JSON.stringify(DeviceEvent.safeParse(e).error?.issues));
    assert.ok(EveEvent.safeParse(e).success, 'a known event type of the event model');
  }
  const pi = first.find((e) => (e.src_ip as string) === '192.168.1.10') as { minewatch: { device: { mac: string; vendor: string }; sensor: string } };
  assert.equal(pi.minewatch.device.mac, 'b8:27:eb:00:00:01');
  assert.match(pi.minewatch.device.vendor, /raspberry/i);
  assert.equal(pi.minewatch.sensor, 'home');

  // seen again (later), nothing new about it: no event
  inv.observeAddress('b8:27:eb:00:00:01', '192.168.1.10', 'arp', 10 * S);
  assert.equal(tr.changes(inv.devices(true)).length, 0);
  // a host name appears: one event, for that device, with the name
  inv.observeHostname('b8:27:eb:00:00:01', 'black-pearl', 11 * S);
  const named = tr.changes(inv.devices(true));
  assert.equal(named.length, 1);
  assert.equal((named[0].minewatch as { device: { name: string } }).device.name, 'black-pearl');
  // a new address: one event
  inv.observeAddress('00:11:32:00:00:02', '192.168.1.21', 'dhcp', 12 * S);
  assert.equal(tr.changes(inv.devices(true)).length, 1);
  // the final flush announces devices whose last-seen time moved, even unchanged
  inv.observeAddress('b8:27:eb:00:00:01', '192.168.1.10', 'arp', 20 * S);
  const final = tr.changes(inv.devices(true), true);
  assert.deepEqual(final.map((e) => e.src_ip), ['192.168.1.10']);
  assert.equal((final[0].minewatch as { inventory: { last_seen: string } }).inventory.last_seen, '1970-01-01T00:00:20.000000+0000');
  // an hour later with no change: one refresh
  inv.observeAddress('00:11:32:00:00:02', '192.168.1.21', 'dhcp', 4000 * S);
  assert.equal(tr.changes(inv.devices(true)).length, 1);
  assert.equal(tr.emitted, 6);
  // the event's address is the most recent IPv4 one
  const d = inv.devices(true).find((x) => x.mac === '00:11:32:00:00:02')!;
  assert.equal((deviceEvent(d).minewatch as { device: { ip: string } }).device.ip, '192.168.1.21');
});

test('device events: a randomised MAC that joins its device names the id it had before (replaces)', () => {
  const inv = new Inventory();
  inv.observeDhcpClient('b8:27:eb:00:00:09', { hostname: 'kitchen-pi', parameterList: [1, 3, 6], vendorClass: '', clientId: '' }, 1 * S);
  inv.observeAddress('da:a1:19:00:00:01', '192.168.1.50', 'traffic', 2 * S);
  const tr = new DeviceEventTracker();
  const first = tr.changes(inv.devices(true));
  assert.equal(first.length, 2);
  const loneId = (first.find((e) => e.src_ip === '192.168.1.50')!.minewatch as { device: { id: string } }).device.id;
  inv.observeHostname('da:a1:19:00:00:01', 'kitchen-pi', 3 * S);
  assert.equal(inv.devices(true).length, 1, 'merged');
  const next = tr.changes(inv.devices(true));
  assert.equal(next.length, 1);
  const mw = next[0].minewatch as { device: { id: string }; inventory: { replaces?: string[]; macs: string[] } };
  assert.deepEqual(mw.inventory.replaces, [loneId]);
  assert.notEqual(mw.device.id, loneId);
  assert.deepEqual(mw.inventory.macs, ['b8:27:eb:00:00:09', 'da:a1:19:00:00:01']);
  assert.equal(tr.changes(inv.devices(true)).length, 0, 'announced once');
});

const CAPTURES = ['benign/android-wifi-join-dhcp-mdns-ssdp-dns.pcap', 'benign/iphone-wifi-join-dhcp-mdns-dns-tls.pcap', 'iot-malware/hide-and-seek-rpi-telnet-scan-p2p.pcap'];

function comparable(d: DeviceView): string {
  return JSON.stringify([d.device, d.ip, d.mac, d.type, d.vendor, d.name, d.first_seen, d.last_seen, d.alerts]);
}

for (const dialect of DIALECTS) {
  test(`sensor and analyze --db leave the same devices in the store (${dialect.name}), alerting or not; minewatch devices lists them`, { skip: needSharedData(), timeout: 180_000 }, async (t) => {
    const a = await dialect.open();
    if (typeof a === 'string') return t.skip(a);
    const b = await dialect.open();
    if (typeof b === 'string') { await a.cleanup(); return t.skip(b); }
    try {
      const inputs = CAPTURES.map((c) => sharedFile(c));
      // paced, with a short device interval: intermediate device states are stored too (a
      // randomised MAC first gets an id of its own, then joins its device), and the last state must win
      const r = await runSensor({ inputs, store: a.store, sensor: 'home', deviceIntervalMs: 20, commitMs: 20, replayPps: 3000, log: () => {} });
      assert.ok(r.health.device_events > r.health.devices && r.health.devices >= 5, JSON.stringify(r.health));
      const stored = (await a.store.read.selectFrom('events').select('event_id').where('event_type', '=', 'device').execute()).length;
      assert.equal(stored, r.health.device_events, 'every device event is stored');
      await run(process.execPath, [MAIN, 'analyze', ...inputs, '--db', b.url, '--sensor', 'home', '--workers', '1', '--quiet'], { maxBuffer: 64 << 20 });
      const fromSensor = await readDevices(a.store);
      const fromAnalyze = await readDevices(b.store);
      assert.equal(fromSensor.length, r.health.devices, 'one row per device: rows of ids a device had before are folded into it');
      assert.deepEqual(fromSensor.map(comparable).sort(), fromAnalyze.map(comparable).sort());

      // devices with no alert are in the inventory too (before, only alerting devices reached the store)
      const macs = fromSensor.filter((d) => d.mac !== null);
      assert.ok(macs.some((d) => d.alerts === 0), 'a device that never alerted');
      const pi = macs.find((d) => d.mac?.startsWith('b8:27:eb'));
      assert.ok(pi, 'the Raspberry Pi of the Hide and Seek capture');
      assert.match(pi.vendor ?? '', /raspberry/i);
      assert.equal(pi.name, 'black-pearl');
      assert.ok(pi.alerts > 0, 'its alerts are counted on the same row');
      // the rows are keyed by the inventory's device ids (dev-…), as the alerts carry them
      assert.ok(macs.every((d) => d.device.startsWith('dev-')));

      const out = await run(process.execPath, [MAIN, 'devices', '--db', a.url, '--json']);
      const listed = JSON.parse(out.stdout) as DeviceView[];
      assert.deepEqual(listed.map((d) => d.device).sort(), fromSensor.map((d) => d.device).sort());
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
}
