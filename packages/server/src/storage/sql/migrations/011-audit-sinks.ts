import type { Kysely } from 'kysely'

/**
 * Where each tenant's audit records are delivered (HTTPS, syslog, OTLP). The records themselves
 * are the durable queue: each sink keeps the number of the last record delivered, moved only
 * after the receiver took the batch, and a lease so one node at a time delivers to it.
 */
export function auditSinksSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_sinks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('sealed_secret', 'text')
        .addColumn('delivered_through', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('last_success_at', 'bigint')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .execute()
      await db.schema
        .createIndex('audit_sinks_tenant')
        .on('audit_sinks')
        .column('tenant_id')
        .execute()
    },
  }
}
