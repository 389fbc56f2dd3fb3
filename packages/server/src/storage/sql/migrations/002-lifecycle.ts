import type { Kysely } from 'kysely'

import type { SqlDialectName } from '../dialect.js'

/** Lifecycle: optimistic concurrency, scope catalogs, introspection rights and revocations. */
export function lifecycleSchema(dialect: SqlDialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('applications')
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute()
      await db.schema
        .alterTable('applications')
        .addColumn('can_introspect', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      await db.schema.alterTable('apis').addColumn('catalog', 'text').execute()
      await db.schema
        .alterTable('apis')
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute()

      await db.schema
        .createTable('revocations')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('jti', 'text')
        .addColumn('revoked_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('revocations_tenant_id')
        .on('revocations')
        .columns(['tenant_id', 'id'])
        .execute()
      await db.schema
        .createIndex('revocations_expires')
        .on('revocations')
        .column('expires_at')
        .execute()
    },
  }
}
