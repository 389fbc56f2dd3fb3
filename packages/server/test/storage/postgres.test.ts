import { describe, expect, it } from 'vitest'

import { openSqlStorage } from '../../src/storage/sql/sql-storage.js'
import { freshPostgresSchema } from '../support/databases.js'
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
})
