import type { Kysely, Selectable } from 'kysely'

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

export class SqlRevocationStore implements RevocationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: Omit<Revocation, 'id'>): Promise<Revocation> {
    const inserted = await this.db
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

  async isRevoked(tenantId: string, clientId: string, jti: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('revocations')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where((eb) =>
        eb.or([
          eb('type', '=', 'application').and('client_id', '=', clientId),
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
