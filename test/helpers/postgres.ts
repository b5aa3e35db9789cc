/**
 * A private PostgreSQL database per test run: from MINEWATCH_TEST_PG (a postgres:// URL of a
 * server we may create databases on), else the PG* environment variables, else a server on
 * the libpq default 127.0.0.1:5432 as user postgres, else a private cluster started with
 * initdb/pg_ctl in a temp dir on a free port, else a loud skip (a failure under CI=true).
 * Each call creates its own uniquely named database and drops it on cleanup.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findBinary, freePort, missing, waitForPort } from './servers.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let cluster: { url: string; stop: () => void } | null = null;

function fromPgEnv(): string | null {
  const e = process.env;
  if (!e.PGHOST && !e.PGPORT && !e.PGUSER && !e.PGDATABASE) return null;
  const u = new URL('postgres://localhost');
  u.hostname = e.PGHOST ?? '127.0.0.1';
  u.port = e.PGPORT ?? '5432';
  u.username = e.PGUSER ?? 'postgres';
  if (e.PGPASSWORD) u.password = e.PGPASSWORD;
  u.pathname = `/${e.PGDATABASE ?? 'postgres'}`;
  return u.toString();
}

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function privateCluster(): Promise<string | null> {
  if (cluster) return cluster.url;
  const initdb = findBinary('initdb') ?? findBinary('/usr/lib/postgresql/15/bin/initdb');
  const pgCtl = findBinary('pg_ctl');
  if (!initdb || !pgCtl) return null;
  const dir = mkdtempSync(join(tmpdir(), 'mw-pg-'));
  const asUser: string[] = [];
  if (process.getuid?.() === 0) {
    // initdb refuses to run as root: run the cluster as the postgres system user when it exists
    const id = spawnSync('id', ['-u', 'postgres']);
    if (id.status !== 0) return null;
    chmodSync(dir, 0o700);
    chownSync(dir, Number(id.stdout.toString().trim()), Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim()));
    asUser.push('runuser', '-u', 'postgres', '--');
  }
  const run = (args: string[]) => (asUser.length > 0 ? spawnSync(asUser[0], [...asUser.slice(1), ...args]) : spawnSync(args[0], args.slice(1)));
  const data = join(dir, 'data');
  if (run([initdb, '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']).status !== 0) return null;
  const port = await freePort();
  run([pgCtl, '-D', data, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`, '-w', 'start']);
  if (!(await waitForPort(port, 15_000))) return null;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  cluster = {
    url,
    stop: () => {
      run([pgCtl, '-D', data, '-m', 'fast', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  process.once('exit', () => cluster?.stop());
  return url;
}

/** A fresh database, or a skip reason. */
export async function createTestDatabase(prefix = 'mw_collector'): Promise<TestDatabase | string> {
  let admin = process.env.MINEWATCH_TEST_PG ?? fromPgEnv();
  if (!admin) {
    const local = 'postgres://postgres@127.0.0.1:5432/postgres';
    admin = (await reachable(local)) ? local : await privateCluster();
  }
  if (!admin) return missing('PostgreSQL (set MINEWATCH_TEST_PG=postgres://…, or install the Debian package postgresql)');
  if (!(await reachable(admin))) return missing(`PostgreSQL at ${admin.replace(/:[^:@/]*@/, ':***@')}`);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      try {
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await d.end();
      }
    },
  };
}
