import type { Kysely } from 'kysely'

/**
 * private_key_jwt (RFC 7523): an application authenticates either with client secrets (the
 * default) or with public keys it registered. A key is a credential like a secret — same
 * liveness check at token commit, same "last used", same removal — so it is a row of
 * `client_secrets` with `kind = 'public_key'`: `hint` is its kid, `hash` its RFC 7638
 * thumbprint, `public_jwk` the key. `used_client_assertions` remembers each assertion's `jti`
 * until it expires, so none is accepted twice, on any node sharing the database.
 */
export function clientKeysSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('applications')
        .addColumn('token_endpoint_auth_method', 'text', (c) =>
          c.notNull().defaultTo('client_secret_basic'),
        )
        .execute()
      await db.schema
        .alterTable('client_secrets')
        .addColumn('kind', 'text', (c) => c.notNull().defaultTo('secret'))
        .execute()
      await db.schema.alterTable('client_secrets').addColumn('public_jwk', 'text').execute()
      await db.schema
        .createTable('used_client_assertions')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('used_client_assertions_pk', ['client_id', 'jti'])
        .execute()
      await db.schema
        .createIndex('used_client_assertions_expiry')
        .on('used_client_assertions')
        .column('expires_at')
        .execute()
    },
  }
}
