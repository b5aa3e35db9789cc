/**
 * Device behaviour baselines: the learning window, the two anomalies (a long connection to a
 * new host on a mining port; an upload jump that is large and corroborated) with baseline and
 * deviation as evidence, bounded memory, the state across restarts (store and sensor), and the
 * benign/miner measurement on generated homes (bench/eval-baselines.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Baselines, type Connection } from '../../src/devices/baseline.js';
import { evalBaselines } from '../../bench/eval-baselines.js';
import { openCountries } from '../../src/telescope/geo.js';
import { PcapEmitter } from '../../src/synth/emitter.js';
import { FrameBuilder, Path, TcpSession } from '../../src/synth/packet-builder.js';
import { runSensor } from '../../src/pipeline/sensor.js';
import { loadBaselineState, saveBaselineState } from '../../src/store/index.js';
import { DIALECTS } from '../helpers/collector.js';

const H = 3_600_000_000;
const D = 24 * H;
const T0 = Date.UTC(2026, 0, 5) * 1000;

function conn(over: Partial<Connection>): Connection {
  return { tsUs: T0, device: 'cam', type: 'ip-camera', remote: '52.1.1.1', port: 443, upBytes: 20e6, durationUs: 50 * 60e6, ...over };
}

/** A week of a camera uploading to its two cloud hosts every hour. */
function learnCamera(b: Baselines, days = 8): void {
  for (let h = 0; h < days * 24; h++) {
    b.observe(conn({ tsUs: T0 + h * H + 1000, remote: h % 2 ? '52.1.1.1' : '52.1.1.2', port: h % 3 ? 443 : 8000, upBytes: 20e6 + (h % 7) * 1e6 }));
  }
}

test('baselines: nothing during the learning window; after it, a long connection to a new host on a mining port is reported once a day, with baseline and deviation', () => {
  const b = new Baselines();
  // within the window: a miner-like connection is not judged
  b.observe(conn({ tsUs: T0 }));
  assert.deepEqual(b.observe(conn({ tsUs: T0 + 2 * D, remote: '45.76.102.9', port: 3333, durationUs: H })), []);
  const c = new Baselines();
  learnCamera(c);
  const at = T0 + 8 * D + 5 * H;
  // known host or port, short, or not a mining port: nothing
  assert.equal(c.checkLongLived(conn({ tsUs: at, remote: '52.1.1.1', port: 3333, durationUs: H })), null, 'known host');
  assert.equal(c.checkLongLived(conn({ tsUs: at, remote: '45.76.102.9', port: 8000, durationUs: H })), null, 'known port');
  assert.equal(c.checkLongLived(conn({ tsUs: at, remote: '45.76.102.9', port: 3333, durationUs: 60e6 })), null, 'one minute is not long-lived');
  assert.equal(c.checkLongLived(conn({ tsUs: at, remote: '45.76.102.9', port: 8443, durationUs: H })), null, 'not a mining port');
  const a = c.checkLongLived(conn({ tsUs: at, remote: '45.76.102.9', port: 3333, durationUs: H }));
  assert.ok(a);
  assert.equal(a.cause, 'mining-port');
  assert.equal(a.severity, 1, 'a camera has no business doing this');
  assert.deepEqual(a.baseline.top_hosts, ['52.1.1.1', '52.1.1.2']);
  assert.deepEqual((a.baseline.top_ports as number[]).sort(), [443, 8000]);
  assert.equal(a.baseline.learned_days, 8);
  assert.equal(a.deviation.new_host, true);
  assert.equal(a.deviation.port, 3333);
  // once a day per device and cause
  assert.equal(c.checkLongLived(conn({ tsUs: at + H, remote: '45.76.102.10', port: 14444, durationUs: H })), null);
  assert.ok(c.checkLongLived(conn({ tsUs: at + D + H, remote: '45.76.102.10', port: 14444, durationUs: H })));
  assert.equal(c.counts['mining-port'], 2);
});

test('baselines: an upload jump is reported when large and corroborated (an appliance, or a new host); a phone backup to its usual cloud is not', () => {
  const cam = new Baselines();
  learnCamera(cam);
  const at = T0 + 9 * D;
  assert.deepEqual(cam.observe(conn({ tsUs: at, upBytes: 40e6 })), [], 'an ordinary hour');
  const jump = cam.observe(conn({ tsUs: at + H, upBytes: 2e9 }));
  assert.equal(jump.length, 1);
  assert.equal(jump[0].cause, 'upload-jump');
  assert.ok((jump[0].deviation.times_hourly_mean as number) > 50);
  assert.ok((jump[0].baseline.upload_hourly_mean as number) > 15e6 && (jump[0].baseline.upload_hourly_mean as number) < 30e6);

  const phone = new Baselines();
  for (let h = 0; h < 8 * 24; h++) phone.observe({ tsUs: T0 + h * H, device: 'ph', type: 'phone', remote: 'cloud', port: 443, upBytes: 1e6, durationUs: 1e6 });
  assert.deepEqual(phone.observe({ tsUs: T0 + 8 * D + 1, device: 'ph', type: 'phone', remote: 'cloud', port: 443, upBytes: 400e6, durationUs: 60e6 }), [], 'backup to its usual host');
  const odd = phone.observe({ tsUs: T0 + 8 * D + 2 * H, device: 'ph', type: 'phone', remote: 'stranger', port: 443, upBytes: 2e9, durationUs: 60e6 });
  assert.equal(odd.length, 1);
  assert.equal(odd[0].severity, 2);
  assert.equal(odd[0].deviation.largest_remote, 'stranger');
});

test('baselines: countries from an injected lookup, once per address; a new country corroborates an anomaly (severity, evidence) and never raises one alone', () => {
  const asked: string[] = [];
  const geo: Record<string, string> = { '52.1.1.1': 'DE', '52.1.1.2': 'DE', '45.76.102.9': 'NL', '45.76.102.10': 'DE', '9.9.9.9': 'JP', stranger: 'RU', cloud: 'IE' };
  const lookup = (ip: string): string => {
    asked.push(ip);
    return geo[ip] ?? '??';
  };
  const cam = new Baselines({}, { country: lookup });
  learnCamera(cam);
  assert.deepEqual(cam.get('cam')?.countries, { DE: 8 * 24 });
  assert.deepEqual(asked.sort(), ['52.1.1.1', '52.1.1.2'], 'one lookup per address, not per connection');
  assert.equal(cam.geo.lookups, 2);
  // a new country alone (short, on an ordinary port; a small upload) raises nothing, and is learned
  const at = T0 + 8 * D + 5 * H;
  assert.deepEqual(cam.observe(conn({ tsUs: at, remote: '9.9.9.9', port: 443, upBytes: 1e6, durationUs: 60e6 })), []);
  assert.equal(cam.get('cam')?.countries.JP, 1);
  assert.equal(cam.counts['mining-port'] + cam.counts['upload-jump'], 0);
  // with a mining-port anomaly: the evidence shows the baseline's countries and the new one
  const a = cam.checkLongLived(conn({ tsUs: at + H, remote: '45.76.102.9', port: 3333, durationUs: H }));
  assert.ok(a);
  assert.equal(a.deviation.country, 'NL');
  assert.equal(a.deviation.new_country, true);
  assert.deepEqual(a.deviation.baseline_countries, ['DE', 'JP']);
  assert.deepEqual(a.deviation.corroborated_by, ['new-country']);
  assert.equal(cam.geo.newCountry, 1);
  // a pool in a country the device knows: same anomaly, no new-country indicator
  const known = new Baselines({}, { country: lookup });
  learnCamera(known);
  const k = known.checkLongLived(conn({ tsUs: at + H, remote: '45.76.102.10', port: 3333, durationUs: H }));
  assert.ok(k);
  assert.equal(k.deviation.country, 'DE');
  assert.equal(k.deviation.new_country, false);
  assert.equal(k.deviation.baseline_countries, undefined);
  // on a non-appliance the new country raises the severity (2 → 1) of an upload jump to a stranger
  const phone = (b: Baselines, remote: string) => {
    for (let h = 0; h < 8 * 24; h++) b.observe({ tsUs: T0 + h * H, device: 'ph', type: 'phone', remote: 'cloud', port: 443, upBytes: 1e6, durationUs: 1e6 });
    return b.observe({ tsUs: T0 + 8 * D + 2 * H, device: 'ph', type: 'phone', remote, port: 443, upBytes: 2e9, durationUs: 60e6 });
  };
  const ru = phone(new Baselines({}, { country: lookup }), 'stranger');
  assert.equal(ru.length, 1);
  assert.equal(ru[0].severity, 1);
  assert.equal(ru[0].deviation.country, 'RU');
  assert.deepEqual(ru[0].deviation.baseline_countries, ['IE']);
  const same = phone(new Baselines({}, { country: (ip) => (ip === 'cloud' || ip === 'stranger' ? 'IE' : '??') }), 'stranger');
  assert.equal(same.length, 1);
  assert.equal(same[0].severity, 2, 'the same jump in a known country');
  assert.equal(same[0].deviation.new_country, undefined);
  // no lookup: no countries; a lookup that throws or answers junk counts as unknown
  const none = new Baselines();
  learnCamera(none, 1);
  assert.deepEqual(none.get('cam')?.countries, {});
  const bad = new Baselines({}, { country: (ip) => { if (ip.endsWith('.1')) throw new Error('db'); return 'xx'; } });
  learnCamera(bad, 1);
  assert.deepEqual(bad.get('cam')?.countries, {});
  // bounded: the address cache holds at most countryCache entries
  const many = new Baselines({}, { country: () => 'FR', countryCache: 8 });
  for (let i = 0; i < 100; i++) many.observe(conn({ tsUs: T0 + i, remote: `10.0.0.${i}` }));
  for (let i = 0; i < 100; i++) many.observe(conn({ tsUs: T0 + 1000 + i, remote: `10.0.0.${i}` }));
  assert.equal(many.geo.lookups, 200, 'a cache of 8 cannot keep 100 addresses');
});

test('baselines: memory is bounded (hosts per device, devices); the state survives export and import', () => {
  const b = new Baselines({ maxDevices: 50, topHosts: 16 });
  for (let i = 0; i < 20_000; i++) b.observe({ tsUs: T0 + i * 1e6, device: `d${i % 200}`, type: 'pc', remote: `h${i}`, port: 1024 + (i % 5000), upBytes: 1, durationUs: 1 });
  assert.equal(b.size, 50);
  const s = b.exportState();
  assert.ok(s.devices.every((d) => Object.keys(d.hosts).length <= 16 && Object.keys(d.ports).length <= 32));
  // a learned baseline restored in a new process judges at once (no new learning window)
  const cam = new Baselines();
  learnCamera(cam);
  const restored = new Baselines();
  restored.importState(JSON.parse(JSON.stringify(cam.exportState())) as ReturnType<Baselines['exportState']>);
  assert.deepEqual(restored.exportState(), cam.exportState());
  assert.ok(restored.checkLongLived(conn({ tsUs: T0 + 9 * D, remote: '45.76.102.9', port: 4444, durationUs: H })));
});

test('generated homes over 4 simulated weeks: at most one anomaly per home-week on benign traffic; an injected camera miner is flagged in every home', () => {
  const r = evalBaselines([1, 2, 3, 4, 5, 6], 4, 16);
  assert.ok(r.worstHomeWeek <= 1, JSON.stringify(r));
  assert.equal(r.minerFlagged, r.homes);
  assert.ok(r.minerHoursToFlag.every((h) => h <= 2), JSON.stringify(r.minerHoursToFlag));
  assert.equal(r.minerRunOtherAlerts, r.benignAlerts, 'the miner adds no other alerts');
  assert.equal(r.minerNewCountry, r.homes, 'the generator puts the pool in a country the camera never reached');
});

test('generated homes with the bundled country database injected (as the sensor wires it): still quiet on benign traffic, the miner still flagged', () => {
  const geo = openCountries();
  const r = evalBaselines([1, 2, 3], 4, 16, (ip) => geo.country(ip));
  assert.ok(r.worstHomeWeek <= 1, JSON.stringify(r));
  assert.equal(r.minerFlagged, r.homes);
  assert.equal(r.minerRunOtherAlerts, r.benignAlerts);
  // one lookup per distinct address and run, not per connection: a home makes thousands of connections to far fewer hosts
  assert.ok(r.countryLookups > 0 && r.countryLookups < 6 * 3000, String(r.countryLookups));
});

/** A camera's capture: hourly cloud connections over `hours`, then (optionally) a 12-minute connection to a pool on 3333. */
async function cameraCapture(file: string, startUs: number, hours: number, miner: boolean): Promise<void> {
  const out = new PcapEmitter(file);
  const fb = new FrameBuilder();
  const mac = Uint8Array.from([0xbc, 0xad, 0x28, 1, 2, 3]);
  const router = Uint8Array.from([0xe4, 0x8d, 0x8c, 0, 0, 1]);
  const ip = ((192 << 24) | (168 << 16) | (1 << 8) | 30) >>> 0;
  const session = (remote: number, port: number, t: number, minutes: number, sport: number): number => {
    const s = new TcpSession(out, fb, [new Path(mac, router, ip, remote, 64), new Path(router, mac, remote, ip, 50)], [sport, port], [1000 + sport, 5000 + sport]);
    t = s.handshake(t, 20_000);
    const data = new Uint8Array(400);
    for (let m = 0; m <= minutes; m++) t = s.send(0, data, 0, data.length, t + (m === 0 ? 1000 : 60e6));
    return s.close(0, t + 1000, 20_000);
  };
  let t = startUs;
  for (let h = 0; h < hours; h++) t = session((52 << 24 | 1 << 16 | 1 << 8 | 1) >>> 0, 443, startUs + h * H, 1, 40000 + h);
  if (miner) session((45 << 24 | 76 << 16 | 102 << 8 | 9) >>> 0, 3333, t + H, 12, 50000);
  out.close();
}

for (const dialect of DIALECTS) {
  test(`sensor (${dialect.name}): baselines learned before a restart are kept in the store and judge after it`, { timeout: 120_000 }, async (t) => {
    const h = await dialect.open();
    if (typeof h === 'string') return t.skip(h);
    const dir = mkdtempSync(join(tmpdir(), 'mw-baseline-'));
    try {
      const learnFile = join(dir, 'learn.pcap');
      const minerFile = join(dir, 'miner.pcap');
      await cameraCapture(learnFile, T0, 6, false);
      await cameraCapture(minerFile, T0 + 8 * H, 0, true);
      const opts = { store: h.store, sensor: 'home', baselines: { learnUs: 4 * H }, deviceIntervalMs: 60_000, log: () => {} };
      // run 1: learning only (6 hours of cloud uploads); nothing to report
      const r1 = await runSensor({ ...opts, inputs: [learnFile] });
      assert.equal(r1.health.alerts, 0);
      const saved = await loadBaselineState(h.store, (await h.store.read.selectFrom('sensors').select('id').where('name', '=', 'home').executeTakeFirstOrThrow()).id as number) as { devices: { flows: number; countries: Record<string, number> }[] };
      assert.equal(saved.devices.length, 1);
      assert.equal(saved.devices[0].flows, 6);
      // the sensor injects the bundled country database: 52.1.1.1 is in the US
      assert.deepEqual(saved.devices[0].countries, { US: 6 });
      // run 2, a new process's worth of state: the pool connection is judged against the saved baseline
      const r2 = await runSensor({ ...opts, inputs: [minerFile] });
      assert.equal(r2.health.alerts, 1);
      const rows = await h.store.read.selectFrom('incidents').select(['signature_id', 'signature', 'dest_ip']).execute();
      assert.deepEqual(rows.map((r) => [Number(r.signature_id), r.dest_ip]), [[9101201, '45.76.102.9']]);
      // without the saved state (another sensor name: no baseline yet) the same capture is not judged
      const r3 = await runSensor({ ...opts, sensor: 'fresh', inputs: [minerFile] });
      assert.equal(r3.health.alerts, 0);
      // save/load round trip of the store functions
      await saveBaselineState(h.store, 999, { version: 1, devices: [] });
      assert.deepEqual(await loadBaselineState(h.store, 999), { version: 1, devices: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await h.cleanup();
    }
  });
}
