import type { Kysely } from 'kysely'

import type { SecretUsage, SecretUse } from '../contract.js'
import { ms } from './rows.js'
import type { Database } from './schema.js'

/** A secret's use is written at most this often (or when its address changes). */
const USAGE_PRECISION_MS = 10_000
const MAX_REMEMBERED = 100_000

/**
 * "Last used" of secrets and applications, for every way a secret authenticates (tokens,
 * introspection, revocation, the feed). Best effort and throttled: a busy client does not cost
 * two extra writes per request, and a lost write only makes "last used" a few seconds older.
 * Never inside a transaction: under the token commit's FOR SHARE locks, two nodes upgrading to
 * an UPDATE of the same row would deadlock.
 */
export class SqlSecretUsage implements SecretUsage {
  /** When each secret's use was last written, and from where. */
  readonly #written = new Map<string, { at: number; ip: string }>()

  constructor(private readonly db: Kysely<Database>) {}

  async record(uses: readonly SecretUse[], now: Date): Promise<void> {
    const nowMs = ms(now)
    const last = new Map<string, SecretUse>()
    for (const use of uses) last.set(use.secretId, use)
    const usedApps = new Set<string>()
    // In a fixed order, so two nodes' multi-row writes never wait on each other in a cycle.
    for (const use of [...last.values()].sort((a, b) => (a.secretId < b.secretId ? -1 : 1))) {
      const written = this.#written.get(use.secretId)
      if (written !== undefined && nowMs - written.at < USAGE_PRECISION_MS && written.ip === use.ip)
        continue
      await this.db
        .updateTable('client_secrets')
        .set({ last_used_at: ms(use.at), last_used_ip: use.ip })
        .where('id', '=', use.secretId)
        .execute()
      if (this.#written.size >= MAX_REMEMBERED) this.#written.clear()
      this.#written.set(use.secretId, { at: nowMs, ip: use.ip })
      usedApps.add(use.clientId)
    }
    if (usedApps.size > 0) {
      await this.db
        .updateTable('applications')
        .set({ last_used_at: nowMs })
        .where('client_id', 'in', [...usedApps].sort())
        .execute()
    }
  }
}
