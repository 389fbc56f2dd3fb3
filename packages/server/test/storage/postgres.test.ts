import pg from 'pg'
import { describe, expect, it } from 'vitest'

import { openSqlStorage } from '../../src/storage/sql/sql-storage.js'
import { freshPostgresSchema, POSTGRES_BASE_URL } from '../support/databases.js'
import { runStorageContract } from './contract.js'

// Runs against the real PostgreSQL server (127.0.0.1:5432, database test), in a fresh schema.
runStorageContract('PostgreSQL', async () => {
  const schema = await freshPostgresSchema()
  const storage = await openSqlStorage(schema.url)
  return { storage, cleanup: schema.drop }
})

describe('PostgreSQL schemas', () => {
  it('migrates a new schema while another schema of the same database holds a deployment', async () => {
    // Kysely's check for its migration tables looks in every schema unless told which one:
    // a second deployment used to skip creating them and fail.
    const first = await freshPostgresSchema()
    const second = await freshPostgresSchema()
    try {
      const a = await openSqlStorage(first.url)
      const b = await openSqlStorage(second.url)
      expect(await a.deploymentId()).not.toBe(await b.deploymentId())
      expect(await b.tenants.count()).toBe(0)
      await a.close()
      await b.close()
    } finally {
      await first.drop()
      await second.drop()
    }
  })

  it('starts while other deployments in the same database drop their schemas', async () => {
    // The migrator looks for its own tables by introspection. Kysely's introspector read every
    // schema of the database by name, and failed ("schema … does not exist") whenever another
    // schema was dropped during that read: a node's start failed with it, about one time in
    // fifteen while a neighbour was being torn down.
    const churn = new pg.Client({ connectionString: POSTGRES_BASE_URL })
    await churn.connect()
    const stop = new AbortController()
    const dropping = (async () => {
      for (let i = 0; !stop.signal.aborted && i < 100_000; i++) {
        const name = `tm_churn_${process.pid}_${i}`
        await churn.query(`create schema ${name}; create table ${name}.t (id serial primary key)`)
        await churn.query(`drop schema ${name} cascade`)
      }
    })()
    try {
      for (let i = 0; i < 12; i++) {
        const schema = await freshPostgresSchema()
        try {
          const storage = await openSqlStorage(schema.url)
          expect(await storage.tenants.count()).toBe(0)
          await storage.close()
        } finally {
          await schema.drop()
        }
      }
    } finally {
      stop.abort()
      await dropping
      await churn.end()
    }
  }, 60_000)
})
