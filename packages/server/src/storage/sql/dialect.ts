import fs from 'node:fs'
import path from 'node:path'

import SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
} from 'kysely'
import type pg from 'pg'

import { lazyRequire } from '../../lazy-require.js'
import type { Database } from './schema.js'
import { SchemaPostgresDialect } from './schema-introspector.js'
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js'

export type SqlDialectName = 'sqlite' | 'postgres'

export interface OpenedDatabase {
  db: Kysely<Database>
  dialect: SqlDialectName
  /** Postgres: the schema the tables live in (`?schema=`, else `public`). */
  schema?: string
  /** SQLite: the better-sqlite3 handle, for the prepared statements of the hot path. */
  sqlite?: SQLite.Database
  /** SQLite on a file: the thread that checkpoints its WAL. */
  checkpointer?: Checkpointer
  /** Postgres: the pool, for its usage metrics. */
  pool?: pg.Pool
}

export const loadPg = lazyRequire<typeof pg>('pg', (module) => {
  // int8 (bigint) columns hold epoch milliseconds and ids, all well inside 2^53.
  module.types.setTypeParser(module.types.builtins.INT8, (value) => Number(value))
})

/**
 * Transactions start with BEGIN IMMEDIATE: they take the write lock up front. A deferred BEGIN
 * that reads and then writes cannot wait for another process's write (SQLite answers "database
 * is locked" at once instead of using busy_timeout), which `serve --workers` would hit under load.
 *
 * ROLLBACK is sent only while a transaction is open. SQLite ends the transaction by itself when
 * a statement fails with SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or SQLITE_NOMEM
 * (sqlite.org/lang_transaction.html, "Response To Errors Within A Transaction"); Kysely's
 * `transaction()` then sends ROLLBACK anyway, which fails with "cannot rollback - no transaction
 * is active", and throws that in place of the error that ended the transaction: a full disk
 * became a 500 with the cause lost. better-sqlite3's own `transaction()` makes the same check.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(private readonly database: SQLite.Database) {
    super({ database })
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.database.inTransaction) await super.rollbackTransaction(connection)
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SQLite.Database) {
    super({ database })
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.database)
  }
}

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError'
}

/**
 * `sqlite:<path>` or `sqlite::memory:` → better-sqlite3 in WAL mode;
 * `postgres://…[?schema=name]` → a pg pool whose connections use that schema.
 */
export function openDatabase(
  databaseUrl: string,
  options: { poolSize?: number; sqliteSynchronous?: 'normal' | 'full' } = {},
): OpenedDatabase {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length)
    if (file === '')
      throw new DatabaseUrlError('TOKENMINT_DATABASE_URL "sqlite:" needs a file path')
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
    const database = new SQLite(file)
    database.pragma('journal_mode = WAL')
    // WAL + NORMAL: a commit that returned survives any crash of the process; FULL adds an
    // fsync per commit so it also survives a power cut. better-sqlite3 is synchronous, so that
    // fsync would stall the event loop: NORMAL is the default, FULL a setting.
    database.pragma(`synchronous = ${options.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    database.pragma('foreign_keys = ON')
    database.pragma('busy_timeout = 5000')
    // better-sqlite3 builds SQLite with a 16 MB page cache per connection, which the audit
    // table's stream of new pages fills and keeps resident. Issuing a token touches a few
    // dozen pages (the B-tree paths to the newest rows), and the OS page cache serves the
    // rest cheaply: 4 MiB keeps the process about 12 MB smaller after a long run.
    database.pragma('cache_size = -4096')
    return {
      db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect(database) }),
      dialect: 'sqlite',
      sqlite: database,
      ...(file !== ':memory:' && { checkpointer: startCheckpointer(database, file) }),
    }
  }
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://')) {
    const url = new URL(databaseUrl)
    const schema = url.searchParams.get('schema')
    url.searchParams.delete('schema')
    if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new DatabaseUrlError(
        'the schema parameter of TOKENMINT_DATABASE_URL must be a lower-case SQL identifier',
      )
    }
    const pool = new (loadPg().Pool)({
      connectionString: url.toString(),
      max: options.poolSize ?? 10,
      // Fail fast when the database is unreachable: callers get 503 and retry.
      connectionTimeoutMillis: 5000,
      ...(schema === null ? {} : { options: `-c search_path=${schema}` }),
    })
    // A client losing its connection must not crash the process: idle ones report to the pool,
    // checked-out ones to themselves (pg emits 'error' with no listener otherwise). The query in
    // flight still fails, and becomes a 503; the pool reconnects for the next one.
    pool.on('error', () => undefined)
    pool.on('connect', (client) => {
      client.on('error', () => undefined)
    })
    return {
      db: new Kysely<Database>({
        dialect: new SchemaPostgresDialect({ pool }, schema ?? 'public'),
      }),
      dialect: 'postgres',
      schema: schema ?? 'public',
      pool,
    }
  }
  throw new DatabaseUrlError('TOKENMINT_DATABASE_URL must start with sqlite: or postgres://')
}
