import type { Kysely } from 'kysely'

import type { SqlDialectName } from '../dialect.js'

export function initialSchema(dialect: SqlDialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('is_root', 'integer', (c) => c.notNull())
        .addColumn('signing_algorithm', 'text', (c) => c.notNull())
        .addColumn('default_token_lifetime_seconds', 'integer', (c) => c.notNull())
        .addColumn('max_token_lifetime_seconds', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) =>
          c.notNull().references('tenants.id').onDelete('cascade'),
        )
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('sealed_private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('activated_at', 'bigint')
        .addColumn('retired_at', 'bigint')
        .addColumn('publish_until', 'bigint')
        .execute()
      await db.schema
        .createIndex('signing_keys_tenant')
        .on('signing_keys')
        .column('tenant_id')
        .execute()

      await db.schema
        .createTable('apis')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) =>
          c.notNull().references('tenants.id').onDelete('cascade'),
        )
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('is_built_in', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('apis_tenant_audience', ['tenant_id', 'audience'])
        .execute()

      await db.schema
        .createTable('applications')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) =>
          c.notNull().references('tenants.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('grant_types', 'text', (c) => c.notNull())
        .addColumn('grants', 'text', (c) => c.notNull())
        .addColumn('token_lifetime_seconds', 'integer')
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addUniqueConstraint('applications_tenant_env_name', ['tenant_id', 'environment', 'name'])
        .execute()
      await db.schema
        .createIndex('applications_tenant_created')
        .on('applications')
        .columns(['tenant_id', 'created_at', 'client_id'])
        .execute()

      await db.schema
        .createTable('client_secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) =>
          c.notNull().references('applications.client_id').onDelete('cascade'),
        )
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('hint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('last_used_ip', 'text')
        .execute()
      await db.schema
        .createIndex('client_secrets_client')
        .on('client_secrets')
        .column('client_id')
        .execute()

      await db.schema
        .createTable('audit_events')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('audit_events_tenant_time')
        .on('audit_events')
        .columns(['tenant_id', 'occurred_at'])
        .execute()
      await db.schema
        .createIndex('audit_events_tenant_client')
        .on('audit_events')
        .columns(['tenant_id', 'client_id', 'id'])
        .execute()
    },
  }
}
