import type { Kysely } from 'kysely'

/**
 * DPoP (RFC 9449): an application may be required to bind every access token to a key it holds
 * (RFC 9449 §5.2's `dpop_bound_access_tokens`). Proof `jti`s are remembered in
 * `used_client_assertions` (migration 012) under the key's thumbprint, so no table is added.
 */
export function dpopSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('applications')
        .addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },
  }
}
