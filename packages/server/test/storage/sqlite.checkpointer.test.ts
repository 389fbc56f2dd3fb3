import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

import type SQLite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'

import { startCheckpointer, type Checkpointer } from '../../src/storage/sql/sqlite-checkpointer.js'
import { temporaryDir } from '../support/server.js'

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof SQLite
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The checkpoint thread copies the WAL back into the database file. It starts only once the
 * WAL has grown past a threshold, so an idle server does not hold its isolate; until then
 * nothing is checkpointed, and every commit is still durable in the WAL.
 */
describe('the SQLite WAL checkpoint thread', () => {
  let dir: string
  let database: SQLite.Database
  let checkpointer: Checkpointer | undefined

  afterEach(async () => {
    await checkpointer?.stop()
    database.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  function open(): { file: string; insert: (kb: number) => void } {
    dir = temporaryDir()
    const file = path.join(dir, 'tokenmint.db')
    database = new Database(file)
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = NORMAL')
    database.exec('create table blobs (data blob not null)')
    const statement = database.prepare('insert into blobs (data) values (?)')
    return {
      file,
      insert: (kb) => {
        for (let i = 0; i < kb; i++) statement.run(Buffer.alloc(1024, i % 251))
      },
    }
  }

  it('does not start while the WAL is small, and checkpoints once it has grown', async () => {
    const { file, insert } = open()
    const databaseBytes = () => fs.statSync(file).size
    checkpointer = startCheckpointer(database, file, { startAtWalBytes: 256 * 1024 })
    const before = databaseBytes()

    insert(16) // about 20 pages: below the threshold
    await sleep(2_200)
    // Not started, and no inline checkpoint either: the rows are only in the WAL.
    expect(databaseBytes()).toBe(before)

    insert(512) // past the threshold
    const grown = await (async () => {
      for (let i = 0; i < 40; i++) {
        if (databaseBytes() > before + 256 * 1024) return true
        await sleep(100)
      }
      return false
    })()
    expect(grown).toBe(true)
    const count = database.prepare('select count(*) as n from blobs').get() as { n: number }
    expect(count.n).toBe(528)
  })

  it('stops cleanly when it never started', async () => {
    const { file } = open()
    checkpointer = startCheckpointer(database, file)
    await expect(checkpointer.stop()).resolves.toBeUndefined()
    checkpointer = undefined
  })
})
