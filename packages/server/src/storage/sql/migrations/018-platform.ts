import { sql, type Kysely } from 'kysely'

/**
 * Platform mode. Tenants get the vendor's own account id (`external_id`, unique when set),
 * free-form metadata and a status (`active`, `suspended`). An API of the root tenant may be
 * shared with every tenant (`sharing = '"all"'`) or with the tenants listed (`sharing` is a
 * JSON array of tenant ids: shared APIs are few, so they are read whole); `tenant_claims` names the tenant fields its tokens carry as claims.
 * Applications get static custom claims. The root tenant's admin API gains `manage:tenants`.
 * Portal links (below) sign a vendor's customers' people in to their tenant's console.
 */
export function platformSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('tenants').addColumn('external_id', 'text').execute()
      await db.schema
        .alterTable('tenants')
        .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute()
      await db.schema
        .alterTable('tenants')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .execute()
      await db.schema
        .createIndex('tenants_external_id')
        .on('tenants')
        .column('external_id')
        .unique()
        .execute()
      await db.schema.alterTable('apis').addColumn('sharing', 'text').execute()
      await db.schema.alterTable('apis').addColumn('tenant_claims', 'text').execute()
      await db.schema.createIndex('apis_audience').on('apis').column('audience').execute()
      await db.schema.alterTable('applications').addColumn('claims', 'text').execute()
      // Portal links: single-use sign-ins a vendor's backend hands its customers' people. Only
      // the HMAC of a link's secret is kept. The people it signs in are administrators without a
      // password (`signs_in_with = 'portal_link'`), so the console shows who has access.
      await db.schema
        .alterTable('administrators')
        .addColumn('signs_in_with', 'text', (c) => c.notNull().defaultTo('password'))
        .execute()
      await db.schema
        .createTable('portal_links')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('return_url', 'text')
        .addColumn('session_lifetime_seconds', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute()
      await db.schema
        .createIndex('portal_links_expires')
        .on('portal_links')
        .column('expires_at')
        .execute()

      // The root tenant's built-in admin API and admin application gain `manage:tenants`.
      const root = await sql<{ id: string }>`select id from tenants where is_root = 1`.execute(db)
      for (const { id } of root.rows) {
        const apis = await sql<{ id: string; scopes: string }>`
          select id, scopes from apis where tenant_id = ${id} and is_built_in = 1`.execute(db)
        for (const api of apis.rows) {
          const scopes = JSON.parse(api.scopes) as string[]
          if (!scopes.includes('manage:tenants')) scopes.push('manage:tenants')
          await sql`update apis set scopes = ${JSON.stringify(scopes)} where id = ${api.id}`.execute(
            db,
          )
        }
        const apps = await sql<{ client_id: string; grants: string }>`
          select client_id, grants from applications where tenant_id = ${id} and is_built_in = 1`.execute(
          db,
        )
        for (const app of apps.rows) {
          const grants = JSON.parse(app.grants) as { audience: string; scopes: string[] }[]
          for (const grant of grants) {
            if (
              grant.audience === 'urn:tokenmint:admin' &&
              !grant.scopes.includes('manage:tenants')
            )
              grant.scopes.push('manage:tenants')
          }
          await sql`update applications set grants = ${JSON.stringify(grants)} where client_id = ${app.client_id}`.execute(
            db,
          )
        }
      }
    },
  }
}
