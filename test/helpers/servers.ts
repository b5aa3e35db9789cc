/**
 * Private real servers for integration tests, on 127.0.0.1 with a free port and a temp dir.
 * Each helper first takes a server from an environment variable (so CI or a developer can
 * point at their own), else starts a private instance when the binary exists, else returns
 * a skip reason (printed loudly) — except under CI=true, where a missing binary throws so a
 * run without the server cannot pass.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestServer {
  host: string;
  port: number;
  /** Credentials the server was set up with, when it has any. */
  username?: string;
  password?: string;
  /** True when the server came from an environment variable (not ours to configure). */
  external: boolean;
  stop(): Promise<void>;
}

/** A skip reason, or throws under CI=true. */
export function missing(what: string): string {
  const msg = `${what} not available`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`);
  console.error(`\n*** SKIPPING: ${msg} ***\n`);
  return msg;
}

export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Poll until the port accepts a TCP connection (bounded). */
export async function waitForPort(port: number, timeoutMs = 8000, host = '127.0.0.1'): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s: Socket = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function fromEnv(name: string): TestServer | null {
  const v = process.env[name];
  if (!v) return null;
  const u = new URL(v);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    external: true,
    stop: async () => {},
  };
}

function stopProcess(child: ChildProcess, dir: string | null): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

async function startDaemon(binary: string, args: string[], port: number, dir: string, what: string): Promise<TestServer | string> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const stop = stopProcess(child, dir);
  if (!(await waitForPort(port))) {
    await stop();
    const msg = `${what} did not start on 127.0.0.1:${port}: ${stderr.trim().slice(0, 500)}`;
    if (process.env.CI === 'true') throw new Error(msg);
    console.error(`\n*** SKIPPING: ${msg} ***\n`);
    return msg;
  }
  return { host: '127.0.0.1', port, external: false, stop };
}

/** redis-server, optionally with requirepass. Env: MINEWATCH_TEST_REDIS_URL / MINEWATCH_TEST_REDIS_AUTH_URL. */
export async function startRedis(opts: { password?: string } = {}): Promise<TestServer | string> {
  const env = fromEnv(opts.password ? 'MINEWATCH_TEST_REDIS_AUTH_URL' : 'MINEWATCH_TEST_REDIS_URL');
  if (env) return env;
  const bin = findBinary('redis-server');
  if (!bin) return missing('redis-server (Debian package redis-server)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mw-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no'];
  if (opts.password) args.push('--requirepass', opts.password);
  const s = await startDaemon(bin, args, port, dir, 'redis-server');
  if (typeof s !== 'string') s.password = opts.password;
  return s;
}

/**
 * mosquitto with allow_anonymous true, or with a password file when `users` are given.
 * Env: MINEWATCH_TEST_MQTT_URL / MINEWATCH_TEST_MQTT_AUTH_URL.
 */
export async function startMosquitto(opts: { users?: Array<{ username: string; password: string }> } = {}): Promise<TestServer | string> {
  const withUsers = (opts.users?.length ?? 0) > 0;
  const env = fromEnv(withUsers ? 'MINEWATCH_TEST_MQTT_AUTH_URL' : 'MINEWATCH_TEST_MQTT_URL');
  if (env) return env;
  const bin = findBinary('mosquitto');
  if (!bin) return missing('mosquitto (Debian package mosquitto)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mw-mqtt-'));
  chmodSync(dir, 0o755);
  const conf = join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest none'];
  if (withUsers) {
    const passwd = findBinary('mosquitto_passwd');
    if (!passwd) return missing('mosquitto_passwd (Debian package mosquitto)');
    const file = join(dir, 'passwd');
    for (const [i, u] of opts.users!.entries()) spawnSync(passwd, [...(i === 0 ? ['-c'] : []), '-b', file, u.username, u.password]);
    chmodSync(file, 0o644);
    lines.push('allow_anonymous false', `password_file ${file}`);
  } else {
    lines.push('allow_anonymous true');
  }
  writeFileSync(conf, `${lines.join('\n')}\n`);
  return startDaemon(bin, ['-c', conf], port, dir, 'mosquitto');
}

/**
 * nginx serving `html` at / (a router-like admin page), optionally behind HTTP Basic auth.
 * Env: MINEWATCH_TEST_HTTP_URL / MINEWATCH_TEST_HTTP_AUTH_URL.
 */
export async function startNginx(html: string, opts: { basicAuth?: { username: string; password: string }; tls?: boolean } = {}): Promise<TestServer | string> {
  const env = fromEnv(opts.tls ? 'MINEWATCH_TEST_HTTPS_URL' : opts.basicAuth ? 'MINEWATCH_TEST_HTTP_AUTH_URL' : 'MINEWATCH_TEST_HTTP_URL');
  if (env) return env;
  const bin = findBinary('nginx');
  if (!bin) return missing('nginx (Debian package nginx)');
  let auth = '';
  const dir = mkdtempSync(join(tmpdir(), 'mw-nginx-'));
  chmodSync(dir, 0o755);
  if (opts.basicAuth) {
    const openssl = findBinary('openssl');
    if (!openssl) {
      rmSync(dir, { recursive: true, force: true });
      return missing('openssl (to hash the nginx Basic-auth password)');
    }
    const hash = spawnSync(openssl, ['passwd', '-apr1', '-stdin'], { input: `${opts.basicAuth.password}\n` }).stdout.toString().trim();
    writeFileSync(join(dir, 'htpasswd'), `${opts.basicAuth.username}:${hash}\n`);
    chmodSync(join(dir, 'htpasswd'), 0o644);
    auth = ` auth_basic "admin"; auth_basic_user_file ${join(dir, 'htpasswd')};`;
  }
  let ssl = '';
  if (opts.tls) {
    const openssl = findBinary('openssl');
    if (!openssl) {
      rmSync(dir, { recursive: true, force: true });
      return missing('openssl (to make a self-signed certificate for nginx)');
    }
    const made = spawnSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    if (made.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return missing(`a self-signed certificate (openssl: ${made.stderr.toString().trim().slice(0, 200)})`);
    }
    ssl = ` ssl_certificate ${join(dir, 'cert.pem')}; ssl_certificate_key ${join(dir, 'key.pem')};`;
  }
  const port = await freePort();
  writeFileSync(join(dir, 'index.html'), html);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')};`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      '  default_type text/html;',
      `  server { listen 127.0.0.1:${port}${opts.tls ? ' ssl' : ''}; root ${dir}; index index.html;${auth}${ssl} }`,
      '}',
      '',
    ].join('\n'),
  );
  return startDaemon(bin, ['-p', dir, '-c', conf], port, dir, 'nginx');
}

/**
 * inetutils telnetd behind a tiny TCP listener of our own (telnetd is an inetd service: it
 * talks on stdin/stdout). Env: MINEWATCH_TEST_TELNET_URL.
 */
export async function startTelnetd(): Promise<TestServer | string> {
  const env = fromEnv('MINEWATCH_TEST_TELNET_URL');
  if (env) return env;
  const bin = findBinary('telnetd') ?? findBinary('in.telnetd');
  if (!bin) return missing('telnetd (Debian package inetutils-telnetd)');
  const children = new Set<ChildProcess>();
  const server: Server = createServer({ pauseOnConnect: true }, (sock) => {
    if (children.size >= 8) {
      sock.destroy();
      return;
    }
    const child = spawn(bin, ['-h'], { stdio: [sock, sock, 'ignore'] });
    children.add(child);
    child.on('exit', () => {
      children.delete(child);
      sock.destroy();
    });
    child.on('error', () => sock.destroy());
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    host: '127.0.0.1',
    port,
    external: false,
    stop: async () => {
      for (const c of children) c.kill('SIGKILL');
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A throwaway local user (useradd, as root) with the given password and shell; returns the
 * function that removes it, or a skip reason. Never touches an existing user.
 */
export function createThrowawayUser(username: string, password: string, shell: string): (() => void) | string {
  const useradd = findBinary('useradd');
  if (!useradd || process.getuid?.() !== 0) return missing('root and useradd (to create a throwaway user)');
  if (spawnSync('id', [username]).status === 0) return missing(`a free user name (${username} already exists)`);
  const add = spawnSync(useradd, ['--no-create-home', '--home-dir', '/nonexistent', '--shell', shell, '--comment', 'minewatch test (temporary)', username]);
  if (add.status !== 0) return missing(`useradd ${username}: ${add.stderr.toString().trim()}`);
  spawnSync('chpasswd', [], { input: `${username}:${password}\n` });
  return () => void spawnSync('userdel', [username]);
}

/**
 * OpenSSH sshd with password authentication and a throwaway user (created with useradd,
 * removed by stop()). Needs root. Env: MINEWATCH_TEST_SSH_URL (ssh://user:pass@host:port).
 */
export async function startSshd(user: { username: string; password: string }): Promise<TestServer | string> {
  const env = fromEnv('MINEWATCH_TEST_SSH_URL');
  if (env) return env;
  const bin = findBinary('sshd');
  const keygen = findBinary('ssh-keygen');
  if (!bin || !keygen) return missing('sshd (Debian package openssh-server)');
  const removeUser = createThrowawayUser(user.username, user.password, '/usr/sbin/nologin');
  if (typeof removeUser === 'string') return removeUser;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mw-sshd-'));
  chmodSync(dir, 0o755);
  const key = join(dir, 'host_ed25519');
  spawnSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  spawnSync('mkdir', ['-p', '/run/sshd']);
  const conf = join(dir, 'sshd_config');
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${key}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication no',
      'PermitRootLogin no',
      'UsePAM no',
      `AllowUsers ${user.username}`,
      'MaxAuthTries 3',
      'MaxStartups 50',
      'LogLevel QUIET',
      '',
    ].join('\n'),
  );
  const s = await startDaemon(bin, ['-D', '-e', '-f', conf], port, dir, 'sshd');
  if (typeof s === 'string') {
    removeUser();
    return s;
  }
  const stop = s.stop;
  return { ...s, username: user.username, password: user.password, stop: async () => { await stop(); removeUser(); } };
}
