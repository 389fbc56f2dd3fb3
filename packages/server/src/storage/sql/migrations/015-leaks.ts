import type { Kysely } from 'kysely'

/**
 * Leak response: each tenant chooses what a reported leak of one of its secrets does
 * (`revoke_secret`, the default, or `revoke_application`); secrets are found by their keyed
 * hash (an index, since a report carries only the secret); and every leaked secret is kept
 * (its hash, never the secret) so a second report of it says "already revoked" and the
 * console can show where it was found.
 */
export function leaksSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('tenants')
        .addColumn('leak_response', 'text', (c) => c.notNull().defaultTo('revoke_secret'))
        .execute()
      await db.schema
        .createIndex('client_secrets_hash')
        .on('client_secrets')
        .column('hash')
        .execute()
      await db.schema
        .createTable('leaked_secrets')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('secret_id', 'text', (c) => c.notNull())
        .addColumn('hint', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('reporter', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('tokens_revoked', 'integer', (c) => c.notNull())
        .addColumn('reports', 'integer', (c) => c.notNull())
        .addColumn('first_reported_at', 'bigint', (c) => c.notNull())
        .addColumn('last_reported_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('leaked_secrets_client')
        .on('leaked_secrets')
        .columns(['tenant_id', 'client_id'])
        .execute()
    },
  }
}
