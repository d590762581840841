import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql, type Driver } from 'kysely';
import pg from 'pg';
import { StoreError } from './errors.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** An open database: the embedded SQLite file by default, PostgreSQL when many machines share one log. */
export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where it points, with any password removed (safe to print and log). */
  where: string;
  /**
   * The SQLite handle under Kysely, for hot paths that run prepared statements inside a transaction Kysely opened
   * on the same (single) connection. Undefined for PostgreSQL.
   */
  sqlite?: BetterSqlite3.Database;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…`, `sqlite:PATH`, or a plain file path (SQLite). */
  url: string;
  /** PostgreSQL schema to use (created if missing); default `public`. Tests use one schema per run. */
  schema?: string;
}

/** Opens the store and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const { url } = options;
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.schema);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new StoreError('STORE_URL_INVALID', `unsupported store URL '${redact(url)}': use postgres://… or a SQLite file path`);
  }
  return openSqlite(url.replace(/^sqlite:/, ''));
}

/**
 * Kysely opens SQLite transactions with a plain (deferred) `begin`: the transaction reads under a snapshot and asks
 * for the write lock only at its first write. If another process committed in between (a running `palisade serve`
 * appending audit entries while the CLI promotes a model), SQLite refuses the upgrade at once with
 * SQLITE_BUSY_SNAPSHOT and the busy timeout never applies. `begin immediate` takes the write lock up front, so a
 * second writer waits its turn instead of failing. Every transaction here writes, so nothing is lost by it.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

async function openSqlite(path: string): Promise<Store> {
  let raw: BetterSqlite3.Database;
  try {
    raw = new BetterSqlite3(path);
  } catch (err) {
    throw new StoreError('STORE_CONNECT_FAILED', `cannot open SQLite database ${path}: ${(err as Error).message}`, { cause: err });
  }
  // WAL: readers never block the appender, and a commit survives a killed process (the log's durability promise).
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: raw }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  return { db, dialect: 'sqlite', where: path, sqlite: raw, close: () => db.destroy() };
}

async function openPostgres(url: string, schema: string | undefined): Promise<Store> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new StoreError('STORE_URL_INVALID', `invalid PostgreSQL schema name '${schema}'`);
  const pool = new pg.Pool({ connectionString: url, max: 10, ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }) });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  // Kysely's migrator looks for its tables in every schema unless told which: with another Palisade schema in the
  // same database it would find that one's and skip creating its own. Name the schema this store uses.
  let current: string;
  try {
    const c = await pool.connect();
    try {
      if (schema !== undefined) await c.query(`create schema if not exists ${schema}`);
      current = (await c.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
    } finally {
      c.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StoreError('STORE_CONNECT_FAILED', `cannot connect to PostgreSQL at ${redact(url)}: ${(err as Error).message}`, { cause: err });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db as Kysely<unknown>, 'postgres', current);
  return { db, dialect: 'postgres', where: redact(url), close: () => db.destroy() };
}

/** Removes the password from a URL before it is printed. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  }
}

/** Drops a PostgreSQL schema and everything in it (tests clean up with this). */
export async function dropSchema(store: Store, schema: string): Promise<void> {
  await sql.raw(`drop schema if exists ${schema} cascade`).execute(store.db);
}
