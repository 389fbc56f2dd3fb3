import type { Kysely } from 'kysely'

/**
 * One row that `probeWrite` rewrites to learn whether storage takes writes again after an
 * outage (a full disk answers reads and `select 1` all along). Written only during outages.
 */
export function storageProbeSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('storage_probe')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('written_at', 'bigint', (c) => c.notNull())
        .execute()
    },
  }
}
