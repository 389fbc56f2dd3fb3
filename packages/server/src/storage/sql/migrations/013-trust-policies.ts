import type { Kysely } from 'kysely'

/**
 * Workload identity federation: a trust policy is a credential of its application like a
 * secret or a key — the same liveness check at token commit, "last used" and removal — so it
 * is a row of `client_secrets` with `kind = 'trust_policy'`: `hint` is the issuer, `hash` a
 * digest of the policy, and the new `trust_policy` column the policy itself (JSON: issuer,
 * audience, subject, conditions).
 */
export function trustPoliciesSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('client_secrets').addColumn('trust_policy', 'text').execute()
    },
  }
}
