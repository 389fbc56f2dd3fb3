import { sql, type Kysely } from 'kysely'

import { GENESIS_HASH, extendChain } from '../../../domain/audit-chain.js'
import type { SqlDialectName } from '../dialect.js'

interface LegacyRow {
  id: number
  tenant_id: string
  occurred_at: number
  type: string
  actor: string
  client_id: string | null
  data: string
}

/**
 * The tamper-evident audit log (domain/audit-chain): each record gets its tenant's next
 * sequence number and a hash linking it to the one before; `audit_heads` holds each tenant's
 * last number and hash (its row lock orders writers across nodes); `audit_checkpoints` keeps
 * the signed checkpoints and `audit_keys` the keys that sign them, sealed like signing keys.
 *
 * Records written before this migration are chained here, in the order they were written:
 * the one time rows of `audit_events` are updated.
 */
export function auditChainSchema(dialect: SqlDialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_events').addColumn('seq', 'bigint').execute()
      await db.schema.alterTable('audit_events').addColumn('prev_hash', 'text').execute()
      await db.schema.alterTable('audit_events').addColumn('hash', 'text').execute()
      await db.schema
        .createTable('audit_heads')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('kid', 'text', (c) => c.notNull())
        .addColumn('jws', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('audit_checkpoints_tenant_seq')
        .on('audit_checkpoints')
        .columns(['tenant_id', 'seq'])
        .execute()
      await db.schema
        .createTable('audit_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('sealed_private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('activated_at', 'bigint')
        .addColumn('retired_at', 'bigint')
        .execute()
      await db.schema
        .createIndex('audit_keys_tenant')
        .on('audit_keys')
        .column('tenant_id')
        .execute()

      await chainExistingRecords(db)
      await db.schema
        .createIndex('audit_events_tenant_seq')
        .on('audit_events')
        .columns(['tenant_id', 'seq'])
        .unique()
        .execute()
    },
  }
}

async function chainExistingRecords(db: Kysely<unknown>): Promise<void> {
  const tenants = await sql<{ tenant_id: string }>`
    select distinct tenant_id from audit_events`.execute(db)
  for (const { tenant_id: tenantId } of tenants.rows) {
    let head = { seq: 0, hash: GENESIS_HASH }
    let after = 0
    for (;;) {
      const page = await sql<LegacyRow>`
        select id, tenant_id, occurred_at, type, actor, client_id, data from audit_events
         where tenant_id = ${tenantId} and id > ${after} order by id limit 1000`.execute(db)
      if (page.rows.length === 0) break
      const extended = extendChain(
        head,
        page.rows.map((r) => ({
          id: r.id,
          tenantId: r.tenant_id,
          occurredAtMs: r.occurred_at,
          type: r.type,
          actor: r.actor,
          clientId: r.client_id,
          data: r.data,
        })),
      )
      for (const r of extended.chained) {
        await sql`update audit_events set seq = ${r.seq}, prev_hash = ${r.prevHash}, hash = ${r.hash}
          where id = ${r.id}`.execute(db)
      }
      head = extended.head
      after = extended.chained.at(-1)?.id ?? after
    }
    await sql`insert into audit_heads (tenant_id, seq, hash)
      values (${tenantId}, ${head.seq}, ${head.hash})`.execute(db)
  }
}
