import { sql, type Kysely } from 'kysely'

const ADMIN_AUDIENCE = 'urn:tokenmint:admin'
const ADMINISTRATOR_SCOPES = [
  'read:administrators',
  'create:administrators',
  'update:administrators',
  'delete:administrators',
]

function withAdministratorScopes(scopes: string[]): string[] {
  return [...scopes, ...ADMINISTRATOR_SCOPES.filter((s) => !scopes.includes(s))]
}

/**
 * Console administrators and their sessions. Tenants created before this gain the
 * administrator scopes on their built-in admin API and admin applications, so the CLI can
 * manage administrators with the credentials it already holds.
 */
export function administratorsSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('administrators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) =>
          c.notNull().references('tenants.id').onDelete('cascade'),
        )
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('username_key', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_sign_in_at', 'bigint')
        .addColumn('password_changed_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addUniqueConstraint('administrators_tenant_username', ['tenant_id', 'username_key'])
        .execute()

      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('administrator_id', 'text', (c) =>
          c.notNull().references('administrators.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('console_sessions_administrator')
        .on('console_sessions')
        .column('administrator_id')
        .execute()

      const apis = await sql<{ id: string; scopes: string }>`
        select id, scopes from apis where audience = ${ADMIN_AUDIENCE} and is_built_in = 1`.execute(
        db,
      )
      for (const api of apis.rows) {
        const scopes = withAdministratorScopes(JSON.parse(api.scopes) as string[])
        await sql`update apis set scopes = ${JSON.stringify(scopes)} where id = ${api.id}`.execute(
          db,
        )
      }
      const apps = await sql<{ client_id: string; grants: string }>`
        select client_id, grants from applications where environment = 'admin'`.execute(db)
      for (const app of apps.rows) {
        const grants = (JSON.parse(app.grants) as { audience: string; scopes: string[] }[]).map(
          (g) =>
            g.audience === ADMIN_AUDIENCE ? { ...g, scopes: withAdministratorScopes(g.scopes) } : g,
        )
        await sql`update applications set grants = ${JSON.stringify(grants)}
          where client_id = ${app.client_id}`.execute(db)
      }
    },
  }
}
