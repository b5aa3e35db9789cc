/**
 * Opening the store: `sqlite:PATH` (the embedded default, one file in WAL mode with
 * synchronous=NORMAL: a commit survives a crash of the process; a separate read-only
 * connection serves queries so they never wait behind ingest) or `postgres://…` (a pool).
 * The same kysely interface over both; the ingest hot path (events.ts) talks to the driver.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { ConfigError, UnavailableError } from '../util/errors.js';
import type { Database, Dialect } from './schema.js';
import { migrate } from './migrations.js';

export type { Dialect };

export interface StoreLocation {
  dialect: Dialect;
  /** File path (sqlite) or connection string (postgres). */
  target: string;
}

/** `$XDG_DATA_HOME/minewatch/minewatch.db`, default `~/.local/share/minewatch/minewatch.db`. */
export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'minewatch', 'minewatch.db');
}

/** Parses `--db`: `postgres://…`, `postgresql://…`, `sqlite:PATH`; nothing means the default file. */
export function parseDatabaseUrl(url: string | undefined, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  if (url === undefined || url === '') return { dialect: 'sqlite', target: defaultDatabasePath(env) };
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', target: url };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('db.no-path', '--db sqlite: needs a file path, e.g. sqlite:/var/lib/minewatch/minewatch.db', { subject: '--db' });
    return { dialect: 'sqlite', target: path === ':memory:' ? path : resolve(path) };
  }
  throw new ConfigError('db.unknown-scheme', `--db ${url.split(':')[0]}:… is not supported: use postgres://USER@HOST/DB or sqlite:PATH`, { subject: '--db' });
}

export interface Store {
  readonly dialect: Dialect;
  /** Read-write (migrations, identity, ingest). */
  readonly db: Kysely<Database>;
  /** Read-only queries (a separate connection on SQLite, the pool on PostgreSQL). */
  readonly read: Kysely<Database>;
  readonly sqlite?: BetterSqlite3.Database;
  readonly pool?: pg.Pool;
  readonly location: StoreLocation;
  close(): Promise<void>;
}

const NUMERIC_OIDS = new Set([20, 1700]); // int8, numeric: counts and millisecond times fit a double

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (NUMERIC_OIDS.has(oid)) return (v: string) => Number(v);
      return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

function sqlitePragmas(db: BetterSqlite3.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  db.pragma('journal_size_limit = 67108864');
}

/** Opens (and migrates, unless `migrate: false`) the store. */
export async function openStore(location: StoreLocation | string | undefined, opts: { migrate?: boolean; poolSize?: number } = {}): Promise<Store> {
  const loc = typeof location === 'object' ? location : parseDatabaseUrl(location);
  let store: Store;
  if (loc.dialect === 'sqlite') {
    let handle: BetterSqlite3.Database;
    let reader: BetterSqlite3.Database;
    try {
      if (loc.target !== ':memory:') mkdirSync(dirname(loc.target), { recursive: true });
      handle = new BetterSqlite3(loc.target);
      sqlitePragmas(handle);
      // a second connection for reads (WAL lets it read while the writer commits)
      reader = loc.target === ':memory:' ? handle : new BetterSqlite3(loc.target);
      if (reader !== handle) reader.pragma('busy_timeout = 10000');
    } catch (err) {
      throw new UnavailableError('db.sqlite-open', `cannot open SQLite database ${loc.target}: ${(err as Error).message}`, { subject: loc.target, cause: err });
    }
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
    const read = reader === handle ? db : new Kysely<Database>({ dialect: new SqliteDialect({ database: reader }) });
    store = {
      dialect: 'sqlite', db, read, sqlite: handle, location: loc,
      async close() {
        if (read !== db) await read.destroy();
        await db.destroy();
      },
    };
  } else {
    const pool = new pg.Pool({ connectionString: loc.target, max: opts.poolSize ?? 8, types: pgTypes(), connectionTimeoutMillis: 10_000 });
    pool.on('error', () => {
      // an idle client lost its connection: the pool replaces it; queries report their own errors
    });
    try {
      const c = await pool.connect();
      c.release();
    } catch (err) {
      await pool.end().catch(() => {});
      const where = (() => {
        try {
          const u = new URL(loc.target);
          return `${u.hostname}:${u.port || 5432}${u.pathname}`;
        } catch {
          return 'the given URL';
        }
      })();
      throw new UnavailableError('db.postgres-connect', `cannot connect to PostgreSQL at ${where}: ${(err as Error).message}`, { subject: '--db', cause: err });
    }
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    store = {
      dialect: 'postgres', db, read: db, pool, location: loc,
      async close() {
        await db.destroy();
      },
    };
  }
  if (opts.migrate !== false) {
    try {
      await migrate(store.db, store.dialect);
    } catch (err) {
      await store.close().catch(() => {});
      throw new UnavailableError('db.migrate', `cannot migrate the database schema: ${(err as Error).message}`, { cause: err });
    }
  }
  return store;
}
