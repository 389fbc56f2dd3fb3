import { sql, type Kysely } from 'kysely'

/**
 * Marks each tenant's built-in admin application (the CLI's credentials): only an owner may
 * change it (domain/authority). Which one it is was recorded when its tenant was created.
 */
export function builtInApplicationSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('applications')
        .addColumn('is_built_in', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      const created = await sql<{ data: string }>`
        select data from audit_events where type = 'tenant.created'`.execute(db)
      for (const row of created.rows) {
        const clientId = (JSON.parse(row.data) as { admin_client_id?: unknown }).admin_client_id
        if (typeof clientId !== 'string') continue
        await sql`update applications set is_built_in = 1 where client_id = ${clientId}`.execute(db)
      }
    },
  }
}
