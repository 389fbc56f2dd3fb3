import fs from 'node:fs'
import path from 'node:path'

import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import { openDatabase, type OpenedDatabase } from '../../src/storage/sql/dialect.js'
import { temporaryDir } from '../support/server.js'

describe('SQLite transactions that SQLite itself rolled back', () => {
  let opened: OpenedDatabase
  let dir: string

  afterEach(async () => {
    await opened.checkpointer?.stop()
    await opened.db.destroy()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('fail with the error that ended them (SQLITE_FULL), not "cannot rollback"', async () => {
    dir = temporaryDir()
    opened = openDatabase(`sqlite:${path.join(dir, 'tokenmint.db')}`)
    const { db, sqlite } = opened
    await sql`create table blobs (data blob not null)`.execute(db)
    // A page limit gives the same SQLITE_FULL as a full disk, and SQLite ends the transaction.
    const pages = sqlite!.pragma('page_count', { simple: true }) as number
    sqlite!.pragma(`max_page_count = ${pages + 2}`)
    const insertBlobs = () =>
      db.transaction().execute(async (trx) => {
        for (let i = 0; i < 8; i++) {
          await sql`insert into blobs (data) values (${Buffer.alloc(3000)})`.execute(trx)
        }
      })

    const failure: unknown = await insertBlobs().catch((error: unknown) => error)

    expect(failure).toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' })
    expect(sqlite!.inTransaction).toBe(false)
    const count = async () =>
      (await sql<{ n: number }>`select count(*) as n from blobs`.execute(db)).rows[0]?.n
    expect(await count()).toBe(0)
    // With room again, the same connection commits.
    sqlite!.pragma('max_page_count = 1073741823')
    await insertBlobs()
    expect(await count()).toBe(8)
  })

  it('still roll back a transaction that a failed statement left open', async () => {
    dir = temporaryDir()
    opened = openDatabase(`sqlite:${path.join(dir, 'tokenmint.db')}`)
    const { db, sqlite } = opened
    await sql`create table names (name text primary key)`.execute(db)

    const failure: unknown = await db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into names (name) values ('a')`.execute(trx)
        await sql`insert into names (name) values ('a')`.execute(trx)
      })
      .catch((error: unknown) => error)

    expect(failure).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
    expect(sqlite!.inTransaction).toBe(false)
    const rows = await sql`select name from names`.execute(db)
    expect(rows.rows).toEqual([])
  })
})
