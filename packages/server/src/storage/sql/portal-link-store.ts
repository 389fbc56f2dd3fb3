import type { Kysely, Selectable } from 'kysely'

import type { PortalLink } from '../../domain/model.js'
import type { PortalLinkStore } from '../contract.js'
import { dateOrNull, ms } from './rows.js'
import type { Database, PortalLinksTable } from './schema.js'

function fromRow(row: Selectable<PortalLinksTable>): PortalLink {
  return {
    idHash: row.id_hash,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    role: row.role === 'admin' ? 'admin' : 'viewer',
    returnUrl: row.return_url,
    sessionLifetimeSeconds: row.session_lifetime_seconds,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    usedAt: dateOrNull(row.used_at),
  }
}

export class SqlPortalLinkStore implements PortalLinkStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(link: PortalLink): Promise<void> {
    await this.db
      .insertInto('portal_links')
      .values({
        id_hash: link.idHash,
        tenant_id: link.tenantId,
        email: link.email,
        name: link.name,
        role: link.role,
        return_url: link.returnUrl,
        session_lifetime_seconds: link.sessionLifetimeSeconds,
        created_by: link.createdBy,
        created_at: ms(link.createdAt),
        expires_at: ms(link.expiresAt),
        used_at: null,
      })
      .execute()
  }

  /**
   * Marks the link used if it is unused and unexpired, in one conditional write: of any number
   * of requests presenting the same link at once, exactly one gets it back.
   */
  async consume(idHash: string, now: Date): Promise<PortalLink | undefined> {
    const result = await this.db
      .updateTable('portal_links')
      .set({ used_at: ms(now) })
      .where('id_hash', '=', idHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', ms(now))
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) return undefined
    const row = await this.db
      .selectFrom('portal_links')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirstOrThrow()
    return fromRow(row)
  }

  async deleteExpired(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('portal_links')
      .where('expires_at', '<=', ms(before))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}
