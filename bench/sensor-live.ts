/**
 * Live capture throughput of `minewatch sensor --interface`, per libpcap binding: a private
 * network namespace with one veth pair per backend (vb0→vb1: the native/pcap batch addon,
 * vc0→vc1: cap), one sensor on each receiving end (Prometheus inside the namespace), and
 * tcpreplay sending a generated mixed home capture at increasing rates, alternating the
 * backends at each rate (paired runs on a loaded machine). Per run: packets tcpreplay sent,
 * packets the pipeline saw, loss = sent − seen, libpcap's own pcap_stats drops (addon only),
 * the sensor's user-space drops (cap only), and the sensor's CPU per packet
 * (process_cpu_seconds_total over the run / packets seen). Needs root, iproute2, tcpreplay.
 *
 * "sensor Mb/s" is the bytes the pipeline counted over the time from the replay's start until it
 * had drained everything (so a sensor that falls behind and catches up from the ring shows a
 * lower figure than tcpreplay's achieved rate).
 *
 *   node dist/bench/sensor-live.js [--size 64MB] [--loop 1] [--rates 100,200,400,800,1600,0] [--backends libpcap-batch,cap] [--cpu-prof DIR]   (0 = --topspeed)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readArgs } from './lib/args.js';

const MAIN = resolve(import.meta.dirname, '..', 'src', 'cli', 'main.js');
const { value: arg } = readArgs();
const size = arg('--size', '64MB');
const rates = arg('--rates', '100,200,400,800,1600,0').split(',').map(Number);
const backends = arg('--backends', 'libpcap-batch,cap').split(',');
/** tcpreplay --loop: replay the capture N times, so a run outlasts what the 64 MiB kernel ring can absorb. */
const loop = Number(arg('--loop', '1'));
/** --cpu-prof DIR: run each sensor under node --cpu-prof (a .cpuprofile per backend in DIR, written when it stops). */
const cpuProf = arg('--cpu-prof', '');

interface Sensor { backend: string; tx: string; port: number; child: ChildProcess; stderr: string }

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-live-'));
  const ns = `mw-bench-${process.pid}`;
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  const pcap = join(dir, 'mixed.pcap');
  execFileSync(process.execPath, [MAIN, 'synth', 'mixed', '--size', size, '-o', pcap, '-q']);
  ip('netns', 'add', ns);
  const sensors: Sensor[] = [];
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    // no IPv6 on the veths: their own neighbour discovery would count as packets nobody sent
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { stdio: 'pipe' });
    for (const [k, backend] of backends.entries()) {
      const tx = `vx${k}a`;
      const rx = `vx${k}b`;
      ip('-n', ns, 'link', 'add', tx, 'type', 'veth', 'peer', 'name', rx);
      ip('-n', ns, 'link', 'set', tx, 'mtu', '9000', 'up');
      ip('-n', ns, 'link', 'set', rx, 'mtu', '9000', 'up');
      const port = 9109 + k;
      const prof = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf), '--cpu-prof-name', `sensor-${backend}.cpuprofile`] : [];
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...prof, MAIN, 'sensor', '--interface', rx, '--capture-backend', backend,
        '--db', `sqlite:${join(dir, `s${k}.db`)}`, '--metrics', `127.0.0.1:${port}`, '--no-flow-events', '--stats-interval', '3600'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
      const s: Sensor = { backend, tx, port, child, stderr: '' };
      child.stderr!.on('data', (d: Buffer) => { s.stderr += d.toString(); });
      sensors.push(s);
    }
    for (const s of sensors) {
      const end = Date.now() + 60_000;
      while (!/started on vx/.test(s.stderr)) {
        if (Date.now() > end || s.child.exitCode !== null) throw new Error(`sensor (${s.backend}) did not start:\n${s.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const metrics = (s: Sensor) => {
      const text = execFileSync('ip', ['netns', 'exec', ns, 'curl', '-s', `http://127.0.0.1:${s.port}/metrics`]).toString();
      return (name: string): number => {
        const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
        return m ? Number(m[1]) : NaN;
      };
    };
    console.log(`| backend | rate (Mb/s) | achieved Mb/s | sent pkts | seen pkts | loss % | pcap_stats dropped | user-space drops | sensor Mb/s | sensor CPU µs/pkt |`);
    console.log(`|---|---|---|---|---|---|---|---|---|---|`);
    for (const rate of rates) {
      for (const s of sensors) {
        const m0 = metrics(s);
        const before = m0('minewatch_sensor_packets_total');
        const cpu0 = m0('process_cpu_seconds_total');
        const bytes0 = m0('minewatch_sensor_bytes_total');
        const t0 = Date.now();
        const out = execFileSync('ip', ['netns', 'exec', ns, 'tcpreplay', '-i', s.tx, ...(rate > 0 ? ['--mbps', String(rate)] : ['--topspeed']), ...(loop > 1 ? ['--loop', String(loop)] : []), pcap]).toString();
        const sent = Number(/Actual: (\d+) packets/.exec(out)?.[1] ?? NaN);
        const achieved = Number(/Rated: [\d.]+ Bps, ([\d.]+) Mbps/.exec(out)?.[1] ?? NaN);
        // let the pipeline drain what libpcap already delivered
        let seen = 0;
        let drained = Date.now();
        for (let last = -1; ;) {
          await new Promise((r) => setTimeout(r, 250));
          seen = metrics(s)('minewatch_sensor_packets_total') - before;
          if (seen === last) break;
          last = seen;
          drained = Date.now();
        }
        const m1 = metrics(s);
        const pcapDrops = m1('minewatch_sensor_pcap_dropped_total') - m0('minewatch_sensor_pcap_dropped_total');
        const userDrops = m1('minewatch_sensor_capture_dropped_total') - m0('minewatch_sensor_capture_dropped_total');
        const cpuUs = ((m1('process_cpu_seconds_total') - cpu0) * 1e6) / Math.max(1, seen);
        // the last poll that still saw new packets bounds the drain time from above (250 ms steps)
        const sensorMbps = ((m1('minewatch_sensor_bytes_total') - bytes0) * 8) / ((drained - t0) / 1000) / 1e6;
        console.log(`| ${s.backend} | ${rate > 0 ? rate : 'topspeed'} | ${achieved} | ${sent} | ${seen} | ${(100 * Math.max(0, sent - seen) / sent).toFixed(2)} | ` +
          `${Number.isNaN(pcapDrops) ? 'n/a' : pcapDrops} | ${userDrops} | ${sensorMbps.toFixed(0)} | ${cpuUs.toFixed(2)} |`);
      }
    }
  } finally {
    for (const s of sensors) {
      s.child.kill('SIGTERM');
      if (s.child.exitCode === null) await new Promise((r) => s.child.once('exit', r));
    }
    try { ip('netns', 'del', ns); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
