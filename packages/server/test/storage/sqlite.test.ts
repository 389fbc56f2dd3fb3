import fs from 'node:fs'
import path from 'node:path'

import { openSqlStorage } from '../../src/storage/sql/sql-storage.js'
import { temporaryDir } from '../support/server.js'
import { runStorageContract } from './contract.js'

runStorageContract('SQLite', async () => {
  const dir = temporaryDir()
  const storage = await openSqlStorage(`sqlite:${path.join(dir, 'tokenmint.db')}`)
  return {
    storage,
    cleanup: () => {
      fs.rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  }
})
