import { randomBytes } from 'node:crypto'

import type { Kysely } from 'kysely'

/**
 * One row naming this deployment: every node sharing the database shares it, and it scopes
 * what they share elsewhere (Redis keys and channels, NOTIFY channels), so two deployments on
 * one Redis never mix.
 */
export function deploymentSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('deployment')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await (db as Kysely<{ deployment: { id: string; created_at: number } }>)
        .insertInto('deployment')
        .values({ id: randomBytes(8).toString('hex'), created_at: Date.now() })
        .execute()
    },
  }
}
