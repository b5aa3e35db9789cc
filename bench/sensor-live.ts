/**
 * Live capture throughput of `minewatch sensor --interface`: a private network namespace with a
 * veth pair, the sensor on vs1 (its Prometheus endpoint inside the namespace), and tcpreplay
 * sending a generated mixed home capture into vs0 at increasing rates. For each rate: packets
 * tcpreplay sent, packets the sensor's pipeline saw (minewatch_sensor_packets_total before and
 * after), the loss, and the sensor's own drops. cap exposes no pcap_stats, so kernel drops are
 * measured as sent − seen. Needs root, iproute2, tcpreplay.
 *
 *   node dist/bench/sensor-live.js [--size 64MB] [--rates 100,200,400,800,1600,0]   (0 = tcpreplay --topspeed)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve(import.meta.dirname, '..', 'src', 'cli', 'main.js');
const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const size = arg('--size', '64MB');
const rates = arg('--rates', '100,200,400,800,1600,0').split(',').map(Number);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-live-'));
  const ns = `mw-bench-${process.pid}`;
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  const pcap = join(dir, 'mixed.pcap');
  execFileSync(process.execPath, [MAIN, 'synth', 'mixed', '--size', size, '-o', pcap, '-q']);
  ip('netns', 'add', ns);
  try {
    ip('-n', ns, 'link', 'add', 'vs0', 'type', 'veth', 'peer', 'name', 'vs1');
    ip('-n', ns, 'link', 'set', 'vs0', 'mtu', '9000', 'up');
    ip('-n', ns, 'link', 'set', 'vs1', 'mtu', '9000', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, MAIN, 'sensor', '--interface', 'vs1', '--db', `sqlite:${join(dir, 's.db')}`,
      '--metrics', '127.0.0.1:9109', '--no-flow-events', '--stats-interval', '3600'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const end = Date.now() + 30_000;
    while (!/started on vs1/.test(stderr)) {
      if (Date.now() > end) throw new Error(`sensor did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const metric = (name: string): number => {
      const text = execFileSync('ip', ['netns', 'exec', ns, 'curl', '-s', 'http://127.0.0.1:9109/metrics']).toString();
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : NaN;
    };
    console.log(`| rate (Mb/s) | achieved Mb/s | sent pkts | seen pkts | loss % | sensor drops | sensor kpps |`);
    console.log(`|---|---|---|---|---|---|---|`);
    for (const rate of rates) {
      const before = metric('minewatch_sensor_packets_total');
      const dropsBefore = metric('minewatch_sensor_capture_dropped_total');
      const t0 = Date.now();
      const out = execFileSync('ip', ['netns', 'exec', ns, 'tcpreplay', '-i', 'vs0', ...(rate > 0 ? ['--mbps', String(rate)] : ['--topspeed']), pcap]).toString();
      const sent = Number(/Actual: (\d+) packets/.exec(out)?.[1] ?? NaN);
      const achieved = Number(/Rated: [\d.]+ Bps, ([\d.]+) Mbps/.exec(out)?.[1] ?? NaN);
      // let the pipeline drain what libpcap already delivered
      let seen = 0;
      for (let last = -1; ;) {
        await new Promise((r) => setTimeout(r, 500));
        seen = metric('minewatch_sensor_packets_total') - before;
        if (seen === last) break;
        last = seen;
      }
      const secs = (Date.now() - t0) / 1000;
      const drops = metric('minewatch_sensor_capture_dropped_total') - dropsBefore;
      console.log(`| ${rate > 0 ? rate : 'topspeed'} | ${achieved} | ${sent} | ${seen} | ${(100 * Math.max(0, sent - seen) / sent).toFixed(2)} | ${drops} | ${(seen / secs / 1000).toFixed(0)} |`);
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  } finally {
    try { ip('netns', 'del', ns); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
