/**
 * The collector under load (`npm run bench -- --only collector`): N simulated sensors post
 * batches of realistic alert events (500 a batch, gzip, as the sender does) over loopback to
 * `minewatch server` running as its own process, for a bounded time, and measure sustained
 * acknowledged events/s and the p50/p99 acknowledgement latency:
 *
 * - sqlite / postgres: the embedded path (ingest writes through to the store);
 * - jetstream-publish: the JetStreamSink alone (what an ingest node does after validation);
 * - jetstream: `server --nats --role ingest` (acknowledges after JetStream's PubAck, file
 *   storage, a private nats-server) with a `--role writer` process writing to PostgreSQL at the
 *   same time; reports ingest accepted/s and how long the writer needed to catch up.
 *
 * Each round runs every target once at full speed (closed loop: each sensor posts its next
 * batch when the previous one is acknowledged), in the same order, and, for the embedded
 * targets, once more at half that rate (open loop) for the latency at half load. The table
 * gives the medians of the rounds, and the storage per event after the last round.
 *
 *   npm run bench -- --only collector [--collector-rounds 3] [--collector-seconds 8] [--sensors 8] [--targets sqlite,postgres,jetstream]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { openStore } from '../src/store/open.js';
import { eventBytes } from '../src/store/retention.js';
import { createOrg, createToken } from '../src/store/identity.js';
import { connectNats, ensureIngestStream, JetStreamSink, writerLag } from '../src/transport/jetstream.js';
import type { EventBatch, StoredEvent } from '../src/store/contract.js';
import { gunzipSync } from 'node:zlib';
import { uuidv7 } from '../src/transport/uuidv7.js';
import { alertEvent } from '../test/helpers/collector.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { findBinary, freePort, waitForPort } from '../test/helpers/servers.js';
import { median, percentile } from './lib/stats.js';
import { readArgs } from './lib/args.js';

const DETECTORS = ['stratum', 'pool-dns', 'pool-tls', 'browser-miner', 'scan', 'bruteforce', 'redis-exploit', 'mining-encrypted'];

interface Opts {
  cli: string;
  rounds: number;
  seconds: number;
  sensors: number;
  targets: string[];
}

interface RunResult {
  events: number;
  seconds: number;
  latencies: number[];
  errors: number;
  retries429: number;
}

interface TargetRow {
  target: string;
  max: number[];
  p50: number[];
  p99: number[];
  halfRate: number[];
  halfP50: number[];
  halfP99: number[];
  catchUpS: number[];
  writerRate: number[];
  /** Events per CPU-second of the collector process(es): robust to other jobs on the machine. */
  perCpu: number[];
  bytesPerEvent?: number;
  stored?: number;
}

/** User + system CPU seconds a process used so far (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Bodies of 500 realistic alerts (varied sources, pools, ports, detectors, timestamps), gzipped. */
function makeBodies(n: number, perBatch: number): Buffer[] {
  const bodies: Buffer[] = [];
  const base = Date.now() - 6 * 3_600_000;
  let i = 0;
  for (let b = 0; b < n; b++) {
    const events: string[] = [];
    for (let k = 0; k < perBatch; k++, i++) {
      const ev = alertEvent(i, base + i * 37);
      const mw = ev.minewatch as Record<string, unknown>;
      mw.detector = DETECTORS[i % DETECTORS.length];
      mw.event_id = uuidv7();
      events.push(JSON.stringify(ev));
    }
    bodies.push(gzipSync(`{"events":[${events.join(',')}]}`, { level: 1 }));
  }
  return bodies;
}

function post(port: number, agent: Agent, token: string, body: Buffer, batchId: string): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1', port, path: '/api/v1/ingest', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length, authorization: `Bearer ${token}`, 'x-minewatch-batch-id': batchId },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0) }));
    });
    req.on('error', () => resolve({ status: 0, retryAfter: 0 }));
    req.end(body);
  });
}

/**
 * N sensors for `seconds`: closed loop (`rate` undefined) or open loop at `rate` events/s in
 * total. Each (sensor, body) pair is sent at most once, so every event is new to the store.
 */
async function drive(port: number, tokens: string[], bodies: Buffer[], perBatch: number, seconds: number, rate?: number): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: tokens.length * 2 });
  const latencies: number[] = [];
  let events = 0;
  let errors = 0;
  let retries429 = 0;
  const start = Date.now();
  const end = start + seconds * 1000;
  const interval = rate ? (perBatch * tokens.length * 1000) / rate : 0; // ms between one sensor's batches
  const sensor = async (k: number): Promise<void> => {
    let next = start + (interval * k) / tokens.length;
    for (let j = 0; j < bodies.length && Date.now() < end; j++) {
      if (rate) {
        const wait = next - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next += interval;
        if (Date.now() >= end) break;
      }
      const t0 = performance.now();
      for (;;) {
        const r = await post(port, agent, tokens[k], bodies[j], uuidv7());
        if (r.status === 200) {
          latencies.push(performance.now() - t0);
          events += perBatch;
          break;
        }
        if (r.status === 429 || r.status === 503) {
          retries429++;
          await new Promise((res) => setTimeout(res, Math.max(50, r.retryAfter * 1000)));
          continue;
        }
        errors++;
        break;
      }
    }
  };
  await Promise.all(tokens.map((_, k) => sensor(k)));
  const secs = (Date.now() - start) / 1000;
  agent.destroy();
  return { events, seconds: secs, latencies, errors, retries429 };
}

function spawnCli(cli: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function stopChild(c: ChildProcess | null): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

interface Env {
  db: string;
  tokens: string[];
  cleanup: () => Promise<void>;
}

async function prepareDb(target: string, sensors: number): Promise<Env | string> {
  let url: string;
  let drop: () => Promise<void>;
  if (target === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mw-bench-collector-'));
    url = `sqlite:${join(dir, 'collector.db')}`;
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const db = await createTestDatabase(`mw_bench_${target}`);
    if (typeof db === 'string') return db;
    url = db.url;
    drop = () => db.drop();
  }
  const store = await openStore(url);
  await createOrg(store, 'bench-isp', {});
  const tokens: string[] = [];
  for (let s = 0; s < sensors; s++) tokens.push((await createToken(store, `sensor-${s}`, 'bench-isp')).token);
  await store.close();
  return { db: url, tokens, cleanup: drop };
}

async function storage(url: string): Promise<{ stored: number; bytesPerEvent: number }> {
  const store = await openStore(url, { migrate: false });
  try {
    const r = await sql<{ n: number }>`SELECT count(*) AS n FROM events`.execute(store.db);
    const stored = Number(r.rows[0]?.n ?? 0);
    return { stored, bytesPerEvent: stored > 0 ? (await eventBytes(store)) / stored : NaN };
  } finally {
    await store.close();
  }
}

async function startNats(): Promise<{ url: string; stop: () => Promise<void> } | string> {
  const bin = findBinary('nats-server');
  if (!bin) return 'nats-server not found';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-nats-'));
  const child = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  if (!(await waitForPort(port, 10_000))) return 'nats-server did not start';
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function embeddedRound(o: Opts, target: string, row: TargetRow, bodies: Buffer[], perBatch: number, last: boolean): Promise<void> {
  const env = await prepareDb(target, o.sensors);
  if (typeof env === 'string') {
    process.stderr.write(`bench collector: ${target} skipped: ${env}\n`);
    return;
  }
  const port = await freePort();
  const server = spawnCli(o.cli, ['server', '--db', env.db, '--listen', `127.0.0.1:${port}`, '--no-geo']);
  try {
    if (!(await waitForPort(port, 60_000))) throw new Error(`${target}: the collector did not start`);
    const half = Math.floor(bodies.length / 2);
    const cpu0 = cpuSeconds(server.pid);
    const full = await drive(port, env.tokens, bodies.slice(0, half), perBatch, o.seconds);
    row.perCpu.push(full.events / (cpuSeconds(server.pid) - cpu0));
    const maxRate = full.events / full.seconds;
    row.max.push(maxRate);
    row.p50.push(percentile(full.latencies, 50, 'above'));
    row.p99.push(percentile(full.latencies, 99, 'above'));
    const halfRun = await drive(port, env.tokens, bodies.slice(half), perBatch, o.seconds, maxRate / 2);
    row.halfRate.push(halfRun.events / halfRun.seconds);
    row.halfP50.push(percentile(halfRun.latencies, 50, 'above'));
    row.halfP99.push(percentile(halfRun.latencies, 99, 'above'));
    process.stderr.write(`bench collector: ${target}: ${Math.round(maxRate)} events/s (p99 ${percentile(full.latencies, 99, 'above').toFixed(1)} ms); at half: p99 ${percentile(halfRun.latencies, 99, 'above').toFixed(1)} ms; ${full.retries429 + halfRun.retries429} 429/503, ${full.errors + halfRun.errors} errors\n`);
    await stopChild(server);
    if (last) Object.assign(row, await storage(env.db));
  } finally {
    await stopChild(server);
    await env.cleanup();
  }
}

async function jetstreamRound(o: Opts, row: TargetRow, bodies: Buffer[], perBatch: number, last: boolean): Promise<void> {
  const nats = await startNats();
  if (typeof nats === 'string') {
    process.stderr.write(`bench collector: jetstream skipped: ${nats}\n`);
    return;
  }
  const env = await prepareDb('postgres', o.sensors);
  if (typeof env === 'string') {
    await nats.stop();
    process.stderr.write(`bench collector: jetstream skipped: ${env}\n`);
    return;
  }
  const port = await freePort();
  const ingest = spawnCli(o.cli, ['server', '--db', env.db, '--listen', `127.0.0.1:${port}`, '--no-geo', '--nats', nats.url, '--role', 'ingest']);
  let writer: ChildProcess | null = null;
  const nc = await connectNats(nats.url, 'bench');
  try {
    if (!(await waitForPort(port, 60_000))) throw new Error('jetstream: the ingest server did not start');
    writer = spawnCli(o.cli, ['server', '--db', env.db, '--no-geo', '--nats', nats.url, '--role', 'writer']);
    const t0 = Date.now();
    const cpu0 = cpuSeconds(ingest.pid);
    const full = await drive(port, env.tokens, bodies, perBatch, o.seconds);
    row.perCpu.push(full.events / (cpuSeconds(ingest.pid) - cpu0));
    const rate = full.events / full.seconds;
    row.max.push(rate);
    row.p50.push(percentile(full.latencies, 50, 'above'));
    row.p99.push(percentile(full.latencies, 99, 'above'));
    const loadEnd = Date.now();
    // the writer catches up: the stream empties (work queue) once everything is written
    const deadline = Date.now() + 600_000;
    for (;;) {
      const lag = await writerLag(nc).catch(() => null);
      if (lag && lag.pending === 0 && lag.ackPending === 0) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const caughtUp = (Date.now() - loadEnd) / 1000;
    row.catchUpS.push(caughtUp);
    row.writerRate.push(full.events / ((Date.now() - t0) / 1000));
    process.stderr.write(`bench collector: jetstream: ${Math.round(rate)} events/s accepted (p99 ${percentile(full.latencies, 99, 'above').toFixed(1)} ms); writer caught up ${caughtUp.toFixed(1)} s after the load (${Math.round(full.events / ((Date.now() - t0) / 1000))} events/s written); ${full.retries429} 429/503, ${full.errors} errors\n`);
    await stopChild(writer);
    await stopChild(ingest);
    if (last) Object.assign(row, await storage(env.db));
  } finally {
    await nc.close().catch(() => {});
    await stopChild(writer);
    await stopChild(ingest);
    await env.cleanup();
    await nats.stop();
  }
}

/**
 * The JetStream publish path alone: validated batches handed to JetStreamSink by as many
 * concurrent submitters as sensors (what ingest nodes do after parsing and validating), PubAck
 * latency and accepted events/s; no HTTP, no writer.
 */
async function publishRound(o: Opts, row: TargetRow, bodies: Buffer[], perBatch: number): Promise<void> {
  const nats = await startNats();
  if (typeof nats === 'string') {
    process.stderr.write(`bench collector: jetstream-publish skipped: ${nats}\n`);
    return;
  }
  const nc = await connectNats(nats.url, 'bench-publish');
  try {
    await ensureIngestStream(nc, { replicas: 1 });
    const sink = new JetStreamSink(nc);
    const batches: EventBatch[] = bodies.map((b, k) => ({ batchId: uuidv7(), orgId: '1', sensorId: String(k % o.sensors), events: (JSON.parse(gunzipSync(b).toString('utf8')) as { events: StoredEvent[] }).events }));
    const latencies: number[] = [];
    let events = 0;
    let next = 0;
    const start = Date.now();
    const end = start + o.seconds * 1000;
    const cpu0 = process.cpuUsage();
    await Promise.all(Array.from({ length: o.sensors }, async () => {
      while (Date.now() < end && next < batches.length) {
        const b = batches[next++];
        const t0 = performance.now();
        await sink.submit(b);
        latencies.push(performance.now() - t0);
        events += perBatch;
      }
    }));
    const rate = events / ((Date.now() - start) / 1000);
    const cpu = process.cpuUsage(cpu0);
    row.perCpu.push(events / ((cpu.user + cpu.system) / 1e6));
    row.max.push(rate);
    row.p50.push(percentile(latencies, 50, 'above'));
    row.p99.push(percentile(latencies, 99, 'above'));
    process.stderr.write(`bench collector: jetstream-publish: ${Math.round(rate)} events/s accepted (PubAck p99 ${percentile(latencies, 99, 'above').toFixed(1)} ms)\n`);
  } finally {
    await nc.close().catch(() => {});
    await nats.stop();
  }
}

export async function runCollectorBench(args: readonly string[], cli: string): Promise<string> {
  const { value } = readArgs(args);
  const o: Opts = {
    cli,
    rounds: Number(value('--collector-rounds', '3')),
    seconds: Number(value('--collector-seconds', '8')),
    sensors: Number(value('--sensors', '8')),
    targets: value('--targets', 'sqlite,postgres,jetstream,jetstream-publish').split(','),
  };
  if (!existsSync(cli)) throw new Error(`${cli} missing: npm run build first`);
  const perBatch = 500;
  // enough distinct batches per sensor for the run at well above the targets
  const nBodies = Number(value('--bodies', '240'));
  process.stderr.write(`bench collector: preparing ${nBodies} batches of ${perBatch} alerts …\n`);
  const bodies = makeBodies(nBodies, perBatch);
  const rawBytes = JSON.stringify(alertEvent(7, Date.now())).length;
  const rows = new Map<string, TargetRow>(o.targets.map((t) => [t, { target: t, max: [], p50: [], p99: [], halfRate: [], halfP50: [], halfP99: [], catchUpS: [], writerRate: [], perCpu: [] }]));
  for (let round = 0; round < o.rounds; round++) {
    const last = round === o.rounds - 1;
    for (const t of o.targets) {
      const row = rows.get(t)!;
      if (t === 'jetstream') await jetstreamRound(o, row, bodies, perBatch, last);
      else if (t === 'jetstream-publish') await publishRound(o, row, bodies, perBatch);
      else await embeddedRound(o, t, row, bodies, perBatch, last);
    }
    process.stderr.write(`bench collector: round ${round + 1} of ${o.rounds} done\n`);
  }
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');
  let md = `Collector load: ${o.sensors} sensors on loopback, batches of ${perBatch} alerts (~${rawBytes} bytes of JSON each, gzip), ${o.seconds} s per run, median of ${o.rounds} rounds (targets in turn each round). The collector is \`minewatch server\` in its own process; events per CPU-second counts only that process's CPU time (for the publish row: the publishing process), so it is what one otherwise idle core would sustain.\n\n`;
  md += '| path | events/s (full speed) | events per CPU-second of the collector process | ack p50 / p99 ms | at half rate: events/s | ack p50 / p99 ms | writer caught up after | storage bytes/event |\n|---|---|---|---|---|---|---|---|\n';
  for (const r of rows.values()) {
    if (r.max.length === 0) continue;
    const name = r.target === 'jetstream' ? 'JetStream: HTTP ingest (accepted) → writer → PostgreSQL' : r.target === 'jetstream-publish' ? 'JetStream: publish alone (validated batches → PubAck, file storage)' : r.target === 'sqlite' ? 'SQLite (embedded)' : 'PostgreSQL (embedded)';
    const catchUp = r.catchUpS.length ? `${f(median(r.catchUpS), 1)} s (${f(median(r.writerRate))} events/s written)` : '';
    md += `| ${name} | ${f(median(r.max))} | ${f(median(r.perCpu))} | ${f(median(r.p50), 1)} / ${f(median(r.p99), 1)} | ${r.halfRate.length ? f(median(r.halfRate)) : ''} | ${r.halfRate.length ? `${f(median(r.halfP50), 1)} / ${f(median(r.halfP99), 1)}` : ''} | ${catchUp} | ${r.bytesPerEvent !== undefined ? `${f(r.bytesPerEvent)} (${f(r.stored ?? 0)} events)` : ''} |\n`;
  }
  return md;
}
