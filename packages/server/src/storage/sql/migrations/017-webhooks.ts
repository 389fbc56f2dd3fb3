import { sql, type Kysely, type SqlBool } from 'kysely'

/**
 * The audit records webhook events come from (domain/webhook-events.ts), as SQL: the predicate of
 * a partial index, so the dispatcher reads them without touching the `token.issued` rows around
 * them. A query uses the index only when it repeats this text exactly (SQLite matches a partial
 * index's WHERE term for term), so the webhook store imports it from here. Of `token.refused`
 * only the `rate_limited` ones can be a quota refusal; audit data is stored as JSON.stringify
 * writes it, without spaces.
 */
export const WEBHOOK_SOURCE_PREDICATE = `(type in ('application.created', 'application.revoked', 'application.expired', 'application.expiring', 'application.secret_rotated', 'application.secret_leaked', 'application.secret_still_in_use', 'insight.found') or (type = 'token.refused' and data like '%"error":"rate_limited"%'))`

/**
 * Per-tenant webhooks. An endpoint keeps a cursor (`through`: the number of the last audit record
 * it has been given its deliveries for); each delivery is a row, a message sent until its
 * receiver answers 2xx or its retries run out (`dead`), with a lease so one node at a time sends
 * it. Everything is in the database, so the queue survives a restart.
 */
export function webhooksSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('sealed_secret', 'text', (c) => c.notNull())
        // JSON: each subscribed event type, with the audit number it is sent after.
        .addColumn('event_types', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('through', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('webhook_endpoints_tenant')
        .on('webhook_endpoints')
        .column('tenant_id')
        .execute()

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('audit_seq', 'bigint')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        // Null once delivered or dead: only waiting deliveries are in the "due" range.
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('last_attempt_at', 'bigint')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .execute()
      await db.schema
        .createIndex('webhook_deliveries_due')
        .on('webhook_deliveries')
        .column('next_attempt_at')
        .execute()
      await db.schema
        .createIndex('webhook_deliveries_endpoint')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'created_at', 'id'])
        .execute()
      await db.schema
        .createIndex('webhook_deliveries_endpoint_status')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'status', 'created_at', 'id'])
        .execute()
      // One delivery per endpoint and audit record, whichever node dispatched it.
      await db.schema
        .createIndex('webhook_deliveries_record')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'audit_seq'])
        .unique()
        .execute()

      await db.schema
        .createIndex('audit_events_webhook_source')
        .on('audit_events')
        .columns(['tenant_id', 'seq'])
        .where(sql.raw<SqlBool>(WEBHOOK_SOURCE_PREDICATE))
        .execute()
    },
  }
}
