import { randomBytes } from 'node:crypto'

import pg from 'pg'

/** The Postgres server CI and developers run; each test run gets a fresh schema in it. */
export const POSTGRES_BASE_URL =
  process.env['TOKENMINT_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test'

/**
 * Creates an empty schema in the database `baseUrl` names (any `schema` parameter it carries is
 * replaced) and returns a database URL that uses it, plus a function to drop it.
 */
export async function freshPostgresSchema(
  baseUrl: string = POSTGRES_BASE_URL,
): Promise<{ url: string; schema: string; drop: () => Promise<void> }> {
  const schema = `tm_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  const base = new URL(baseUrl)
  base.searchParams.delete('schema')
  const connectionString = base.toString()
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    await client.query(`create schema ${schema}`)
  } finally {
    await client.end()
  }
  base.searchParams.set('schema', schema)
  return {
    url: base.toString(),
    schema,
    async drop() {
      const admin = new pg.Client({ connectionString })
      await admin.connect()
      try {
        await admin.query(`drop schema if exists ${schema} cascade`)
      } finally {
        await admin.end()
      }
    },
  }
}

/** The storage drivers every lifecycle suite runs on: the embedded SQLite and the real Postgres. */
export const storageDrivers: [
  string,
  () => Promise<{ databaseUrl?: string; cleanup: () => Promise<void> }>,
][] = [
  ['SQLite', () => Promise.resolve({ cleanup: () => Promise.resolve() })],
  [
    'PostgreSQL',
    async () => {
      const schema = await freshPostgresSchema()
      return { databaseUrl: schema.url, cleanup: schema.drop }
    },
  ],
]
