import type { Kysely, Selectable } from 'kysely'

import type { Administrator, AdministratorRole, ConsoleSession } from '../../domain/model.js'
import type { AdministratorStore, ConsoleSessionStore } from '../contract.js'
import { accountFromRow, accountRow, SqlAccountStore, type AccountTable } from './account-store.js'
import { dateOrNull, ms, msOrNull } from './rows.js'
import type { AdministratorsTable, Database } from './schema.js'

function administratorFromRow(row: Selectable<AdministratorsTable>): Administrator {
  return {
    ...accountFromRow(row),
    role: row.role as AdministratorRole,
    lastSignInAt: dateOrNull(row.last_sign_in_at),
    signsInWith: row.signs_in_with === 'portal_link' ? 'portal_link' : 'password',
  }
}

const administrators: AccountTable<'administrators', Administrator> = {
  name: 'administrators',
  noun: 'administrator',
  taken: (username) =>
    `an administrator named "${username}" already exists (usernames ignore case)`,
  changedMeanwhile: 'the administrator was changed by someone else; reload and try again',
  fromRow: administratorFromRow,
  toRow: (administrator) => ({
    ...accountRow(administrator),
    role: administrator.role,
    last_sign_in_at: msOrNull(administrator.lastSignInAt),
    signs_in_with: administrator.signsInWith,
  }),
}

/** Console administrators: listed by username, with the last-owner count. */
export class SqlAdministratorStore
  extends SqlAccountStore<'administrators', Administrator>
  implements AdministratorStore
{
  constructor(db: Kysely<Database>) {
    super(db, administrators)
  }

  async list(tenantId: string): Promise<Administrator[]> {
    const rows = await this.db
      .selectFrom('administrators')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('username_key')
      .execute()
    return rows.map(administratorFromRow)
  }

  async countActiveOwners(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('administrators')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role', '=', 'owner')
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async recordSignIn(
    tenantId: string,
    id: string,
    at: Date,
    rehashedPassword?: string,
  ): Promise<void> {
    await this.db
      .updateTable('administrators')
      .set({
        last_sign_in_at: ms(at),
        ...(rehashedPassword !== undefined && { password_hash: rehashedPassword }),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute()
  }
}

export class SqlConsoleSessionStore implements ConsoleSessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: ConsoleSession): Promise<void> {
    await this.db
      .insertInto('console_sessions')
      .values({
        id_hash: session.idHash,
        tenant_id: session.tenantId,
        administrator_id: session.administratorId,
        created_at: ms(session.createdAt),
        last_seen_at: ms(session.lastSeenAt),
        expires_at: ms(session.expiresAt),
      })
      .execute()
  }

  async find(
    idHash: string,
  ): Promise<{ session: ConsoleSession; administrator: Administrator } | undefined> {
    const row = await this.db
      .selectFrom('console_sessions as s')
      .innerJoin('administrators as a', 'a.id', 's.administrator_id')
      .selectAll('a')
      .select([
        's.id_hash',
        's.tenant_id as session_tenant_id',
        's.created_at as session_created_at',
        's.last_seen_at',
        's.expires_at',
      ])
      .where('s.id_hash', '=', idHash)
      .executeTakeFirst()
    if (row === undefined) return undefined
    return {
      session: {
        idHash: row.id_hash,
        tenantId: row.session_tenant_id,
        administratorId: row.id,
        createdAt: new Date(row.session_created_at),
        lastSeenAt: new Date(row.last_seen_at),
        expiresAt: new Date(row.expires_at),
      },
      administrator: administratorFromRow(row),
    }
  }

  async touch(idHash: string, at: Date): Promise<void> {
    await this.db
      .updateTable('console_sessions')
      .set({ last_seen_at: ms(at) })
      .where('id_hash', '=', idHash)
      .execute()
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute()
  }

  async deleteForAdministrator(administratorId: string): Promise<number> {
    const result = await this.db
      .deleteFrom('console_sessions')
      .where('administrator_id', '=', administratorId)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async deleteExpired(idleBefore: Date, now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('console_sessions')
      .where((eb) =>
        eb.or([eb('last_seen_at', '<', ms(idleBefore)), eb('expires_at', '<=', ms(now))]),
      )
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}
