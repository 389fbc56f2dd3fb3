import { sql, type Kysely } from 'kysely'

/**
 * An application's expiry reaches the revocation feed when it takes effect: `expiry_pending`
 * marks an expiry not yet published, and a partial index keeps finding the due ones cheap
 * however many applications there are. Every set expiry starts pending; one long past is
 * marked published without an entry (no token it concerns is left).
 */
export function expiryFeedSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('applications')
        .addColumn('expiry_pending', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      await sql`update applications set expiry_pending = 1
        where expires_at is not null and status = 'active'`.execute(db)
      await sql`create index applications_expiry_pending on applications (expires_at)
        where expiry_pending = 1`.execute(db)
    },
  }
}
