/**
 * NATS JetStream for tests: the server named by MINEWATCH_TEST_NATS_URL, else the one on
 * 127.0.0.1:4222 when it answers with JetStream (this machine and CI), else a private
 * `nats-server -js` on a free port in a temp dir, else a loud skip (a failure under CI=true).
 * `startNatsCluster` always starts its own nodes (routes on loopback ports, temp dirs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { findBinary, freePort, missing, waitForPort } from './servers.js';

export interface NatsForTest {
  url: string;
  stop(): Promise<void>;
}

async function hasJetStream(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 2000, maxReconnectAttempts: 0 });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

function nodeProcess(bin: string, args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 16_384) err = err.slice(-8192);
  });
  return { child, stderr: () => err };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** A NATS server with JetStream, or a skip reason. */
export async function natsServer(): Promise<NatsForTest | string> {
  const env = process.env.MINEWATCH_TEST_NATS_URL;
  if (env) return { url: env, stop: async () => {} };
  if (await hasJetStream('nats://127.0.0.1:4222')) return { url: 'nats://127.0.0.1:4222', stop: async () => {} };
  const bin = findBinary('nats-server');
  if (!bin) return missing('NATS with JetStream (127.0.0.1:4222, MINEWATCH_TEST_NATS_URL, or the nats-server binary)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mw-nats-'));
  const { child, stderr } = nodeProcess(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir]);
  const stop = async () => {
    await kill(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  if (!(await waitForPort(port)) || !(await hasJetStream(`nats://127.0.0.1:${port}`))) {
    await stop();
    return missing(`a private nats-server -js (${stderr().trim().slice(0, 300)})`);
  }
  return { url: `nats://127.0.0.1:${port}`, stop };
}

export interface ClusterNode {
  name: string;
  url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

export interface NatsCluster {
  nodes: ClusterNode[];
  urls: string[];
  stop(): Promise<void>;
}

/** A cluster of `n` nats-server nodes with JetStream on loopback, routes between all of them. */
export async function startNatsCluster(n = 3): Promise<NatsCluster | string> {
  const bin = findBinary('nats-server');
  if (!bin) return missing('the nats-server binary (Debian package nats-server) for the cluster test');
  const dir = mkdtempSync(join(tmpdir(), 'mw-nats-cluster-'));
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const cports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const children: Array<ChildProcess | null> = Array.from({ length: n }, () => null);
  const logs: Array<() => string> = [];
  const nodes: ClusterNode[] = ports.map((port, i) => {
    const name = `mw-n${i + 1}`;
    const conf = join(dir, `${name}.conf`);
    writeFileSync(conf, [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${port}`,
      `jetstream { store_dir: "${join(dir, name)}" }`,
      'cluster {',
      '  name: mw-test',
      `  listen: 127.0.0.1:${cports[i]}`,
      `  routes: [${cports.filter((_, k) => k !== i).map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]`,
      '}',
      '',
    ].join('\n'));
    const node: ClusterNode = {
      name,
      url: `nats://127.0.0.1:${port}`,
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        const c = children[i];
        children[i] = null;
        if (c) await kill(c, signal);
      },
      async start() {
        if (children[i]) return;
        const p = nodeProcess(bin, ['-c', conf]);
        children[i] = p.child;
        logs[i] = p.stderr;
        if (!(await waitForPort(port, 15_000))) throw new Error(`nats node ${name} did not start: ${p.stderr().slice(-500)}`);
      },
    };
    return node;
  });
  const stop = async () => {
    await Promise.all(nodes.map((x) => x.kill('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((x) => x.start()));
    // wait for the JetStream meta group to have a leader (all nodes routed)
    const deadline = Date.now() + 30_000;
    while (!(await hasJetStream(nodes[0].url))) {
      if (Date.now() > deadline) throw new Error(`JetStream cluster did not form: ${logs.map((l) => l().slice(-300)).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await stop();
    if (process.env.CI === 'true') throw err;
    return missing(`a 3-node nats-server cluster (${(err as Error).message.slice(0, 300)})`);
  }
  return { nodes, urls: nodes.map((x) => x.url), stop };
}
