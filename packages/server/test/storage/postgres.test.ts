import { openSqlStorage } from '../../src/storage/sql/sql-storage.js'
import { freshPostgresSchema } from '../support/databases.js'
import { runStorageContract } from './contract.js'

// Runs against the real PostgreSQL server (127.0.0.1:5432, database test), in a fresh schema.
runStorageContract('PostgreSQL', async () => {
  const schema = await freshPostgresSchema()
  const storage = await openSqlStorage(schema.url)
  return { storage, cleanup: schema.drop }
})
