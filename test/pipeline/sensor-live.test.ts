/**
 * Live equivalence: the sensor capturing on an interface reports the same incidents, alerts
 * and devices as `minewatch analyze --db` on the same captures. The test creates a private
 * network namespace with a veth pair (nothing outside the namespace sees a packet), runs
 * `minewatch sensor --interface vs1` inside it and replays shared captures into vs0 with
 * tcpreplay. Needs root (CAP_NET_ADMIN/CAP_NET_RAW), iproute2 and tcpreplay (Debian packages
 * iproute2, tcpreplay); skipped loudly without them, failed under CI=true. It runs once per
 * libpcap binding: the native/pcap batch addon (skipped loudly when it is not built) and cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { needSharedData, sharedFile } from '../helpers/shared-data.js';
import { needNetns, watchChild } from '../helpers/netns.js';
import { openStore } from '../../src/store/index.js';
import { loadPcapAddon } from '../../src/capture/live-pcap.js';

const MAIN = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const run = promisify(execFile);
/**
 * Captures whose alerts do not depend on packet timing. tcpreplay --pps compresses the idle gaps
 * of a capture, so detectors that decide on time (the stratum detector's "login without work"
 * vs "mining session" on bitcoin-bfgminer-stratum-gbt-getwork.pcap, the encrypted-mining flow
 * shape) can legitimately decide otherwise live than offline; those captures are left out.
 */
const CAPTURES = [
  'mining/mixed-zcash-monero-eth-stratum.pcapng', 'mining/monero-login-submit-suprnova-5222.pcapng', 'mining/zcash-stratum-nanopool-6666.pcapng',
  'mining/eth-stratum-nanopool-9999.pcapng', 'mining/eth-getwork-over-http-80.pcapng', 'mining/monero-login-job-nanopool-14444.pcapng', 'mining/bitcoin-stratum-midstream-notify.pcap',
].map(sharedFile);

function canRun(): false | string {
  return needSharedData() || needNetns('live sensor test');
}

async function incidentsOf(db: string): Promise<{ incidents: string[]; alerts: string[]; devices: string[] }> {
  const s = await openStore(db);
  try {
    const incidents = (await s.read.selectFrom('incidents').select(['signature_id', 'src_ip', 'dest_ip', 'count']).execute()).map((r) => `${r.signature_id}|${r.src_ip}|${r.dest_ip}|${r.count}`).sort();
    const alerts = (await s.read.selectFrom('events').select(['signature_id', 'src_ip', 'src_port', 'dest_ip', 'dest_port']).where('event_type', '=', 'alert').execute())
      .map((r) => `${r.signature_id}|${r.src_ip}:${r.src_port}>${r.dest_ip}:${r.dest_port}`).sort();
    const devices = (await s.read.selectFrom('devices').select(['device_key', 'ip', 'mac', 'alerts']).execute()).map((r) => `${r.device_key}|${r.ip}|${r.mac}|${r.alerts}`).sort();
    return { incidents, alerts, devices };
  } finally {
    await s.close();
  }
}

/**
 * The default path: the batch addon when it is built, else cap (said loudly). cap is not run
 * when the addon exists: its ring of ~500 fixed 64 KiB frames drops packets unobservably when
 * the event loop stalls on a loaded machine (seen here: 40 of 1358 packets at 2000 pps, load 15),
 * which would make this test fail for cap's reason, not the pipeline's; cap's capture itself
 * is covered on lo by test/capture/live.test.ts.
 */
const backend = loadPcapAddon().addon ? 'libpcap-batch' : 'cap';
if (backend === 'cap') console.error(`\n*** live equivalence through cap, not the batch addon: ${loadPcapAddon().error} ***\n`);
test(`${backend}: live sensor in a network namespace (veth + tcpreplay) = analyze --db on the same captures`, { skip: canRun(), timeout: 180_000 }, async (t) => {
  const ns = `mw-sensor-${process.pid}-${backend === 'cap' ? 'c' : 'b'}`;
  const dir = mkdtempSync(join(tmpdir(), 'mw-sensor-live-'));
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  ip('netns', 'add', ns);
  try {
    // no IPv6 on the namespace's links: their own router solicitations and neighbour discovery
    // would otherwise be captured as two extra devices that the offline reference never sees
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { stdio: 'pipe' });
    ip('-n', ns, 'link', 'add', 'vs0', 'type', 'veth', 'peer', 'name', 'vs1');
    ip('-n', ns, 'link', 'set', 'vs0', 'up');
    ip('-n', ns, 'link', 'set', 'vs1', 'up');
    const liveDb = `sqlite:${join(dir, 'live.db')}`;
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, MAIN, 'sensor', '--interface', 'vs1', '--db', liveDb, '--sensor', 'live', '--stats-interval', '1', '--no-flow-events', '--capture-backend', backend], { stdio: ['ignore', 'ignore', 'pipe'] });
    const w = watchChild(child, 'sensor');
    const until = w.until;
    let sent = 0;
    try {
      await until(() => /started on vs1/.test(w.stderr), 'the sensor to start');
      const replay = await run('ip', ['netns', 'exec', ns, 'tcpreplay', '-i', 'vs0', '--pps', '2000', ...CAPTURES]);
      sent = [...replay.stdout.matchAll(/Actual: (\d+) packets/g)].reduce((s, m) => s + Number(m[1]), 0);
      assert.ok(sent > 1000, `tcpreplay sent ${sent} packets`);
      // every replayed packet has reached the pipeline (the link adds a few of its own: IPv6 RS)
      await until(() => [...w.stderr.matchAll(/health packets=(\d+)/g)].some((m) => Number(m[1]) >= sent), `${sent} packets to be seen`);
      child.kill('SIGTERM');
      assert.equal(await w.exited, 0, w.stderr);
    } finally {
      child.kill('SIGKILL');
    }
    const refDb = `sqlite:${join(dir, 'ref.db')}`;
    await run(process.execPath, [MAIN, 'analyze', ...CAPTURES, '--db', refDb, '--sensor', 'ref', '-q']);
    const live = await incidentsOf(liveDb);
    const ref = await incidentsOf(refDb);
    assert.ok(ref.incidents.length >= 5, `${ref.incidents.length} reference incidents`);
    assert.deepEqual(live.incidents, ref.incidents, 'the same incidents with the same counts');
    assert.deepEqual(live.alerts, ref.alerts, 'the same alerts');
    assert.deepEqual(live.devices, ref.devices, 'the same devices');
    const dropped = /dropped=(\d+)/.exec(w.stderr);
    const health = [...w.stderr.matchAll(/health .*$/gm)].at(-1)?.[0] ?? '';
    assert.match(health, new RegExp(`capture=${backend} `), health);
    if (backend === 'libpcap-batch') {
      // libpcap's own counters: the kernel received at least what tcpreplay sent, and dropped nothing
      const ps = /pcap_received=(\d+) pcap_dropped=(\d+) pcap_ifdropped=(\d+)/.exec(health);
      assert.ok(ps, health);
      assert.ok(Number(ps[1]) >= sent, `pcap_received ${ps[1]} < sent ${sent}`);
      assert.equal(Number(ps[2]), 0, health);
    } else assert.doesNotMatch(health, /pcap_received/);
    t.diagnostic(`${backend}: ${CAPTURES.length} captures, ${ref.alerts.length} alerts, ${ref.incidents.length} incidents, ${ref.devices.length} devices: identical live and offline; sensor-side drops ${dropped?.[1] ?? '?'}; ${health}`);
  } finally {
    try { ip('netns', 'del', ns); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});
