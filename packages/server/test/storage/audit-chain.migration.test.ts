import path from 'node:path'

import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import { GENESIS_HASH } from '../../src/domain/audit-chain.js'
import { ChainVerifier } from '../../src/domain/audit-verification.js'
import { openDatabase } from '../../src/storage/sql/dialect.js'
import { migrateToLatest } from '../../src/storage/sql/migrate.js'
import { openSqlStorage } from '../../src/storage/sql/sql-storage.js'
import { freshPostgresSchema } from '../support/databases.js'
import { temporaryDir } from '../support/server.js'

const databases: [string, () => Promise<{ url: string; drop: () => Promise<void> }>][] = [
  [
    'SQLite',
    () =>
      Promise.resolve({
        url: `sqlite:${path.join(temporaryDir(), 'tokenmint.db')}`,
        drop: () => Promise.resolve(),
      }),
  ],
  ['PostgreSQL', () => freshPostgresSchema()],
]

describe.each(databases)('upgrading an audit log written before the chain, on %s', (_, fresh) => {
  it('chains the old records of each tenant in the order they were written, and new ones follow', async () => {
    const database = await fresh()
    const opened = openDatabase(database.url)
    const schema = new URL(database.url.replace(/^sqlite:/, 'file:')).searchParams.get('schema')
    try {
      await migrateToLatest(opened.db, opened.dialect, schema ?? undefined, '009-storage-probe')
      // Two tenants' records, interleaved, as an older version wrote them.
      for (let i = 0; i < 30; i++) {
        const tenant = i % 3 === 0 ? 'globex' : 'acme'
        await sql`insert into audit_events (tenant_id, occurred_at, type, actor, client_id, data)
          values (${tenant}, ${1_700_000_000_000 + i}, 'token.issued', 'client:old', 'old',
                  ${JSON.stringify({ n: i })})`.execute(opened.db)
      }
    } finally {
      await opened.checkpointer?.stop()
      await opened.db.destroy()
    }

    const storage = await openSqlStorage(database.url)
    try {
      await storage.audit.append([
        {
          tenantId: 'acme',
          occurredAt: new Date(),
          type: 'keys.rotated',
          actor: 'system',
          clientId: null,
          data: { after: 'the upgrade' },
        },
      ])
      for (const [tenant, count] of [
        ['acme', 21],
        ['globex', 10],
      ] as const) {
        const head = await storage.auditChain.head(tenant)
        expect(head?.seq).toBe(count)
        const records = await storage.auditChain.records(tenant, { seq: 0, id: 0 }, undefined, 100)
        expect(records.map((r) => r.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1))
        // Written order is kept: the data's counter rises with the number.
        const counters = records
          .filter((r) => r.actor === 'client:old')
          .map((r) => (JSON.parse(r.data) as { n: number }).n)
        expect(counters).toEqual([...counters].sort((a, b) => a - b))
        const verifier = new ChainVerifier({ seq: 0, hash: GENESIS_HASH }, { head })
        for (const r of records) verifier.push(r)
        expect(verifier.finish()).toMatchObject({ ok: true, records: count })
      }
    } finally {
      await storage.close()
      await database.drop()
    }
  })
})
