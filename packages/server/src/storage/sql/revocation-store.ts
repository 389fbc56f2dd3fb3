import { sql, type Kysely, type Selectable } from 'kysely'

import type { Revocation, RevocationStore } from '../contract.js'
import { ms } from './rows.js'
import type { Database, RevocationsTable } from './schema.js'

function fromRow(row: Selectable<RevocationsTable>): Revocation {
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    type: row.type as Revocation['type'],
    clientId: row.client_id,
    jti: row.jti,
    revokedAt: new Date(row.revoked_at),
    expiresAt: new Date(row.expires_at),
  }
}

/** Any constant: the advisory lock that serialises feed appends on Postgres. */
const FEED_APPEND_LOCK = 7_410_952

export class SqlRevocationStore implements RevocationStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  /**
   * The feed's cursor is the id, so ids must become visible in id order: otherwise a reader
   * could see id 11, move its cursor past it, and never see id 10 committed a moment later.
   * SQLite has one writer, so it holds already. On Postgres a sequence hands out ids before
   * commit, so appends take a transaction-scoped advisory lock: the next append waits until
   * this one has committed (revocations are rare; the wait costs nothing that matters).
   */
  async append(entry: Omit<Revocation, 'id'>): Promise<Revocation> {
    if (this.dialect === 'sqlite') return this.#insert(this.db, entry)
    if (this.db.isTransaction) {
      await sql`select pg_advisory_xact_lock(${FEED_APPEND_LOCK})`.execute(this.db)
      return this.#insert(this.db, entry)
    }
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${FEED_APPEND_LOCK})`.execute(trx)
      return this.#insert(trx, entry)
    })
  }

  async #insert(db: Kysely<Database>, entry: Omit<Revocation, 'id'>): Promise<Revocation> {
    const inserted = await db
      .insertInto('revocations')
      .values({
        tenant_id: entry.tenantId,
        type: entry.type,
        client_id: entry.clientId,
        jti: entry.jti,
        revoked_at: ms(entry.revokedAt),
        expires_at: ms(entry.expiresAt),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { ...entry, id: String(inserted.id) }
  }

  async list(tenantId: string, afterId: string | undefined, limit: number): Promise<Revocation[]> {
    let query = this.db
      .selectFrom('revocations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .limit(limit)
    if (afterId !== undefined) query = query.where('id', '>', Number(afterId))
    return (await query.execute()).map(fromRow)
  }

  async listAll(afterId: string | undefined, limit: number): Promise<Revocation[]> {
    let query = this.db.selectFrom('revocations').selectAll().orderBy('id').limit(limit)
    if (afterId !== undefined) query = query.where('id', '>', Number(afterId))
    return (await query.execute()).map(fromRow)
  }

  async isRevoked(
    tenantId: string,
    clientId: string,
    jti: string,
    issuedAtSeconds?: number,
  ): Promise<boolean> {
    const row = await this.db
      .selectFrom('revocations')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where((eb) =>
        eb.or([
          issuedAtSeconds === undefined
            ? eb('type', '=', 'application').and('client_id', '=', clientId)
            : eb('type', '=', 'application')
                .and('client_id', '=', clientId)
                // The feed's rule: an application entry ends the tokens issued at or before it
                // (in whole seconds, as `iat` and the entry's `revoked_at` are).
                .and('revoked_at', '>=', issuedAtSeconds * 1000),
          eb('jti', '=', jti),
        ]),
      )
      .limit(1)
      .executeTakeFirst()
    return row !== undefined
  }

  async deleteExpired(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('revocations')
      .where('expires_at', '<=', ms(now))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}
