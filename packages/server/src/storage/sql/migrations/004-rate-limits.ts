import type { Kysely } from 'kysely'

/** Per-application token quota (requests per minute); null means the server default. */
export function rateLimitSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('applications')
        .addColumn('token_rate_limit_per_minute', 'integer')
        .execute()
    },
  }
}
