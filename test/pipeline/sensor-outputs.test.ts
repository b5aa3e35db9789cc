/**
 * The sensor's outputs: the appending EVE writer (flushed within a second, appended across
 * opens, rotated by size, reopened after logrotate), the Prometheus endpoint, the `--config`
 * file, and the incidents/devices listing with remediation advice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { AppendingEveWriter } from '../../src/pipeline/eve-append.js';
import { serveMetrics, parseListen } from '../../src/pipeline/sensor-metrics.js';
import { remediationFor } from '../../src/pipeline/remediation.js';
import { SidBase } from '../../src/detect/common.js';
import type { SensorHealth } from '../../src/pipeline/sensor.js';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const run = promisify(execFile);

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

test('EVE appender: an event reaches the file within a second without further writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-eve-'));
  const path = join(dir, 'eve.json');
  const w = new AppendingEveWriter(path, { flushMs: 200 });
  try {
    w.write({ event_type: 'alert', n: 1 });
    assert.equal(lines(path).length, 0, 'buffered at first');
    const t0 = Date.now();
    while (lines(path).length === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines(path).length, 1);
    assert.ok(Date.now() - t0 < 1000, `flushed after ${Date.now() - t0} ms`);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('EVE appender: appends across opens, rotates by size keeping N files, reopens after logrotate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-eve-'));
  const path = join(dir, 'eve.json');
  try {
    writeFileSync(path, '{"old":true}\n');
    const w = new AppendingEveWriter(path, { maxBytes: 2000, keep: 2, flushMs: 60_000 });
    const pad = 'x'.repeat(80);
    for (let i = 0; i < 100; i++) {
      w.write({ i, pad });
      w.flush();
    }
    w.close();
    const all = [...lines(`${path}.2`), ...lines(`${path}.1`), ...lines(path)];
    assert.ok(w.rotations >= 4, `${w.rotations} rotations`);
    assert.ok(!existsSync(`${path}.3`), 'only keep=2 rotated files');
    for (const f of [path, `${path}.1`, `${path}.2`]) assert.ok(readFileSync(f).length <= 2000, `${f} within --eve-max-bytes`);
    // the newest events, in order, none split across files
    const nums = all.map((l) => JSON.parse(l) as { i?: number }).filter((e) => e.i !== undefined).map((e) => e.i!);
    assert.deepEqual(nums, Array.from({ length: nums.length }, (_, k) => 100 - nums.length + k));

    // logrotate moves the file away, then the sensor gets SIGHUP: the next events go to a new file
    const w2 = new AppendingEveWriter(path, { flushMs: 60_000 });
    const before = lines(path).length;
    assert.ok(before > 0, 'opened for append: the earlier events are still there');
    w2.write({ a: 1 });
    renameSync(path, `${path}.moved`);
    w2.reopen();
    w2.write({ b: 2 });
    w2.close();
    assert.equal(lines(`${path}.moved`).length, before + 1, 'buffered events went to the old file before the reopen');
    assert.deepEqual(lines(path).map((l) => JSON.parse(l) as unknown), [{ b: 2 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics endpoint: gauges from the sensor health, Prometheus text format', async () => {
  let packets = 10;
  let pcap: number | null = 1234;
  const health = (): SensorHealth => ({
    uptime_s: 1, packets, bytes: 1500, packets_per_s: 5, bytes_per_s: 700, capture_dropped: 2, flows: 3, alerts: 4,
    capture_backend: pcap === null ? 'cap' : 'libpcap-batch', pcap_received: pcap, pcap_dropped: pcap === null ? null : 17, pcap_ifdropped: pcap === null ? null : 0,
    events_stored: 6, store_pending: 0, store_errors: 0, eve_events: 0, eve_rotations: 0, devices: 5, device_events: 8, blocklist_addresses: 0, notifications_sent: 0, notifications_failed: 0, outbox_depth: 7, rss_bytes: 1e8, heap_used_bytes: 1e7,
  });
  const server = await serveMetrics(parseListen('127.0.0.1:0'), health);
  try {
    const port = (server.address() as AddressInfo).port;
    const get = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let text = await get();
    assert.match(text, /^minewatch_sensor_packets_total 10$/m);
    assert.match(text, /^minewatch_sensor_outbox_events 7$/m);
    assert.match(text, /^minewatch_sensor_capture_dropped_total 2$/m);
    assert.match(text, /^minewatch_sensor_devices 5$/m);
    assert.match(text, /^minewatch_sensor_pcap_received_total\{backend="libpcap-batch"\} 1234$/m);
    assert.match(text, /^minewatch_sensor_pcap_dropped_total\{backend="libpcap-batch"\} 17$/m);
    assert.match(text, /^minewatch_sensor_pcap_ifdropped_total\{backend="libpcap-batch"\} 0$/m);
    assert.match(text, /^minewatch_sensor_capture_info\{backend="libpcap-batch"\} 1$/m);
    packets = 99;
    pcap = null;
    text = await get();
    assert.match(text, /^minewatch_sensor_packets_total 99$/m, 'read at scrape time');
    // without pcap_stats (cap) the libpcap counters are absent, not a misleading 0
    assert.doesNotMatch(text, /^minewatch_sensor_pcap_received_total[{ ]/m);
    assert.doesNotMatch(text, /^minewatch_sensor_pcap_dropped_total[{ ]/m);
    assert.match(text, /^minewatch_sensor_capture_info\{backend="cap"\} 1$/m);
    assert.doesNotMatch(text, /backend="libpcap-batch"/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  } finally {
    server.close();
  }
  assert.throws(() => parseListen('9101'), /HOST:PORT/);
});

test('remediation: advice per cause', () => {
  assert.match(remediationFor(SidBase.stratum + 1).steps.join(' '), /remove it/);
  assert.match(remediationFor(SidBase.bruteforce).steps.join(' '), /default and weak passwords|Close telnet/);
  assert.match(remediationFor(SidBase['redis-exploit']).steps.join(' '), /requirepass/);
  assert.match(remediationFor(SidBase.scan).steps.join(' '), /separate network/);
  assert.equal(remediationFor(2024792, 'ET POLICY Cryptocurrency Miner Checkin').cause, 'a device is mining cryptocurrency');
});

test('sensor --config, then incidents and devices from the store (text with advice, and JSON)', { skip: needSharedData(), timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-sensor-cfg-'));
  try {
    const db = `sqlite:${join(dir, 's.db')}`;
    const cfg = join(dir, 'sensor.json');
    writeFileSync(cfg, JSON.stringify({ read: [sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap')], db, eve: join(dir, 'eve.json'), sensor: 'cfg-sensor', flowEvents: false }));
    const r = await run(process.execPath, [MAIN, 'sensor', '--config', cfg]);
    assert.match(r.stderr, /stopped after \d+ packets, [1-9]\d* alerts/);
    const eve = lines(join(dir, 'eve.json')).map((l) => JSON.parse(l) as { event_type: string });
    assert.ok(eve.every((e) => e.event_type !== 'flow'), 'flowEvents: false from the config file');
    const text = (await run(process.execPath, [MAIN, 'incidents', '--db', db])).stdout;
    assert.match(text, /Monero Stratum mining session/);
    assert.match(text, /What to do:\n\s+- Find the program doing it on the device and remove it/);
    const inc = JSON.parse((await run(process.execPath, [MAIN, 'incidents', '--db', db, '--json'])).stdout) as Array<{ count: number; remediation: { steps: string[] } }>;
    assert.ok(inc.length >= 1 && inc[0].count >= 1 && inc[0].remediation.steps.length > 0);
    const dev = JSON.parse((await run(process.execPath, [MAIN, 'devices', '--db', db, '--json'])).stdout) as Array<{ ip: string; open_incidents: number }>;
    assert.ok(dev.some((d) => d.open_incidents >= 1), JSON.stringify(dev));
    // an unknown key in the config file is a clear config error
    writeFileSync(cfg, JSON.stringify({ interfaces: 'eth0' }));
    await assert.rejects(run(process.execPath, [MAIN, 'sensor', '--config', cfg]), (e: { stderr: string; code: number }) => /--config/.test(e.stderr) && e.code !== 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sensor --retention-days: events and incidents older than the limit are deleted at start', { skip: needSharedData(), timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-sensor-ret-'));
  try {
    const db = `sqlite:${join(dir, 's.db')}`;
    const input = sharedFile('mining/monero-xmrstak-dwarfpool-9050.pcap');
    await run(process.execPath, [MAIN, 'sensor', '--read', input, '--db', db, '--sensor', 'r']);
    const { openStore } = await import('../../src/store/index.js');
    const count = async (table: 'events' | 'incidents') => {
      const s = await openStore(db);
      try {
        return Number((await s.read.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      } finally {
        await s.close();
      }
    };
    assert.ok(await count('incidents') >= 1);
    const events = await count('events');
    // the capture is from 2016: a retention of 3650 days keeps it, one of 365 days removes it
    await run(process.execPath, [MAIN, 'sensor', '--read', input, '--db', db, '--sensor', 'r', '--retention-days', '3650']);
    assert.equal(await count('events'), events + 1, 'kept (and the replay stored nothing twice: one more stats event)');
    const r = await run(process.execPath, [MAIN, 'sensor', '--read', sharedFile('mining/monero-login-job-nanopool-14444.pcapng'), '--db', db, '--sensor', 'r', '--retention-days', '365']);
    assert.match(r.stderr, /retention: deleted [1-9]\d* events/);
    const { openStore: open2 } = await import('../../src/store/index.js');
    const s = await open2(db);
    try {
      const old = await s.read.selectFrom('events').select('ts').where('event_type', '=', 'alert').where('ts', '<', Date.now() - 365 * 86_400_000).execute();
      const oldInc = await s.read.selectFrom('incidents').select('id').where('last_ms', '<', Date.now() - 365 * 86_400_000).execute();
      // the third run's own alerts came after the retention pass; the first capture's are gone
      const third = await s.read.selectFrom('events').select('ts').where('event_type', '=', 'alert').execute();
      assert.ok(old.length === third.length && oldInc.length <= third.length, `${old.length} old alerts left, ${third.length} from the third run`);
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sensor --capture-backend: an unknown binding is one clear line and exit 2, from the flag or the config file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-sensor-backend-'));
  try {
    const db = `sqlite:${join(dir, 's.db')}`;
    const flag = await run(process.execPath, [MAIN, 'sensor', '--interface', 'lo', '--capture-backend', 'pfring', '--db', db]).then(() => null, (e: { code: number; stderr: string }) => e);
    assert.ok(flag);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--capture-backend must be auto, libpcap-batch or cap \(got "pfring"\)/);
    assert.equal(flag.stderr.trim().split('\n').length, 1, flag.stderr);
    const cfg = join(dir, 'sensor.json');
    writeFileSync(cfg, JSON.stringify({ interface: 'lo', captureBackend: 'pfring', db }));
    const file = await run(process.execPath, [MAIN, 'sensor', '--config', cfg]).then(() => null, (e: { code: number; stderr: string }) => e);
    assert.ok(file);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /captureBackend/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
