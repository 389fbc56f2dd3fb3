import { randomBytes } from 'node:crypto'

import pg from 'pg'

/** The Postgres server CI and developers run; each test run gets a fresh schema in it. */
export const POSTGRES_BASE_URL =
  process.env['TOKENMINT_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Creates an empty schema and returns a database URL that uses it, plus a function to drop it. */
export async function freshPostgresSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `tm_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  const client = new pg.Client({ connectionString: POSTGRES_BASE_URL })
  await client.connect()
  try {
    await client.query(`create schema ${schema}`)
  } finally {
    await client.end()
  }
  return {
    url: `${POSTGRES_BASE_URL}?schema=${schema}`,
    async drop() {
      const admin = new pg.Client({ connectionString: POSTGRES_BASE_URL })
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
